/**
 * The VectorStore port on Qdrant 1.19, through @qdrant/js-client-rest.
 *
 * Layout, as Qdrant recommends for multitenancy (few large collections, tenants
 * told apart by an indexed payload field rather than one collection each):
 * - one physical collection per embedding space, `${prefix}_${model-slug}_${dimensions}`,
 *   with a dense vector `dense` (Cosine) and a sparse vector `bm25` (idf
 *   modifier) for keyword search; every point carries `project_id` (keyword
 *   index with `is_tenant: true`), `collection` (the logical collection), `doc_id`
 *   (the caller's id), `content`, `metadata` (the caller's flat object; keyword
 *   indexes on `metadata.filePath` and `metadata.language`) and `vector_norm`;
 * - the logical collections (name, model, dimensions, physical collection, per
 *   project) are points of a small registry collection `${prefix}__collections`,
 *   so the service keeps no state of its own in remote mode.
 * Point ids are UUIDv5 of (projectId, collection, id): a re-upsert replaces.
 * Qdrant normalises cosine vectors on store; `vector_norm` lets the adapter give
 * back the vector it was given.
 *
 * Keyword mode is BM25 the way Qdrant documents it: each document's content
 * becomes a sparse vector of BM25 term weights (qdrant-bm25.ts) and Qdrant's
 * `idf` modifier supplies the IDF at query time. Scores are BM25 scores (higher
 * is more relevant), not the embedded store's numbers; the IDF statistics are
 * those of the whole physical collection (every project sharing the embedding
 * space), which only weighs terms, never lets a document cross projects.
 * Hybrid mode is fused above the port (reciprocal rank), from one search per mode.
 *
 * Failures (qdrant-calls.ts): every call has the client's timeout; transient
 * failures are retried with backoff, then become PROVIDER_UNAVAILABLE; 401/403
 * at once. No state is kept between calls (only that the server version was
 * checked), so the store recovers by itself when Qdrant comes back.
 */
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { LRUCache } from 'lru-cache';
import { v5 } from 'uuid';
import { decodeCursor, encodeCursor, isObject } from '../cursor.js';
import { AppError, isAppError } from '../errors.js';
import { ResponseBudget, documentBytes, worstDocumentBytes } from './budget.js';
import { documentSparseVector, querySparseVector } from './qdrant-bm25.js';
import { createQdrantCaller, type QdrantLog } from './qdrant-calls.js';
import { translateFilter } from './qdrant-filter.js';
import { MAX_CONTENT_LENGTH } from '../schemas/vectors.js';
import {
  type CollectionInfo,
  type CollectionSpec,
  type Filter,
  type Metadata,
  type ReadOptions,
  type ScrollPage,
  type ScrollRequest,
  type SearchHit,
  type SearchRequest,
  type StoredDocument,
  type VectorDocument,
  type VectorStore,
} from './port.js';
import { assertDimensions } from './dimensions.js';
import { vectorNorm, vectorToCompactArray } from '../shared/vector-encoding.js';

export type { QdrantLog } from './qdrant-calls.js';

export interface QdrantVectorStoreOptions {
  url: string;
  apiKey?: string;
  collectionPrefix?: string;
  /** Per HTTP call. */
  timeoutMs: number;
  /** Retries after the first attempt, for transient failures only. */
  retryAttempts: number;
  log?: QdrantLog;
}

export interface QdrantVectorStore extends VectorStore {
  /**
   * Makes sure the physical collection for this embedding space exists with the
   * right vector size and payload indexes; returns its name. Throws
   * DIMENSION_MISMATCH when it exists with another size. Call it at start-up.
   */
  checkCollection(model: string, dimensions: number): Promise<string>;
}

type Condition = Schemas['Condition'];

interface RegistryEntry {
  name: string;
  model: string;
  dimensions: number;
  physical: string;
}

// Fixed namespaces for the UUIDv5 point ids (RFC 9562): documents and registry entries.
const DOCUMENT_NAMESPACE = '3f1c2b9e-6a4d-4e8f-9b1a-7c5d2e0f8a61';
const REGISTRY_NAMESPACE = '8b6e4a2c-1d3f-4b5a-8c7e-9f0a1b2c3d4e';

/** RFC 9562 UUID version 5 (SHA-1, name-based): the same name in the same namespace, the same id, on every replica. */
export const uuidV5 = (name: string, namespace: string): string => v5(name, namespace);

/** The Qdrant point id of a document: JSON keeps the three parts apart whatever they contain. */
export function documentPointId(projectId: string, collection: string, id: string): string {
  return uuidV5(JSON.stringify([projectId, collection, id]), DOCUMENT_NAMESPACE);
}

function registryPointId(projectId: string, collection: string): string {
  return uuidV5(JSON.stringify([projectId, collection]), REGISTRY_NAMESPACE);
}

export function physicalCollectionName(prefix: string, model: string, dimensions: number): string {
  const slug =
    model
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'model';
  return `${prefix}_${slug}_${dimensions}`;
}

/** Vector names in the document collections. */
const DENSE = 'dense';
const SPARSE = 'bm25';

/** Keyword indexes of every physical collection; the tenant one is marked for Qdrant's tenant optimisation. */
const DOCUMENT_INDEXES: Array<[string, Schemas['PayloadFieldSchema']]> = [
  ['project_id', { type: 'keyword', is_tenant: true }],
  ['collection', 'keyword'],
  ['doc_id', 'keyword'],
  ['metadata.filePath', 'keyword'],
  ['metadata.language', 'keyword'],
];
const REGISTRY_INDEXES: Array<[string, Schemas['PayloadFieldSchema']]> = [
  ['project_id', { type: 'keyword', is_tenant: true }],
  ['physical', { type: 'keyword' }],
];

/** A scroll position: Qdrant's next offset, a point id (UUIDs only: every point id this service writes is one). */
const isScrollPosition = (value: unknown): value is { o: string } =>
  isObject(value) && typeof value.o === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value.o);

/** Documents per retrieve call when content is read apart from a listing. */
const FILL_CHUNK = 256;
/** Collections whose registry entry one replica keeps as a hint (a few hundred bytes each). */
const HINTS_MAX = 10_000;

export function createQdrantVectorStore(options: QdrantVectorStoreOptions): QdrantVectorStore {
  const prefix = options.collectionPrefix ?? 'in_memoria';
  const registry = `${prefix}__collections`;
  // The origin drops any user:password@ from the URL, so it is safe in messages.
  const origin = new URL(options.url).origin;
  const call = createQdrantCaller({ origin, timeoutMs: options.timeoutMs, retryAttempts: options.retryAttempts, log: options.log });
  const client = new QdrantClient({
    url: options.url,
    apiKey: options.apiKey,
    timeout: options.timeoutMs,
    // The version probe would fire a request at construction and warn on the console when Qdrant is down.
    checkCompatibility: false,
  });

  /**
   * Creates the collection when missing and checks an existing one: documents
   * get the named `dense` + `bm25` vectors, the registry one unnamed vector.
   */
  async function ensureCollection(name: string, size: number, indexes: Array<[string, Schemas['PayloadFieldSchema']]>, documents: boolean): Promise<void> {
    const { exists } = await call('collectionExists', () => client.collectionExists(name));
    if (!exists) {
      const layout = documents
        ? { vectors: { [DENSE]: { size, distance: 'Cosine' as const } }, sparse_vectors: { [SPARSE]: { modifier: 'idf' as const } } }
        : { vectors: { size, distance: 'Cosine' as const } };
      try {
        await call('createCollection', () => client.createCollection(name, layout));
      } catch (error) {
        // Another instance (or a retried call) created it first: fine, checked below.
        if (!(isAppError(error) && error.code === 'COLLECTION_CONFLICT')) throw error;
      }
    }
    const info = await call('getCollection', () => client.getCollection(name));
    const configured = info.config.params.vectors as Record<string, unknown> | undefined;
    const vectors = (documents ? configured?.[DENSE] : configured) as { size?: unknown; distance?: unknown } | undefined;
    const sparse = info.config.params.sparse_vectors?.[SPARSE];
    if (typeof vectors?.size !== 'number' || (documents && sparse?.modifier !== 'idf')) {
      const expected = documents ? `a dense vector "${DENSE}" and a sparse vector "${SPARSE}" with the idf modifier` : 'one unnamed dense vector';
      throw new AppError('COLLECTION_CONFLICT', `Qdrant collection "${name}" exists without ${expected}; it was not created by this service`);
    }
    if (vectors.size !== size) {
      throw new AppError('DIMENSION_MISMATCH', `Qdrant collection "${name}" holds vectors of ${vectors.size} dimensions, but ${size} were asked for`);
    }
    if (vectors.distance !== 'Cosine') {
      throw new AppError('COLLECTION_CONFLICT', `Qdrant collection "${name}" uses ${String(vectors.distance)} distance, not Cosine`);
    }
    for (const [field, schema] of indexes) {
      if (info.payload_schema[field]) continue;
      await call('createPayloadIndex', () => client.createPayloadIndex(name, { field_name: field, field_schema: schema, wait: true }));
    }
  }

  // The client's own version probe is off (see above); this one logs through the service's logger, once.
  let versionChecked = false;
  async function checkServerVersion(): Promise<void> {
    if (versionChecked) return;
    const { version } = await call('versionInfo', () => client.versionInfo());
    const [major, minor] = version.split('.').map(Number);
    if (major !== 1 || minor === undefined || Math.abs(minor - 19) > 1) {
      options.log?.warn({ version }, 'Qdrant server version may not work with client 1.19 (major must match, minor within 1)');
    }
    versionChecked = true;
  }

  async function checkCollection(model: string, dimensions: number): Promise<string> {
    await checkServerVersion();
    const name = physicalCollectionName(prefix, model, dimensions);
    await ensureCollection(name, dimensions, DOCUMENT_INDEXES, true);
    return name;
  }

  function toEntry(payload: Record<string, unknown> | null | undefined): RegistryEntry {
    return {
      name: String(payload?.collection),
      model: String(payload?.model),
      dimensions: Number(payload?.dimensions),
      physical: String(payload?.physical),
    };
  }

  /** The registry entry, or null; a registry collection that does not exist yet holds no entries. */
  async function findEntry(projectId: string, name: string): Promise<RegistryEntry | null> {
    try {
      const points = await call('retrieve', () => client.retrieve(registry, { ids: [registryPointId(projectId, name)], with_payload: true }));
      const payload = points[0]?.payload;
      return payload && payload.project_id === projectId && payload.collection === name ? toEntry(payload) : null;
    } catch (error) {
      if (isAppError(error) && error.code === 'COLLECTION_NOT_FOUND') return null;
      throw error;
    }
  }

  const collectionNotFound = (projectId: string, name: string) =>
    new AppError('COLLECTION_NOT_FOUND', `collection "${name}" does not exist in project "${projectId}"`);

  async function requireEntry(projectId: string, name: string): Promise<RegistryEntry> {
    const entry = await findEntry(projectId, name);
    if (!entry) throw collectionNotFound(projectId, name);
    return entry;
  }

  /**
   * Where this replica last saw each collection (bounded LRU): a hint, never the truth. The hot path
   * runs the operation on the hint and looks the entry up in the registry at the same time, so the
   * lookup costs no latency; an answer is kept only when the registry still holds the same entry
   * (same model, size and physical collection). When another replica deleted or re-created the
   * collection meanwhile, what was written on the stale hint is undone and the operation runs again on
   * the registry's entry (or fails COLLECTION_NOT_FOUND): no replica serves or writes into a deleted
   * or re-created collection, however old its hint.
   */
  const hints = new LRUCache<string, RegistryEntry>({ max: HINTS_MAX });
  const hintKey = (projectId: string, name: string) => JSON.stringify([projectId, name]);
  const sameEntry = (a: RegistryEntry, b: RegistryEntry) => a.model === b.model && a.dimensions === b.dimensions && a.physical === b.physical;

  async function withEntry<T>(
    projectId: string,
    name: string,
    work: (entry: RegistryEntry) => Promise<T>,
    undo?: (stale: RegistryEntry) => Promise<unknown>,
  ): Promise<T> {
    const key = hintKey(projectId, name);
    const hint = hints.get(key);
    if (!hint) {
      const entry = await requireEntry(projectId, name);
      hints.set(key, entry);
      return work(entry);
    }
    const attempt = work(hint).then(
      (value) => ({ done: true as const, value }),
      (error: unknown) => ({ done: false as const, error }),
    );
    const [fresh, outcome] = await Promise.all([findEntry(projectId, name), attempt]);
    if (fresh && sameEntry(fresh, hint)) {
      if (outcome.done) return outcome.value;
      throw outcome.error;
    }
    if (outcome.done) await undo?.(hint);
    if (!fresh) {
      hints.delete(key);
      throw collectionNotFound(projectId, name);
    }
    hints.set(key, fresh);
    return work(fresh);
  }

  async function projectEntries(projectId: string): Promise<RegistryEntry[]> {
    const entries: RegistryEntry[] = [];
    let offset: Schemas['ExtendedPointId'] | undefined;
    try {
      do {
        const page = await call('scroll', () =>
          client.scroll(registry, { filter: { must: [{ key: 'project_id', match: { value: projectId } }] }, limit: 256, offset, with_payload: true }),
        );
        entries.push(...page.points.map((p) => toEntry(p.payload)));
        offset = (page.next_page_offset ?? undefined) as Schemas['ExtendedPointId'] | undefined;
      } while (offset !== undefined);
    } catch (error) {
      if (isAppError(error) && error.code === 'COLLECTION_NOT_FOUND') return [];
      throw error;
    }
    return entries;
  }

  /**
   * Drops physical collections no registry entry points at any more, so that
   * embedding spaces a client tried once do not stay behind. A creation racing
   * this re-checks its physical collection after registering (createCollection).
   */
  async function dropUnused(physicals: Iterable<string>): Promise<void> {
    for (const physical of new Set(physicals)) {
      const { count } = await call('count', () => client.count(registry, { filter: { must: [{ key: 'physical', match: { value: physical } }] }, exact: true }));
      if (count > 0) continue;
      await ignoreMissing(call('deleteCollection', () => client.deleteCollection(physical)));
      options.log?.info?.({ collection: physical }, 'dropped a Qdrant collection no logical collection uses');
    }
  }

  /** A physical collection dropped behind the service's back holds no points to delete. */
  async function ignoreMissing(pending: Promise<unknown>): Promise<void> {
    try {
      await pending;
    } catch (error) {
      if (!(isAppError(error) && error.code === 'COLLECTION_NOT_FOUND')) throw error;
    }
  }

  function tenant(projectId: string, collection: string): Condition[] {
    return [
      { key: 'project_id', match: { value: projectId } },
      { key: 'collection', match: { value: collection } },
    ];
  }

  function scoped(projectId: string, collection: string, filter?: Filter): Schemas['Filter'] {
    return { must: [...tenant(projectId, collection), ...translateFilter(filter)] };
  }

  async function countIn(entry: RegistryEntry, projectId: string, filter?: Filter): Promise<number> {
    const result = await call('count', () => client.count(entry.physical, { filter: scoped(projectId, entry.name, filter), exact: true }));
    return result.count;
  }

  async function info(projectId: string, entry: RegistryEntry): Promise<CollectionInfo> {
    return { name: entry.name, model: entry.model, dimensions: entry.dimensions, distance: 'cosine', count: await countIn(entry, projectId) };
  }

  function denseValues(entry: RegistryEntry, vector: Float32Array, what: string): number[] {
    assertDimensions(entry, vector, what);
    return vectorToCompactArray(vector);
  }

  /**
   * Only the payload fields a read needs: content can be large. Like the embedded
   * store, get() includes content unless told not to; scroll and search only when asked.
   */
  function payloadFields(includeContent: boolean): string[] {
    return includeContent ? ['doc_id', 'metadata', 'vector_norm', 'content'] : ['doc_id', 'metadata', 'vector_norm'];
  }

  function toDocument(point: { payload?: Record<string, unknown> | null; vector?: unknown }, includeContent: boolean, includeVector: boolean): StoredDocument {
    const payload = point.payload ?? {};
    const doc: StoredDocument = { id: String(payload.doc_id), metadata: (payload.metadata ?? {}) as Metadata };
    if (includeContent) doc.content = typeof payload.content === 'string' ? payload.content : '';
    const dense = (point.vector as Record<string, unknown> | null | undefined)?.[DENSE];
    if (includeVector && Array.isArray(dense)) {
      // Qdrant keeps the unit vector; scale it back to what the caller stored.
      const norm = typeof payload.vector_norm === 'number' ? payload.vector_norm : 1;
      doc.vector = Float32Array.from(dense as number[], (x) => x * norm);
    }
    return doc;
  }

  /** Reads ask for the dense vector only: the sparse one is an index, not the caller's data. */
  function vectorSelector(includeVector: boolean): string[] | false {
    return includeVector ? [DENSE] : false;
  }

  /**
   * Reads content and vectors, as asked, into documents already listed (ids
   * and metadata), a chunk at a time so that what one Qdrant answer carries is
   * bounded, charging `budget` document by document. `refuse`: over the budget
   * is RESPONSE_TOO_LARGE; `truncate`: returns how many documents fit (at
   * least one). Without a budget, every document is filled.
   */
  async function fillDocuments(
    projectId: string,
    entry: RegistryEntry,
    documents: StoredDocument[],
    read: { includeContent: boolean; includeVector: boolean },
    budget: ResponseBudget | undefined,
    overflow: 'refuse' | 'truncate',
  ): Promise<number> {
    const worst = worstDocumentBytes(MAX_CONTENT_LENGTH, entry.dimensions, read.includeContent, read.includeVector);
    const chunk = budget ? Math.max(1, Math.min(FILL_CHUNK, Math.floor(budget.maxBytes / worst))) : FILL_CHUNK;
    for (let start = 0; start < documents.length; start += chunk) {
      const part = documents.slice(start, start + chunk);
      const points = await call('retrieve', () =>
        client.retrieve(entry.physical, {
          ids: part.map((document) => documentPointId(projectId, entry.name, document.id)),
          with_payload: read.includeContent ? ['doc_id', 'vector_norm', 'content'] : ['doc_id', 'vector_norm'],
          with_vector: vectorSelector(read.includeVector),
        }),
      );
      const byId = new Map(points.map((point) => [String(point.payload?.doc_id), toDocument(point, read.includeContent, read.includeVector)]));
      for (const [offset, document] of part.entries()) {
        const loaded = byId.get(document.id);
        if (read.includeContent) document.content = loaded?.content ?? '';
        if (read.includeVector && loaded?.vector) document.vector = loaded.vector;
        if (!budget) continue;
        if (overflow === 'refuse') budget.charge(documentBytes(document));
        else if (!budget.tryCharge(documentBytes(document))) return Math.max(1, start + offset);
      }
    }
    return documents.length;
  }

  /**
   * Completes an answer that is refused whole when over the budget (search, getMany): its content read
   * apart when the listing left it out (`apart`), else what came charged as it is.
   */
  async function settleAnswer(
    projectId: string,
    entry: RegistryEntry,
    documents: StoredDocument[],
    read: { includeContent: boolean; includeVector: boolean },
    budget: ResponseBudget | undefined,
    apart: boolean,
  ): Promise<void> {
    if (apart) await fillDocuments(projectId, entry, documents, read, budget, 'refuse');
    else for (const document of documents) budget?.charge(documentBytes(document));
  }

  /** How many of `items`, from the first, fit the budget (at least one: a page always moves on). */
  function fitting(items: StoredDocument[], budget: ResponseBudget): number {
    for (const [index, item] of items.entries()) {
      if (!budget.tryCharge(documentBytes(item))) return Math.max(1, index);
    }
    return items.length;
  }

  /**
   * How a read of up to `count` documents answers: what it returns (`read`; content by default only
   * where the port says so), within which byte budget, and whether content and vectors come in the
   * listing itself (`inline`) or, when an answer of `count` could exceed the budget, are read apart
   * afterwards, a chunk at a time (`apart`).
   */
  function readPlan(entry: RegistryEntry, count: number, options: ReadOptions | undefined, contentByDefault: boolean) {
    const read = { includeContent: options?.includeContent ?? contentByDefault, includeVector: options?.includeVector ?? false };
    const budget = options?.maxBytes === undefined ? undefined : new ResponseBudget(options.maxBytes);
    const apart =
      budget !== undefined &&
      (read.includeContent || read.includeVector) &&
      count * worstDocumentBytes(MAX_CONTENT_LENGTH, entry.dimensions, read.includeContent, read.includeVector) > budget.maxBytes;
    return { read, budget, apart, inline: { content: read.includeContent && !apart, vector: read.includeVector && !apart } };
  }

  const store: QdrantVectorStore = {
    provider: 'qdrant',
    checkCollection,

    async createCollection(projectId, name, spec: CollectionSpec) {
      const existing = await findEntry(projectId, name);
      if (existing) {
        hints.set(hintKey(projectId, name), existing);
        return info(projectId, existing);
      }
      const physical = await checkCollection(spec.model, spec.dimensions);
      await ensureCollection(registry, 1, REGISTRY_INDEXES, false);
      const entry: RegistryEntry = { name, model: spec.model, dimensions: spec.dimensions, physical };
      await call('upsert', () =>
        client.upsert(registry, {
          wait: true,
          points: [
            {
              id: registryPointId(projectId, name),
              vector: [1],
              payload: {
                project_id: projectId,
                collection: name,
                model: spec.model,
                dimensions: spec.dimensions,
                physical,
                created_at: new Date().toISOString(),
              },
            },
          ],
        }),
      );
      // A deletion elsewhere may have dropped the physical collection between the check and the registration.
      await checkCollection(spec.model, spec.dimensions);
      hints.set(hintKey(projectId, name), entry);
      return info(projectId, entry);
    },

    async getCollection(projectId, name) {
      const entry = await findEntry(projectId, name);
      return entry ? info(projectId, entry) : null;
    },

    async listCollections(projectId) {
      const entries = await projectEntries(projectId);
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return Promise.all(entries.map((entry) => info(projectId, entry)));
    },

    async deleteCollection(projectId, name) {
      hints.delete(hintKey(projectId, name));
      const entry = await findEntry(projectId, name);
      if (!entry) return false;
      // Points first, registry entry last: a failure in between leaves a collection that can be deleted again.
      await ignoreMissing(call('delete', () => client.delete(entry.physical, { wait: true, filter: { must: tenant(projectId, name) } })));
      await call('delete', () => client.delete(registry, { wait: true, points: [registryPointId(projectId, name)] }));
      await dropUnused([entry.physical]);
      return true;
    },

    async upsert(projectId, collection, documents: VectorDocument[]) {
      return withEntry(
        projectId,
        collection,
        async (entry) => {
          const points = documents.map((doc) => {
            const vector = denseValues(entry, doc.vector, `vector of document "${doc.id}"`);
            const norm = vectorNorm(doc.vector);
            const terms = documentSparseVector(doc.content);
            return {
              id: documentPointId(projectId, collection, doc.id),
              // A document without a word has no sparse vector: keyword search never finds it.
              vector: terms ? { [DENSE]: vector, [SPARSE]: terms } : { [DENSE]: vector },
              payload: { project_id: projectId, collection, doc_id: doc.id, content: doc.content, metadata: doc.metadata, vector_norm: norm },
            };
          });
          if (points.length === 0) return;
          // One request: Qdrant applies a single upsert operation whole.
          await call('upsert', () => client.upsert(entry.physical, { wait: true, points }));
        },
        // Written on a stale hint (the collection was deleted or re-created elsewhere): taken out again, so no later collection of that name shows them.
        (stale) =>
          ignoreMissing(
            call('delete', () => client.delete(stale.physical, { wait: true, points: documents.map((doc) => documentPointId(projectId, collection, doc.id)) })),
          ),
      );
    },

    async getMany(projectId, collection, ids, opts) {
      return withEntry(projectId, collection, async (entry) => {
        const unique = [...new Set(ids)];
        const { read, budget, apart, inline } = readPlan(entry, unique.length, opts, true);
        const found = new Map<string, StoredDocument>();
        for (let start = 0; start < unique.length; start += FILL_CHUNK) {
          const points = await call('retrieve', () =>
            client.retrieve(entry.physical, {
              ids: unique.slice(start, start + FILL_CHUNK).map((id) => documentPointId(projectId, collection, id)),
              with_payload: [...payloadFields(inline.content), 'project_id', 'collection'],
              with_vector: vectorSelector(inline.vector),
            }),
          );
          for (const point of points) {
            if (point.payload?.project_id !== projectId || point.payload?.collection !== collection) continue;
            found.set(String(point.payload.doc_id), toDocument(point, inline.content, inline.vector));
          }
        }
        const documents = ids.flatMap((id) => found.get(id) ?? []);
        await settleAnswer(projectId, entry, documents, read, budget, apart);
        return documents;
      });
    },

    async scroll(projectId, collection, request: ScrollRequest): Promise<ScrollPage> {
      return withEntry(projectId, collection, async (entry) => {
        const filter = scoped(projectId, collection, request.filter);
        const offset =
          request.cursor === undefined ? undefined : decodeCursor(request.cursor, isScrollPosition, 'cursor is not one this collection handed out').o;
        const { read, budget, apart, inline } = readPlan(entry, request.limit, request, false);
        const page = await call('scroll', () =>
          client.scroll(entry.physical, {
            filter,
            limit: request.limit,
            offset,
            with_payload: payloadFields(inline.content),
            with_vector: vectorSelector(inline.vector),
          }),
        );
        const items = page.points.map((p) => toDocument(p, inline.content, inline.vector));
        let kept = items.length;
        if (apart) kept = await fillDocuments(projectId, entry, items, read, budget, 'truncate');
        else if (budget) kept = fitting(items, budget);
        if (kept < items.length) {
          // Over the budget: the page ends early; Qdrant's offset is inclusive, so the next page starts at the first left out.
          return { items: items.slice(0, kept), nextCursor: encodeCursor({ o: documentPointId(projectId, collection, items[kept]!.id) }) };
        }
        const next = page.next_page_offset;
        return { items, nextCursor: next === null || next === undefined ? null : encodeCursor({ o: next }) };
      });
    },

    async search(projectId, collection, request: SearchRequest): Promise<SearchHit[]> {
      if (request.mode !== 'vector' && request.mode !== 'keyword') {
        const mode = (request as { mode: unknown }).mode;
        throw new AppError('UNSUPPORTED_SEARCH_MODE', `search mode "${String(mode)}" is not one this store answers; use vector or keyword`);
      }
      return withEntry(projectId, collection, async (entry) => {
        const filter = scoped(projectId, collection, request.filter);
        let query: number[] | { indices: number[]; values: number[] };
        if (request.mode === 'vector') {
          query = denseValues(entry, request.vector, 'query vector');
        } else {
          const terms = querySparseVector(request.text);
          if (!terms) return [];
          query = terms;
        }
        const { read, budget, apart, inline } = readPlan(entry, request.limit, request, false);
        const result = await call('query', () =>
          client.query(entry.physical, {
            query,
            using: request.mode === 'vector' ? DENSE : SPARSE,
            filter,
            limit: request.limit,
            score_threshold: request.threshold,
            with_payload: payloadFields(inline.content),
            with_vector: vectorSelector(inline.vector),
          }),
        );
        const hits: SearchHit[] = result.points.map((p) => ({ ...toDocument(p, inline.content, inline.vector), score: p.score }));
        await settleAnswer(projectId, entry, hits, read, budget, apart);
        return hits;
      });
    },

    async deleteByIds(projectId, collection, ids) {
      return withEntry(projectId, collection, async (entry) => {
        const pointIds = [...new Set(ids.map((id) => documentPointId(projectId, collection, id)))];
        if (pointIds.length === 0) return 0;
        const found = await call('retrieve', () =>
          client.retrieve(entry.physical, { ids: pointIds, with_payload: ['project_id', 'collection'], with_vector: false }),
        );
        const existing = found.filter((p) => p.payload?.project_id === projectId && p.payload?.collection === collection).map((p) => p.id);
        if (existing.length === 0) return 0;
        await call('delete', () => client.delete(entry.physical, { wait: true, points: existing }));
        return existing.length;
      });
    },

    async deleteByFilter(projectId, collection, filter) {
      return withEntry(projectId, collection, async (entry) => {
        const scopedFilter = scoped(projectId, collection, filter);
        // Qdrant's delete does not say how many points it removed: count exactly first.
        const { count } = await call('count', () => client.count(entry.physical, { filter: scopedFilter, exact: true }));
        if (count === 0) return 0;
        await call('delete', () => client.delete(entry.physical, { wait: true, filter: scopedFilter }));
        return count;
      });
    },

    async deleteProject(projectId) {
      // The registry knows every physical collection the project has points in: upserts need an entry
      // (one written on a stale hint is undone), and deleteCollection removes points before the entry.
      const entries = await projectEntries(projectId);
      for (const entry of entries) hints.delete(hintKey(projectId, entry.name));
      if (entries.length === 0) return;
      const byProject = { must: [{ key: 'project_id', match: { value: projectId } }] };
      for (const name of new Set(entries.map((e) => e.physical))) {
        await ignoreMissing(call('delete', () => client.delete(name, { wait: true, filter: byProject })));
      }
      await call('delete', () => client.delete(registry, { wait: true, filter: byProject }));
      await dropUnused(entries.map((e) => e.physical));
    },

    async health() {
      // An authenticated call (GET / is open), tried once: health reports the state now.
      await call('collectionExists', () => client.collectionExists(registry), 0);
    },

    async close() {
      // The client holds no resources that need closing; pooled sockets time out by themselves.
    },
  };
  return store;
}
