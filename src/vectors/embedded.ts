/**
 * The embedded vector store: the default in local mode, with no server to run.
 *
 * - Truth is one SQLite file (`<dataDir>/vectors.sqlite`): documents with their
 *   original vectors as Float32 BLOBs, one FTS5 table per collection for
 *   keyword search. WAL with synchronous=FULL: a resolved upsert is on disk
 *   (NORMAL could lose the last commits on power loss, and an fsync per batch
 *   of up to 1,000 documents is cheap), and each upsert is one transaction, so
 *   a crash leaves a batch wholly present or wholly absent.
 * - Searches read memory (see embedded/memory.ts): every live vector,
 *   normalised, and its parsed metadata.
 * - Like Qdrant, writes land at once and the HNSW index (embedded/ann.ts) is
 *   built later by a worker thread; documents newer than the index (the tail)
 *   are scanned exactly, so a search never misses a fresh write, and every
 *   index candidate is checked against memory, so a deleted or replaced
 *   document never comes back.
 * - Filters: when the filter keeps few documents, those are scanned exactly;
 *   otherwise the index is oversampled in proportion to the filter's measured
 *   selectivity, and when too few candidates pass, the search falls back to
 *   an exact scan. No result fails the filter and none is silently lost.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { AppError } from '../errors.js';
import { defaultAnnParams, annCandidates, openAnnIndex, runBuild, type AnnIndex, type AnnParams, type BuildRequest } from './embedded/ann.js';
import { CollectionMemory, TopK, normalize, type ScoredSlot } from './embedded/memory.js';
import { SubsetCache, scanSubset } from './embedded/subsets.js';
import { compileFilter, isEmptyFilter, type MetadataPredicate } from './filter.js';
import type {
  CollectionInfo,
  CollectionSpec,
  Filter,
  Metadata,
  ScrollPage,
  ScrollRequest,
  SearchHit,
  SearchRequest,
  StoredDocument,
  VectorDocument,
  VectorStore,
} from './port.js';

export interface EmbeddedLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface EmbeddedVectorStoreOptions {
  dataDir: string;
  log?: EmbeddedLog;
  /** Index a collection once this many of its documents are not yet indexed (default 2,000: an exact scan of that many takes ~1 ms). */
  indexThreshold?: number;
  /** Threads the index worker uses (default 1: leaves a core for requests). */
  indexThreads?: number;
  annParams?: Partial<AnnParams>;
  /** A filtered search scans its matches exactly up to this many multiply-adds (default 1,000,000, ~1 ms); tests lower it to reach the other paths. */
  exactScanBudget?: number;
  /** Bytes of packed filtered subsets cached per collection (default 32 MB). */
  filterCacheBytes?: number;
}

export interface IndexStatus {
  /** Vectors in the ANN index (dead labels included). */
  indexed: number;
  /** Live documents newer than the index, answered by exact scan. */
  pending: number;
  building: boolean;
}

export interface EmbeddedVectorStore extends VectorStore {
  readonly provider: 'embedded';
  indexStatus(projectId: string, collection: string): Promise<IndexStatus>;
  /** Resolves once no index build is queued or running (for tests and benchmarks). */
  waitForIndexing(): Promise<void>;
}

interface CollectionRow {
  id: number;
  project_id: string;
  name: string;
  dimensions: number;
  model: string;
  ann_file: string | null;
  ann_watermark: number;
  ann_size: number;
  ann_checksum: string | null;
}

interface LoadedCollection {
  row: CollectionRow;
  memory: CollectionMemory;
  ann: AnnIndex | null;
  fts: { insert: Database.Statement; remove: Database.Statement; search: Database.Statement };
  subsets: SubsetCache;
}

/** Candidates asked of the index beyond the limit: re-ranking recovers what i8 quantisation blurs. */
const OVERSAMPLE_FACTOR = 4;
const OVERSAMPLE_MIN = 40;
/**
 * With a filter passing a share s of documents, asking the index for
 * limit * 2 / s candidates expects twice the passing hits needed; a shortfall
 * falls back to an exact scan, so this trades latency, never correctness.
 */
const FILTERED_OVERSAMPLE_FACTOR = 2;
/** By default, a filtered exact scan is chosen when it costs at most this many multiply-adds (~1 ms). */
const EXACT_SCAN_BUDGET = 1_000_000;
const SELECTIVITY_SAMPLE = 512;
/**
 * Below this share of documents passing a filter, the HNSW top-k would have to
 * be huge to hold enough that pass (on clustered data, 10% needs k ~ 1,000 for
 * recall 0.96): scan the packed matching subset instead (embedded/subsets.ts).
 */
const GRAPH_MIN_SHARE = 0.3;
const MAX_QUERY_TERMS = 64;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS vector_collections (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  dimensions INTEGER NOT NULL,
  model TEXT NOT NULL,
  created_at TEXT NOT NULL,
  ann_file TEXT,
  ann_watermark INTEGER NOT NULL DEFAULT 0,
  ann_size INTEGER NOT NULL DEFAULT 0,
  ann_checksum TEXT,
  UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS vector_documents (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id INTEGER NOT NULL,
  doc_id TEXT NOT NULL,
  content TEXT NOT NULL,
  metadata TEXT NOT NULL,
  vector BLOB NOT NULL,
  UNIQUE (collection_id, doc_id)
);
CREATE INDEX IF NOT EXISTS vector_documents_by_seq ON vector_documents (collection_id, seq);
`;

function ftsTable(collectionId: number): string {
  // The name comes from our own integer id, never from a caller.
  return `vector_fts_${Math.trunc(collectionId)}`;
}

function toBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function fromBlob(blob: Buffer, dimensions: number): Float32Array {
  // Copy through bytes: a blob's offset in its buffer need not be 4-byte aligned.
  const vector = new Float32Array(dimensions);
  new Uint8Array(vector.buffer).set(blob.subarray(0, dimensions * 4));
  return vector;
}

function copyMetadata(metadata: Metadata): Metadata {
  const copy: Metadata = {};
  for (const [key, value] of Object.entries(metadata)) copy[key] = Array.isArray(value) ? [...value] : value;
  return copy;
}

function encodeCursor(afterId: string): string {
  return Buffer.from(JSON.stringify({ after: afterId }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { after?: unknown }).after === 'string') {
      return (parsed as { after: string }).after;
    }
  } catch {
    // fall through: any undecodable cursor is the caller's error
  }
  throw new AppError('INVALID_CURSOR', 'cursor is not one this service issued');
}

function checkVector(vector: Float32Array, dimensions: number, collection: string, what: string): void {
  if (!(vector instanceof Float32Array)) throw new AppError('INVALID_VECTOR', `${what} must be a Float32Array`);
  if (vector.length !== dimensions) {
    throw new AppError('DIMENSION_MISMATCH', `${what} has ${vector.length} dimensions but collection \`${collection}\` expects ${dimensions}`);
  }
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) throw new AppError('INVALID_VECTOR', `${what} has a non-finite value (${vector[i]}) at index ${i}`);
  }
}

function isScalar(value: unknown): value is string | boolean | number {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** Metadata is flat (DESIGN.md section 4): scalars, null, or arrays of scalars; filters rely on it. */
function checkMetadata(metadata: unknown, id: string): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new AppError('VALIDATION_FAILED', `document \`${id}\`: metadata must be an object`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (value === null || isScalar(value) || (Array.isArray(value) && value.every(isScalar))) continue;
    throw new AppError('VALIDATION_FAILED', `document \`${id}\`: metadata \`${key}\` must be a string, finite number, boolean, null or an array of those`);
  }
}

/** FTS5 query: each word of the text quoted (so no FTS syntax leaks through), any word matching. */
function ftsQuery(text: string): string | null {
  const terms = text.split(/[^\p{L}\p{N}]+/u).filter((term) => term.length > 0).slice(0, MAX_QUERY_TERMS);
  return terms.length === 0 ? null : terms.map((term) => `"${term}"`).join(' OR ');
}

export async function createEmbeddedVectorStore(options: EmbeddedVectorStoreOptions): Promise<EmbeddedVectorStore> {
  const indexThreshold = Math.max(1, options.indexThreshold ?? 2000);
  const indexThreads = Math.max(1, options.indexThreads ?? 1);
  const annParams: AnnParams = { ...defaultAnnParams, ...options.annParams };
  const filterCacheBytes = options.filterCacheBytes ?? 32 * 1024 * 1024;
  const exactScanBudget = options.exactScanBudget ?? EXACT_SCAN_BUDGET;
  const log = options.log;
  const indexDir = join(options.dataDir, 'vector-index');
  const dbPath = join(options.dataDir, 'vectors.sqlite');
  mkdirSync(indexDir, { recursive: true });

  let db: Database.Database;
  try {
    db = new Database(dbPath);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
  } catch (error) {
    throw new AppError('PROVIDER_UNAVAILABLE', `embedded vector store cannot open ${dbPath}: ${(error as Error).message}`, { cause: error, retryAfter: 5 });
  }

  const sql = {
    insertCollection: db.prepare('INSERT INTO vector_collections (project_id, name, dimensions, model, created_at) VALUES (?, ?, ?, ?, ?)'),
    collection: db.prepare('SELECT * FROM vector_collections WHERE project_id = ? AND name = ?'),
    collections: db.prepare('SELECT * FROM vector_collections WHERE project_id = ? ORDER BY name'),
    allIndexFiles: db.prepare('SELECT ann_file FROM vector_collections WHERE ann_file IS NOT NULL').pluck(),
    deleteCollection: db.prepare('DELETE FROM vector_collections WHERE id = ?'),
    setAnn: db.prepare('UPDATE vector_collections SET ann_file = ?, ann_watermark = ?, ann_size = ?, ann_checksum = ? WHERE id = ?'),
    countDocuments: db.prepare('SELECT count(*) FROM vector_documents WHERE collection_id = ?').pluck(),
    loadDocuments: db.prepare('SELECT seq, doc_id, metadata, vector FROM vector_documents WHERE collection_id = ? ORDER BY seq').raw(),
    deleteDocuments: db.prepare('DELETE FROM vector_documents WHERE collection_id = ?'),
    insertDocument: db.prepare('INSERT INTO vector_documents (collection_id, doc_id, content, metadata, vector) VALUES (?, ?, ?, ?, ?)'),
    deleteDocument: db.prepare('DELETE FROM vector_documents WHERE collection_id = ? AND doc_id = ? RETURNING seq').pluck(),
    document: db.prepare('SELECT doc_id, content, metadata, vector FROM vector_documents WHERE collection_id = ? AND doc_id = ?'),
    documentBySeq: db.prepare('SELECT content, vector FROM vector_documents WHERE seq = ?'),
    scrollFrom: db.prepare('SELECT doc_id, content, metadata, vector FROM vector_documents WHERE collection_id = ? AND doc_id > ? ORDER BY doc_id'),
  };

  const loaded = new Map<number, LoadedCollection>();
  const buildQueue: number[] = [];
  let building: { collectionId: number; worker: Worker | null } | null = null;
  let idleWaiters: Array<() => void> = [];
  /** Collections whose last build failed: retried on their next write, not in a loop. */
  const failed = new Set<number>();
  let fileCounter = 0;
  let closed = false;

  removeOrphanIndexFiles();

  function removeOrphanIndexFiles(): void {
    // A crash between writing an index file and recording it leaves an orphan.
    const referenced = new Set(sql.allIndexFiles.all() as string[]);
    for (const file of readdirSync(indexDir)) {
      if (!referenced.has(file)) rmSync(join(indexDir, file), { force: true });
    }
  }

  function ensureOpen(): void {
    if (closed) throw new AppError('PROVIDER_UNAVAILABLE', 'embedded vector store is closed', { retryAfter: 1 });
  }

  function info(row: CollectionRow, count: number): CollectionInfo {
    return { name: row.name, dimensions: row.dimensions, model: row.model, distance: 'cosine', count };
  }

  function findRow(projectId: string, name: string): CollectionRow | undefined {
    return sql.collection.get(projectId, name) as CollectionRow | undefined;
  }

  function ftsStatements(collectionId: number): LoadedCollection['fts'] {
    const table = ftsTable(collectionId);
    return {
      insert: db.prepare(`INSERT INTO ${table} (rowid, content) VALUES (?, ?)`),
      remove: db.prepare(`DELETE FROM ${table} WHERE rowid = ?`),
      // bm25() is lower-is-better and negative: negate it so a higher score is more relevant.
      search: db.prepare(`SELECT rowid, -bm25(${table}) FROM ${table} WHERE ${table} MATCH ? ORDER BY bm25(${table})`).raw(),
    };
  }

  /** Reads a collection into memory on first use, and maps its index file. */
  function load(row: CollectionRow): LoadedCollection {
    const cached = loaded.get(row.id);
    if (cached) return cached;
    const memory = new CollectionMemory(row.dimensions);
    for (const [seq, id, metadata, blob] of sql.loadDocuments.iterate(BigInt(row.id)) as IterableIterator<[number, string, string, Buffer]>) {
      memory.append(seq, id, JSON.parse(metadata) as Metadata, normalize(fromBlob(blob, row.dimensions)));
    }
    let ann: AnnIndex | null = null;
    if (row.ann_file) {
      try {
        ann = openAnnIndex(join(indexDir, row.ann_file), row.dimensions, annParams, row.ann_watermark, row.ann_size, row.ann_checksum ?? '');
      } catch (error) {
        // Not fatal: exact scans answer until the worker rebuilds it.
        log?.warn({ err: error, collection: row.name, projectId: row.project_id }, 'vector index unreadable; rebuilding');
        sql.setAnn.run(null, 0, 0, null, row.id);
      }
    }
    const collection: LoadedCollection = { row, memory, ann, fts: ftsStatements(row.id), subsets: new SubsetCache(filterCacheBytes) };
    loaded.set(row.id, collection);
    considerBuild(collection);
    return collection;
  }

  function open(projectId: string, name: string): LoadedCollection {
    ensureOpen();
    const row = findRow(projectId, name);
    if (!row) throw new AppError('COLLECTION_NOT_FOUND', `collection \`${name}\` does not exist in project \`${projectId}\``);
    return load(row);
  }

  // ---- index building -------------------------------------------------------

  type BuildPlan = { kind: 'none' } | { kind: 'drop' } | { kind: 'build'; previousFile: string | null; fromSeq: number };

  function planBuild(collection: LoadedCollection): BuildPlan {
    const { memory, ann } = collection;
    const tailStart = ann ? memory.firstSlotAfter(ann.watermark) : 0;
    const tailLive = memory.countLive(tailStart, memory.size);
    const deadInIndex = ann ? ann.size - (memory.liveCount - tailLive) : 0;
    // Replacements and deletes leave dead labels; past a quarter, rebuild rather than extend.
    if (!ann || deadInIndex > Math.max(indexThreshold, ann.size / 4)) {
      if (memory.liveCount >= indexThreshold) return { kind: 'build', previousFile: null, fromSeq: 0 };
      return ann ? { kind: 'drop' } : { kind: 'none' };
    }
    if (tailLive >= indexThreshold) return { kind: 'build', previousFile: ann.file, fromSeq: ann.watermark };
    return { kind: 'none' };
  }

  function considerBuild(collection: LoadedCollection): void {
    const id = collection.row.id;
    if (closed || failed.has(id) || building?.collectionId === id || buildQueue.includes(id)) return;
    if (planBuild(collection).kind === 'none') return;
    buildQueue.push(id);
    void pump();
  }

  function setAnn(collection: LoadedCollection, ann: AnnIndex | null): void {
    const previous = collection.ann;
    sql.setAnn.run(ann ? ann.file.slice(indexDir.length + 1) : null, ann?.watermark ?? 0, ann?.size ?? 0, ann?.checksum ?? null, collection.row.id);
    collection.ann = ann;
    // The old mapping stays valid until garbage-collected; unlinking now only frees the name.
    if (previous && previous.file !== ann?.file) rmSync(previous.file, { force: true });
  }

  async function pump(): Promise<void> {
    if (building || closed) return;
    const collectionId = buildQueue.shift();
    if (collectionId === undefined) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
      return;
    }
    const collection = loaded.get(collectionId);
    const plan = collection ? planBuild(collection) : ({ kind: 'none' } as const);
    if (!collection || plan.kind === 'none') return pump();
    if (plan.kind === 'drop') {
      setAnn(collection, null);
      return pump();
    }

    const outFile = join(indexDir, `c${collectionId}-${Date.now()}-${fileCounter++}.usearch`);
    const request: BuildRequest = {
      dbPath,
      collectionId,
      dimensions: collection.row.dimensions,
      previousFile: plan.previousFile,
      fromSeq: plan.fromSeq,
      outFile,
      threads: indexThreads,
      params: annParams,
    };
    building = { collectionId, worker: null };
    const started = Date.now();
    try {
      const result = await runBuild(request, (worker) => {
        if (building) building.worker = worker;
      });
      const current = loaded.get(collectionId);
      if (closed || current !== collection) {
        rmSync(outFile, { force: true });
      } else {
        setAnn(collection, { ...openAnnIndex(outFile, collection.row.dimensions, annParams, result.watermark, result.size), checksum: result.checksum });
        log?.info(
          { projectId: collection.row.project_id, collection: collection.row.name, indexed: result.size, incremental: plan.previousFile !== null, ms: Date.now() - started },
          'vector index built',
        );
      }
    } catch (error) {
      rmSync(outFile, { force: true });
      rmSync(`${outFile}.tmp`, { force: true });
      // Exact scans keep answering; the next write retries the build.
      failed.add(collectionId);
      if (!closed) log?.warn({ err: error, collectionId }, 'vector index build failed');
    } finally {
      building = null;
    }
    if (closed) return;
    const current = loaded.get(collectionId);
    if (current) considerBuild(current);
    return pump();
  }

  // ---- search ------------------------------------------------------------------

  /** Share of the slots [0, end) passing the predicate, from a random sample. */
  function selectivity(memory: CollectionMemory, end: number, predicate: MetadataPredicate): number {
    // Random, not strided: a stride aliases with periodic data (every 10th chunk a language, say).
    let seen = 0;
    let passed = 0;
    for (let draw = 0; draw < SELECTIVITY_SAMPLE; draw++) {
      const slot = Math.floor(Math.random() * end);
      if (!memory.isAlive(slot)) continue;
      seen++;
      if (predicate(memory.metadataOf(slot))) passed++;
    }
    return seen === 0 ? 0 : passed / seen;
  }

  function nearest(collection: LoadedCollection, query: Float32Array, limit: number, filter?: { key: string; predicate: MetadataPredicate }): ScoredSlot[] {
    const { memory, ann } = collection;
    const predicate = filter?.predicate;
    const exact = (): ScoredSlot[] => {
      const top = new TopK(limit);
      memory.scan(0, memory.size, query, top, predicate);
      return top.sorted();
    };
    const packed = (key: string, keep: MetadataPredicate): ScoredSlot[] => {
      const subset = collection.subsets.get(key, memory, () => memory.matching(keep));
      const top = new TopK(limit);
      for (const slot of scanSubset(subset, memory, query, limit * OVERSAMPLE_FACTOR + OVERSAMPLE_MIN)) top.push(slot, memory.dot(slot, query));
      return top.sorted();
    };

    let share = 1;
    if (filter) {
      share = selectivity(memory, memory.size, filter.predicate);
      if (share * memory.liveCount * memory.dimensions <= exactScanBudget) return exact();
      if (!ann || share < GRAPH_MIN_SHARE) return packed(filter.key, filter.predicate);
    }
    if (!ann) return exact();

    // The graph answers for indexed documents; the tail newer than the index is scanned exactly.
    const tailStart = memory.firstSlotAfter(ann.watermark);
    const top = new TopK(limit);
    memory.scan(tailStart, memory.size, query, top, predicate);
    const indexedLive = memory.liveCount - memory.countLive(tailStart, memory.size);
    if (indexedLive === 0) return top.sorted();
    const k = filter ? Math.ceil((limit * FILTERED_OVERSAMPLE_FACTOR) / share) + OVERSAMPLE_MIN : limit * OVERSAMPLE_FACTOR + OVERSAMPLE_MIN;
    if (k >= ann.size) return filter ? packed(filter.key, filter.predicate) : exact();

    let passed = 0;
    for (const seq of annCandidates(ann, query, k)) {
      const slot = memory.slotOfSeq(seq);
      if (slot === undefined) continue; // deleted or replaced since indexing
      if (predicate && !predicate(memory.metadataOf(slot))) continue;
      passed++;
      top.push(slot, memory.dot(slot, query));
    }
    // Too few candidates survived the filter or the tombstones: answer from every match rather than short.
    if (passed < Math.min(limit, indexedLive)) return filter ? packed(filter.key, filter.predicate) : exact();
    return top.sorted();
  }

  function keywordSlots(collection: LoadedCollection, text: string, limit: number, threshold: number | undefined, predicate?: MetadataPredicate): ScoredSlot[] {
    const query = ftsQuery(text);
    if (query === null) return [];
    const hits: ScoredSlot[] = [];
    for (const [seq, score] of collection.fts.search.iterate(query) as IterableIterator<[number, number]>) {
      if (threshold !== undefined && score <= threshold) break; // rows arrive best first
      const slot = collection.memory.slotOfSeq(seq);
      if (slot === undefined) continue;
      if (predicate && !predicate(collection.memory.metadataOf(slot))) continue;
      hits.push({ slot, score });
      if (hits.length >= limit) break;
    }
    return hits;
  }

  function materialize(collection: LoadedCollection, hits: ScoredSlot[], request: { includeContent?: boolean; includeVector?: boolean }): SearchHit[] {
    const { memory, row } = collection;
    return hits.map(({ slot, score }) => {
      const hit: SearchHit = { id: memory.idOf(slot), score, metadata: copyMetadata(memory.metadataOf(slot)) };
      if (request.includeContent || request.includeVector) {
        const stored = sql.documentBySeq.get(BigInt(memory.seqOf(slot))) as { content: string; vector: Buffer };
        if (request.includeContent) hit.content = stored.content;
        if (request.includeVector) hit.vector = fromBlob(stored.vector, row.dimensions);
      }
      return hit;
    });
  }

  function predicateFor(filter: Filter | undefined): MetadataPredicate | undefined {
    const predicate = compileFilter(filter); // validates even an empty one
    return isEmptyFilter(filter) ? undefined : predicate;
  }

  // ---- writes ------------------------------------------------------------------

  /** Deletes ids in one transaction, then from memory; returns how many existed. */
  function deleteIds(collection: LoadedCollection, ids: Iterable<string>): number {
    const unique = [...new Set(ids)];
    const deleted = db.transaction(() => {
      let count = 0;
      for (const id of unique) {
        const seq = sql.deleteDocument.get(BigInt(collection.row.id), id) as number | undefined;
        if (seq === undefined) continue;
        collection.fts.remove.run(BigInt(seq));
        count++;
      }
      return count;
    })();
    for (const id of unique) collection.memory.remove(id);
    afterWrite(collection);
    return deleted;
  }

  function afterWrite(collection: LoadedCollection): void {
    collection.memory.compactIfWorthIt();
    failed.delete(collection.row.id);
    considerBuild(collection);
  }

  function dropCollection(row: CollectionRow): void {
    db.transaction(() => {
      sql.deleteDocuments.run(BigInt(row.id));
      db.exec(`DROP TABLE IF EXISTS ${ftsTable(row.id)}`);
      sql.deleteCollection.run(BigInt(row.id));
    })();
    loaded.delete(row.id);
    const queued = buildQueue.indexOf(row.id);
    if (queued >= 0) buildQueue.splice(queued, 1);
    if (row.ann_file) rmSync(join(indexDir, row.ann_file), { force: true });
  }

  const store: EmbeddedVectorStore = {
    provider: 'embedded',

    async createCollection(projectId, name, spec: CollectionSpec) {
      ensureOpen();
      if (!Number.isInteger(spec.dimensions) || spec.dimensions < 1 || spec.dimensions > 65536) {
        throw new AppError('VALIDATION_FAILED', `dimensions must be an integer from 1 to 65536, got ${spec.dimensions}`);
      }
      if (typeof spec.model !== 'string' || spec.model.length === 0) throw new AppError('VALIDATION_FAILED', 'model must be a non-empty string');
      const existing = findRow(projectId, name);
      if (existing) {
        if (existing.dimensions !== spec.dimensions || existing.model !== spec.model) {
          throw new AppError(
            'COLLECTION_CONFLICT',
            `collection \`${name}\` exists with ${existing.dimensions} dimensions and model \`${existing.model}\`, not ${spec.dimensions} and \`${spec.model}\``,
          );
        }
        return info(existing, load(existing).memory.liveCount);
      }
      const row = db.transaction(() => {
        const id = Number(sql.insertCollection.run(projectId, name, spec.dimensions, spec.model, new Date().toISOString()).lastInsertRowid);
        // contentless: the text lives in vector_documents; FTS keeps only its index.
        db.exec(`CREATE VIRTUAL TABLE ${ftsTable(id)} USING fts5(content, content='', contentless_delete=1)`);
        return findRow(projectId, name)!;
      })();
      return info(row, load(row).memory.liveCount);
    },

    async getCollection(projectId, name) {
      ensureOpen();
      const row = findRow(projectId, name);
      if (!row) return null;
      // Answer from memory when loaded; counting in SQL avoids loading a collection just to describe it.
      const cached = loaded.get(row.id);
      return info(row, cached ? cached.memory.liveCount : (sql.countDocuments.get(BigInt(row.id)) as number));
    },

    async listCollections(projectId) {
      ensureOpen();
      return (sql.collections.all(projectId) as CollectionRow[]).map((row) => {
        const cached = loaded.get(row.id);
        return info(row, cached ? cached.memory.liveCount : (sql.countDocuments.get(BigInt(row.id)) as number));
      });
    },

    async deleteCollection(projectId, name) {
      ensureOpen();
      const row = findRow(projectId, name);
      if (!row) return false;
      dropCollection(row);
      return true;
    },

    async upsert(projectId, name, documents: VectorDocument[]) {
      const collection = open(projectId, name);
      const { row, memory, fts } = collection;
      // Validate everything before writing anything: the batch is all or nothing.
      const latest = new Map<string, VectorDocument>();
      for (const document of documents) {
        if (typeof document.id !== 'string' || document.id.length === 0) throw new AppError('VALIDATION_FAILED', 'document id must be a non-empty string');
        if (typeof document.content !== 'string') throw new AppError('VALIDATION_FAILED', `document \`${document.id}\`: content must be a string`);
        checkMetadata(document.metadata, document.id);
        checkVector(document.vector, row.dimensions, row.name, `vector of document \`${document.id}\``);
        // A repeated id in one batch: the last one wins, as in Qdrant.
        latest.delete(document.id);
        latest.set(document.id, document);
      }
      const batch = [...latest.values()];
      const collectionId = BigInt(row.id);
      const seqs = db.transaction(() =>
        batch.map((document) => {
          const old = sql.deleteDocument.get(collectionId, document.id) as number | undefined;
          if (old !== undefined) fts.remove.run(BigInt(old));
          const seq = sql.insertDocument.run(collectionId, document.id, document.content, JSON.stringify(document.metadata), toBlob(document.vector)).lastInsertRowid;
          fts.insert.run(BigInt(seq), document.content);
          return Number(seq);
        }),
      )();
      // Committed: only now does memory change, so a failed batch leaves no trace.
      batch.forEach((document, i) => memory.append(seqs[i]!, document.id, copyMetadata(document.metadata), normalize(document.vector)));
      afterWrite(collection);
    },

    async get(projectId, name, id, options = {}) {
      const collection = open(projectId, name);
      const stored = sql.document.get(BigInt(collection.row.id), id) as { doc_id: string; content: string; metadata: string; vector: Buffer } | undefined;
      if (!stored) return null;
      const document: StoredDocument = { id: stored.doc_id, metadata: JSON.parse(stored.metadata) as Metadata };
      if (options.includeContent ?? true) document.content = stored.content;
      if (options.includeVector) document.vector = fromBlob(stored.vector, collection.row.dimensions);
      return document;
    },

    async scroll(projectId, name, request: ScrollRequest): Promise<ScrollPage> {
      const collection = open(projectId, name);
      const predicate = predicateFor(request.filter);
      const after = request.cursor === undefined ? '' : decodeCursor(request.cursor);
      const limit = Math.max(1, Math.floor(request.limit));
      const items: StoredDocument[] = [];
      let more = false;
      // Ordered by id through the (collection_id, doc_id) index, so pages never overlap or skip.
      for (const stored of sql.scrollFrom.iterate(BigInt(collection.row.id), after) as IterableIterator<{ doc_id: string; content: string; metadata: string; vector: Buffer }>) {
        const metadata = JSON.parse(stored.metadata) as Metadata;
        if (predicate && !predicate(metadata)) continue;
        if (items.length === limit) {
          more = true;
          break;
        }
        const document: StoredDocument = { id: stored.doc_id, metadata };
        if (request.includeContent) document.content = stored.content;
        if (request.includeVector) document.vector = fromBlob(stored.vector, collection.row.dimensions);
        items.push(document);
      }
      return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!.id) : null };
    },

    async search(projectId, name, request: SearchRequest) {
      const collection = open(projectId, name);
      const predicate = predicateFor(request.filter);
      const limit = Math.floor(request.limit);
      if (request.mode === 'vector') {
        checkVector(request.vector, collection.row.dimensions, collection.row.name, 'query vector');
        if (limit < 1) return [];
        const filter = predicate ? { key: JSON.stringify(request.filter), predicate } : undefined;
        let hits = nearest(collection, normalize(request.vector), limit, filter);
        if (request.threshold !== undefined) hits = hits.filter((hit) => hit.score > request.threshold!);
        return materialize(collection, hits, request);
      }
      if (request.mode === 'keyword') {
        if (limit < 1) return [];
        return materialize(collection, keywordSlots(collection, request.text, limit, request.threshold, predicate), request);
      }
      throw new AppError('UNSUPPORTED_SEARCH_MODE', `search mode \`${(request as { mode: string }).mode}\` is not one this store answers; use vector or keyword`);
    },

    async count(projectId, name, filter) {
      const collection = open(projectId, name);
      const predicate = predicateFor(filter);
      if (!predicate) return collection.memory.liveCount;
      return collection.memory.matching(predicate).length;
    },

    async deleteByIds(projectId, name, ids) {
      return deleteIds(open(projectId, name), ids);
    },

    async deleteByFilter(projectId, name, filter) {
      const collection = open(projectId, name);
      const predicate = compileFilter(filter);
      const ids = collection.memory.matching(predicate).map((slot) => collection.memory.idOf(slot));
      return ids.length === 0 ? 0 : deleteIds(collection, ids);
    },

    async deleteProject(projectId) {
      ensureOpen();
      for (const row of sql.collections.all(projectId) as CollectionRow[]) dropCollection(row);
    },

    async health() {
      ensureOpen();
      try {
        db.prepare('SELECT 1').get();
      } catch (error) {
        throw new AppError('PROVIDER_UNAVAILABLE', `embedded vector store: ${(error as Error).message}`, { cause: error, retryAfter: 5 });
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      buildQueue.length = 0;
      // A half-written index file is never recorded; the next start removes it.
      await building?.worker?.terminate();
      loaded.clear();
      db.close();
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    },

    async indexStatus(projectId, name) {
      const { memory, ann, row } = open(projectId, name);
      const tailStart = ann ? memory.firstSlotAfter(ann.watermark) : 0;
      return {
        indexed: ann?.size ?? 0,
        pending: memory.countLive(tailStart, memory.size),
        building: building?.collectionId === row.id || buildQueue.includes(row.id),
      };
    },

    waitForIndexing() {
      if (closed || (!building && buildQueue.length === 0)) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
  return store;
}
