/**
 * A TEST SERVER MODELLED ON QDRANT 1.19, NOT QDRANT. It lets the Qdrant adapter
 * run through the real @qdrant/js-client-rest where no Qdrant server can run.
 *
 * - Every request is validated (method, path, query, body) against Qdrant's own
 *   OpenAPI description, and so is every response; anything invalid, or any
 *   feature this server does not model, is recorded in `invalid()` so that a test
 *   fails on it instead of passing against behaviour real Qdrant would not have.
 * - Semantics follow /work/shared/qdrant/README.md: point ids are uint or UUID;
 *   cosine vectors are normalised on store and scored by dot product (named
 *   dense and sparse vectors with the idf modifier: qdrant-test-vectors.ts); query
 *   defaults (limit 10, no payload, no vector); score_threshold strictly greater;
 *   scroll by id with an inclusive offset; wait=true -> "completed"; Qdrant's
 *   error messages verbatim; `api-key` required except on /, /healthz, /readyz, /livez.
 * - State lives in memory and survives stop()/start(), like a Qdrant restart.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { QdrantOpenApi, type MatchedOperation } from './qdrant-openapi.js';
import { FilterValidationError, KeyPathError, UnsupportedFeatureError, matchesFilter, normaliseId, parseKeyPath, type PointId } from './qdrant-test-filter.js';
import {
  VectorError,
  describeVectorConfig,
  parsePointVectors,
  parseVectorConfig,
  scorer,
  selectVectors,
  type StoredVectors,
  type VectorConfig,
} from './qdrant-test-vectors.js';

export interface RecordedRequest {
  method: string;
  path: string;
  operationId: string | null;
  query: Record<string, unknown>;
  body: unknown;
  status: number;
  /** Why the request (or the answer to it) is not something real Qdrant traffic would look like. */
  errors: string[];
}

export interface QdrantTestServer {
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Requests that failed validation, hit an unmodelled feature, or got an invalid response. */
  invalid(): RecordedRequest[];
  clearLog(): void;
  /** Answer 401 to every authenticated endpoint, as if the API key were wrong. */
  setUnauthorized(on: boolean): void;
  /** Answer the next `count` authenticated requests with `status` (e.g. 503) before handling any. */
  failNext(count: number, status?: number): void;
  /** Delay every authenticated answer by `ms` (0 to stop), to make the client time out. */
  setDelay(ms: number): void;
  stop(): Promise<void>;
  /** Listens again on the same port; data is kept. */
  start(): Promise<void>;
}

interface StoredPoint {
  id: PointId;
  vectors: StoredVectors;
  payload: Record<string, unknown>;
  version: number;
}

interface StoredCollection {
  vectors: VectorConfig;
  points: Map<string, StoredPoint>;
  payloadSchema: Record<string, { data_type: string; params?: Record<string, unknown> }>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
  }
}

const OPEN_PATHS = new Set(['/', '/healthz', '/readyz', '/livez']);
const VERSION = { title: 'qdrant - vector search engine', version: '1.19.0' };

const notFound = (name: string) => new HttpError(404, `Not found: Collection \`${name}\` doesn't exist!`);
const unsupported = (what: string) => new HttpError(400, `Unsupported by the Qdrant test server: ${what}`, true);
const pointKey = (id: PointId) => (typeof id === 'number' ? `n:${id}` : `u:${id}`);

/** Qdrant orders numeric ids before UUIDs; hyphenated lowercase UUIDs sort as their 128-bit value. */
function compareIds(a: PointId, b: PointId): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function selectPayload(payload: Record<string, unknown>, selector: unknown): Record<string, unknown> | undefined {
  if (selector === false || selector === undefined || selector === null) return undefined;
  if (selector === true) return payload;
  const s = (Array.isArray(selector) ? { include: selector } : selector) as { include?: string[]; exclude?: string[] };
  // Qdrant also selects nested paths (`a.b`); this server only models top-level keys.
  if ([...(s.include ?? []), ...(s.exclude ?? [])].some((k) => /[.[]/.test(k))) throw unsupported('nested payload selectors');
  if (s.include) return Object.fromEntries(Object.entries(payload).filter(([k]) => s.include!.includes(k)));
  return Object.fromEntries(Object.entries(payload).filter(([k]) => !s.exclude!.includes(k)));
}

// Loaded once per process: every server validates against the same spec, and ajv compiles each schema once.
let sharedSpec: QdrantOpenApi | null = null;

export async function startQdrantTestServer(options: { apiKey?: string; port?: number } = {}): Promise<QdrantTestServer> {
  sharedSpec ??= new QdrantOpenApi();
  const api = sharedSpec;
  const collections = new Map<string, StoredCollection>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let unauthorized = false;
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let operationId = 0;
  let delayMs = 0;

  function collection(name: string): StoredCollection {
    const found = collections.get(name);
    if (!found) throw notFound(name);
    return found;
  }

  function checkAuth(req: IncomingMessage): void {
    const header = req.headers['api-key'] ?? req.headers.authorization?.replace(/^Bearer /i, '');
    const given = Array.isArray(header) ? header[0] : header;
    if (unauthorized) throw new HttpError(401, given ? 'Invalid API key or JWT' : 'Must provide an API key or an Authorization bearer token');
    if (options.apiKey === undefined) return;
    if (!given) throw new HttpError(401, 'Must provide an API key or an Authorization bearer token');
    const a = Buffer.from(given);
    const b = Buffer.from(options.apiKey);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new HttpError(401, 'Invalid API key or JWT');
  }

  function updateResult(query: Record<string, unknown>) {
    operationId += 1;
    return { operation_id: operationId, status: query.wait === true ? 'completed' : 'acknowledged' };
  }

  function filtered(col: StoredCollection, filter: unknown): StoredPoint[] {
    const points = [...col.points.values()].sort((a, b) => compareIds(a.id, b.id));
    return points.filter((p) => matchesFilter(p, filter as Record<string, unknown> | null | undefined));
  }

  function toRecord(col: StoredCollection, p: StoredPoint, payloadSelector: unknown, vectorSelector: unknown): Record<string, unknown> {
    const out: Record<string, unknown> = { id: p.id };
    const payload = selectPayload(p.payload, payloadSelector);
    if (payload !== undefined) out.payload = payload;
    const vector = selectVectors(col.vectors, p.vectors, vectorSelector);
    if (vector !== undefined) out.vector = vector;
    return out;
  }

  const handlers: Record<string, (p: Record<string, string>, q: Record<string, unknown>, body: any) => unknown> = {
    root: () => VERSION,
    healthz: () => 'healthz check passed',
    livez: () => 'healthz check passed',
    readyz: () => 'all shards are ready',
    get_collections: () => ({ collections: [...collections.keys()].map((name) => ({ name })) }),
    collection_exists: (p) => ({ exists: collections.has(p.collection_name!) }),
    create_collection: (p, _q, body) => {
      const name = p.collection_name!;
      if (collections.has(name)) throw new HttpError(409, `Wrong input: Collection \`${name}\` already exists!`);
      collections.set(name, { vectors: parseVectorConfig(body), points: new Map(), payloadSchema: {} });
      return true;
    },
    get_collection: (p) => {
      const col = collection(p.collection_name!);
      return {
        status: 'green',
        optimizer_status: 'ok',
        indexed_vectors_count: 0,
        points_count: col.points.size,
        segments_count: 1,
        config: {
          params: { ...describeVectorConfig(col.vectors), shard_number: 1, replication_factor: 1, write_consistency_factor: 1, on_disk_payload: true },
          hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
          optimizer_config: { deleted_threshold: 0.2, vacuum_min_vector_number: 1000, default_segment_number: 0, flush_interval_sec: 5 },
          wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        },
        payload_schema: Object.fromEntries(
          Object.entries(col.payloadSchema).map(([field, info]) => [
            field,
            { ...info, points: [...col.points.values()].filter((pt) => field in pt.payload).length },
          ]),
        ),
      };
    },
    delete_collection: (p) => collections.delete(p.collection_name!),
    create_field_index: (p, q, body) => {
      const col = collection(p.collection_name!);
      parseKeyPath(body.field_name);
      const schema = body.field_schema;
      if (schema === undefined || schema === null) throw unsupported('payload index without field_schema');
      col.payloadSchema[body.field_name] = typeof schema === 'string' ? { data_type: schema } : { data_type: schema.type, params: schema };
      return updateResult(q);
    },
    upsert_points: (p, q, body) => {
      const col = collection(p.collection_name!);
      if (!Array.isArray(body.points)) throw unsupported('batch upsert');
      if (body.update_filter || body.update_mode) throw unsupported('conditional upsert');
      // Validate everything first: an upsert is applied whole or not at all.
      const prepared = (body.points as Array<{ id: PointId; vector: unknown; payload?: Record<string, unknown> | null }>).map((pt) => ({
        id: normaliseId(pt.id),
        vectors: parsePointVectors(col.vectors, pt.vector),
        payload: pt.payload ?? {},
      }));
      const result = updateResult(q);
      for (const pt of prepared) {
        col.points.set(pointKey(pt.id), { id: pt.id, vectors: pt.vectors, payload: structuredClone(pt.payload), version: result.operation_id });
      }
      return result;
    },
    get_points: (p, _q, body) => {
      const col = collection(p.collection_name!);
      const seen = new Set<string>();
      const out: unknown[] = [];
      for (const id of body.ids as PointId[]) {
        const key = pointKey(normaliseId(id));
        const pt = col.points.get(key);
        if (!pt || seen.has(key)) continue;
        seen.add(key);
        out.push(toRecord(col, pt, body.with_payload ?? true, body.with_vector ?? false));
      }
      return out;
    },
    delete_points: (p, q, body) => {
      const col = collection(p.collection_name!);
      if (Array.isArray(body.points)) {
        for (const id of body.points as PointId[]) col.points.delete(pointKey(normaliseId(id)));
      } else {
        for (const pt of filtered(col, body.filter)) col.points.delete(pointKey(pt.id));
      }
      return updateResult(q);
    },
    scroll_points: (p, _q, body) => {
      const col = collection(p.collection_name!);
      if (body.order_by) throw unsupported('scroll order_by');
      const limit: number = body.limit ?? 10;
      let points = filtered(col, body.filter);
      if (body.offset !== undefined && body.offset !== null) {
        const offset = normaliseId(body.offset);
        points = points.filter((pt) => compareIds(pt.id, offset) >= 0);
      }
      const page = points.slice(0, limit);
      return {
        points: page.map((pt) => toRecord(col, pt, body.with_payload ?? true, body.with_vector ?? false)),
        next_page_offset: points[limit]?.id ?? null,
      };
    },
    count_points: (p, _q, body) => {
      const col = collection(p.collection_name!);
      return { count: filtered(col, body?.filter).length };
    },
    query_points: (p, _q, body) => {
      const col = collection(p.collection_name!);
      if (body.prefetch || body.lookup_from) throw unsupported('prefetch and lookup_from');
      const limit: number = body.limit ?? 10;
      const offset: number = body.offset ?? 0;
      let raw: unknown = body.query;
      if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'nearest' in raw) {
        if ((raw as { mmr?: unknown }).mmr) throw unsupported('MMR reranking');
        raw = (raw as { nearest: unknown }).nearest;
      }
      const candidates = filtered(col, body.filter);
      let scored: Array<{ pt: StoredPoint; score: number }>;
      if (raw === undefined || raw === null) {
        // No query: points in id order, score 0.
        scored = candidates.map((pt) => ({ pt, score: 0 }));
      } else {
        const score = scorer(col.vectors, body.using ?? '', raw, [...col.points.values()]);
        scored = candidates
          .map((pt) => ({ pt, score: score(pt) }))
          .filter((s): s is { pt: StoredPoint; score: number } => s.score !== null)
          .filter((s) => typeof body.score_threshold !== 'number' || s.score > body.score_threshold)
          .sort((a, b) => b.score - a.score || compareIds(a.pt.id, b.pt.id));
      }
      return {
        points: scored.slice(offset, offset + limit).map(({ pt, score }) => ({
          ...toRecord(col, pt, body.with_payload ?? false, body.with_vector ?? false),
          version: pt.version,
          score,
        })),
      };
    },
  };

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      operationId: null,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
      status: 0,
      errors: [],
    };
    requests.push(record);
    const text = await readBody(req);
    let match: MatchedOperation | null = null;
    let status = 200;
    let payload: unknown;
    try {
      match = api.match(method, url.pathname);
      if (!match) {
        record.errors.push('no such operation in the Qdrant 1.19 API');
        throw new HttpError(404, `Not found: ${method} ${url.pathname}`);
      }
      record.operationId = match.operationId;
      if (!OPEN_PATHS.has(url.pathname)) {
        checkAuth(req);
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (failures.count > 0) {
          failures.count -= 1;
          throw new HttpError(failures.status, 'Service internal error: injected failure');
        }
      }
      let body: unknown;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          record.errors.push('body is not JSON');
          throw new HttpError(400, 'Format error in JSON body: expected value at line 1 column 1');
        }
      }
      record.body = body;
      const validation = api.validateRequest(match, url.searchParams, body, text.length > 0);
      record.query = validation.query;
      if (!validation.ok) {
        record.errors.push(...validation.errors);
        throw new HttpError(400, `Format error in JSON body: ${validation.errors.join('; ')}`);
      }
      const handler = handlers[match.operationId];
      if (!handler) throw unsupported(`operation ${match.operationId}`);
      payload = handler(match.pathParams, validation.query, body ?? {});
    } catch (error) {
      if (error instanceof HttpError) {
        status = error.status;
        if (error.unsupported) record.errors.push(error.message);
        payload = error;
      } else if (error instanceof VectorError) {
        status = error.status;
        if (error.unsupported) record.errors.push(error.message);
        payload = new HttpError(error.status, error.message);
      } else if (error instanceof KeyPathError) {
        status = 400;
        payload = new HttpError(400, error.message);
      } else if (error instanceof FilterValidationError) {
        status = 422;
        payload = new HttpError(422, error.message);
      } else if (error instanceof UnsupportedFeatureError) {
        status = 400;
        record.errors.push(`unsupported filter feature: ${error.message}`);
        payload = unsupported(error.message);
      } else {
        status = 500;
        record.errors.push(`test server bug: ${String(error)}`);
        payload = new HttpError(500, `Service internal error: ${String(error)}`);
      }
    }
    const time = Number(process.hrtime.bigint() - started) / 1e9;
    let response: unknown;
    let contentType = 'application/json';
    if (payload instanceof HttpError) {
      response = { status: { error: payload.message }, time };
    } else if (match && match.operationId === 'root') {
      response = payload;
    } else if (typeof payload === 'string') {
      response = payload;
      contentType = 'text/plain';
    } else {
      response = { result: payload, status: 'ok', time };
    }
    if (match) record.errors.push(...api.validateResponse(match, status, response));
    record.status = status;
    res.writeHead(status, { 'content-type': contentType });
    res.end(typeof response === 'string' ? response : JSON.stringify(response));
  }

  let server: Server | null = null;
  let port = options.port ?? 0;

  async function start(): Promise<void> {
    const s = createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    const address = s.address();
    if (address && typeof address === 'object') port = address.port;
    server = s;
  }

  async function stop(): Promise<void> {
    const s = server;
    server = null;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    // Kill keep-alive connections too, so the client sees the outage at once.
    for (const socket of sockets) socket.destroy();
    await closed;
  }

  await start();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    requests,
    invalid: () => requests.filter((r) => r.errors.length > 0),
    clearLog: () => {
      requests.length = 0;
    },
    setUnauthorized: (on) => {
      unauthorized = on;
    },
    failNext: (count, status = 503) => {
      failures = { count, status };
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    stop,
    start,
  };
}
