/**
 * The embedded vector store: the default in local mode, with no server to run.
 *
 * - Truth is one SQLite file (`<dataDir>/vectors.sqlite`, embedded/storage.ts):
 *   documents with their original vectors as Float32 BLOBs, and one FTS5 table
 *   per collection for keyword search. A resolved upsert is on disk, and a
 *   crash leaves each batch wholly present or wholly absent.
 * - Upserts are committed by a writer thread (embedded/writer.ts), one at a
 *   time in the order called, with deletes and drops in the same lane; memory
 *   changes once a batch is committed. A read that meets a row replaced by a
 *   batch memory does not show yet reads again once it does (agreed).
 * - Searches read memory (embedded/memory.ts): every live vector, normalised
 *   and held as f16 (half the bytes of f32), and its parsed metadata, loaded on
 *   a collection's first use. The answers are re-scored from their f32 vectors
 *   in SQLite, so scores are exact cosines (rescore).
 * - Like Qdrant, writes land at once and the HNSW index (embedded/ann.ts) is
 *   built later by a worker thread (embedded/indexer.ts); documents newer than
 *   the index are scanned exactly, so a search never misses a fresh write, and
 *   every index candidate is checked against memory, so a deleted or replaced
 *   document never comes back. Filtered search: embedded/search.ts.
 *
 * One process owns a data directory (src/single-owner.ts): the in-memory
 * state assumes it is the only writer.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { decodeCursor, encodeCursor, isObject } from '../cursor.js';
import { AppError } from '../errors.js';
import type { Log } from '../log.js';
import { claimDirectory } from '../single-owner.js';
import { defaultAnnParams, openAnnIndex, type AnnIndex, type AnnParams } from './embedded/ann.js';
import { createIndexer } from './embedded/indexer.js';
import { createBatchWriter, writeFailed } from './embedded/writer.js';
import { HALF_SCORE_ERROR } from './embedded/half.js';
import { CollectionMemory, normalize, type ScoredSlot } from './embedded/memory.js';
import { EXACT_SCAN_BUDGET, keywordSlots, nearestSlots } from './embedded/search.js';
import { createFtsTable, ftsTable, fromBlob, openDatabase, prepareFts, prepareStatements, type CollectionRow, type FtsStatements } from './embedded/storage.js';
import { SubsetCache } from './embedded/subsets.js';
import { compileFilter, isEmptyFilter, type MetadataPredicate } from './filter.js';
import { ResponseBudget, documentBytes } from './budget.js';
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
import { inSlices } from './slices.js';
import { vectorNorm } from '../shared/vector-encoding.js';

/** The part of the service's logger this module uses. */
export type EmbeddedLog = Pick<Log, 'info' | 'warn'>;

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
  /** Bytes of packed filtered subsets cached per collection (default 16 MB: four 10% filters at 100k x 384). */
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

interface LoadedCollection {
  row: CollectionRow;
  memory: CollectionMemory;
  ann: AnnIndex | null;
  fts: FtsStatements;
  subsets: SubsetCache;
}

function copyMetadata(metadata: Metadata): Metadata {
  const copy: Metadata = {};
  for (const [key, value] of Object.entries(metadata)) copy[key] = Array.isArray(value) ? [...value] : value;
  return copy;
}

/** Cosine of a stored vector (any length) with a unit query, in double precision; 0 for a zero vector. */
function cosineToUnit(vector: Float32Array, unitQuery: Float32Array): number {
  const norm = vectorNorm(vector);
  if (norm === 0) return 0;
  let dot = 0;
  for (let i = 0; i < vector.length; i++) dot += vector[i]! * unitQuery[i]!;
  return dot / norm;
}

/** A scroll position: after this document id (pages are in id order). */
const isScrollPosition = (value: unknown): value is { after: string } => isObject(value) && typeof value.after === 'string';

/** Runs a write, translating SQLite failures (disk full, I/O error, busy) into a 503 the client can retry. */
function writing<T>(what: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    if (error instanceof Error && error.name === 'SqliteError') throw writeFailed(what, error.message, error);
    throw error;
  }
}

const LOAD_CHUNK = 4096;
/** Documents of a committed batch appended to memory between two turns of the event loop (~3 ms of 1,000 x 384 here). */
const APPEND_SLICE = 250;
/**
 * Rows one scroll page reads at most: a filter that few documents pass ends its
 * page early (even empty) with a cursor, instead of reading the whole collection
 * in one synchronous pass.
 */
export const SCROLL_EXAMINE_LIMIT = 10_000;

function notFound(projectId: string, name: string): AppError {
  return new AppError('COLLECTION_NOT_FOUND', `collection \`${name}\` does not exist in project \`${projectId}\``);
}

function predicateFor(filter: Filter | undefined): MetadataPredicate | undefined {
  return isEmptyFilter(filter) ? undefined : compileFilter(filter);
}

export async function createEmbeddedVectorStore(options: EmbeddedVectorStoreOptions): Promise<EmbeddedVectorStore> {
  const annParams: AnnParams = { ...defaultAnnParams, ...options.annParams };
  const filterCacheBytes = options.filterCacheBytes ?? 16 * 1024 * 1024;
  const exactScanBudget = options.exactScanBudget ?? EXACT_SCAN_BUDGET;
  const log = options.log;
  const indexDir = join(options.dataDir, 'vector-index');
  const dbPath = join(options.dataDir, 'vectors.sqlite');

  let owner: Database.Database | undefined;
  let db: Database.Database;
  try {
    mkdirSync(indexDir, { recursive: true });
    owner = claimDirectory(options.dataDir);
    db = openDatabase(dbPath);
  } catch (error) {
    owner?.close();
    if (error instanceof AppError) throw error;
    throw new AppError('PROVIDER_UNAVAILABLE', `embedded vector store cannot open ${dbPath}: ${(error as Error).message}`, { cause: error, retryAfter: 5 });
  }
  const sql = prepareStatements(db);
  const loaded = new Map<number, LoadedCollection>();
  const loading = new Map<number, Promise<LoadedCollection>>();
  let closed = false;

  const indexer = createIndexer({
    dbPath,
    indexDir,
    threshold: Math.max(1, options.indexThreshold ?? 2000),
    threads: Math.max(1, options.indexThreads ?? 1),
    params: annParams,
    log,
    collections: loaded,
    record: (collectionId, ann) => {
      sql.setAnn.run(ann ? ann.file.slice(indexDir.length + 1) : null, ann?.watermark ?? 0, ann?.size ?? 0, ann?.checksum ?? null, collectionId);
    },
  });

  const writer = createBatchWriter(dbPath);
  // Writes happen one at a time, in the order they were called: an upsert's commit (on the writer's
  // thread) and its change to memory form one step, which a delete or a drop called later never splits.
  let lane: Promise<unknown> = Promise.resolve();
  function serially<T>(work: () => T | Promise<T>): Promise<T> {
    const result = lane.then(work);
    lane = result.catch(() => undefined);
    return result;
  }

  // A crash between writing an index file and recording it leaves an orphan.
  const referenced = new Set(sql.allIndexFiles.all() as string[]);
  for (const file of readdirSync(indexDir)) {
    if (!referenced.has(file)) rmSync(join(indexDir, file), { force: true });
  }

  function ensureOpen(): void {
    if (closed) throw new AppError('PROVIDER_UNAVAILABLE', 'embedded vector store is closed', { retryAfter: 1 });
  }

  function info(row: CollectionRow): CollectionInfo {
    // From memory when loaded; counting in SQL avoids loading a collection just to describe it.
    const cached = loaded.get(row.id);
    const count = cached ? cached.memory.liveCount : (sql.countDocuments.get(BigInt(row.id)) as number);
    return { name: row.name, dimensions: row.dimensions, model: row.model, distance: 'cosine', count };
  }

  function findRow(projectId: string, name: string): CollectionRow | undefined {
    return sql.collection.get(projectId, name) as CollectionRow | undefined;
  }

  /** Reads a collection into memory on first use (once, however many callers wait), and maps its index file. */
  function load(row: CollectionRow): Promise<LoadedCollection> {
    const cached = loaded.get(row.id);
    if (cached) return Promise.resolve(cached);
    let pending = loading.get(row.id);
    if (!pending) {
      pending = readCollection(row).finally(() => loading.delete(row.id));
      loading.set(row.id, pending);
    }
    return pending;
  }

  async function readCollection(row: CollectionRow): Promise<LoadedCollection> {
    const memory = new CollectionMemory(row.dimensions, row.ann_file ? row.ann_watermark : 0);
    for (let after = 0; ;) {
      ensureOpen();
      const rows = sql.loadChunk.all(BigInt(row.id), BigInt(after), BigInt(LOAD_CHUNK)) as Array<[number, string, string, Buffer]>;
      for (const [seq, id, metadata, blob] of rows) memory.append(seq, id, JSON.parse(metadata) as Metadata, normalize(fromBlob(blob, row.dimensions)));
      if (rows.length < LOAD_CHUNK) break;
      after = rows[rows.length - 1]![0];
      // 100k documents take about a second to read: let other requests through meanwhile.
      await nextTurn();
    }
    ensureOpen();
    let ann: AnnIndex | null = null;
    if (row.ann_file) {
      try {
        ann = openAnnIndex(join(indexDir, row.ann_file), row.dimensions, annParams, row.ann_watermark, row.ann_size, row.ann_checksum ?? '');
      } catch (error) {
        // Not fatal: exact scans answer until the worker rebuilds it.
        log?.warn({ err: error, collection: row.name, projectId: row.project_id }, 'vector index unreadable; rebuilding');
        sql.setAnn.run(null, 0, 0, null, row.id);
        memory.markIndexed(0);
      }
    }
    const collection: LoadedCollection = { row, memory, ann, fts: prepareFts(db, row.id), subsets: new SubsetCache(filterCacheBytes) };
    loaded.set(row.id, collection);
    indexer.consider(collection);
    return collection;
  }

  async function open(projectId: string, name: string): Promise<LoadedCollection> {
    ensureOpen();
    const row = findRow(projectId, name);
    if (!row) throw notFound(projectId, name);
    return stillOpen(await load(row));
  }

  /** Deleted, or the store closed, while the caller waited (for its load, or its turn to write): it must not write to it. */
  function stillOpen(collection: LoadedCollection): LoadedCollection {
    ensureOpen();
    if (loaded.get(collection.row.id) !== collection) throw notFound(collection.row.project_id, collection.row.name);
    return collection;
  }

  /**
   * Reads a document's content and vector, as asked, into `document`. False when its row is gone: a
   * batch that replaced it is committed (by the writer's thread) and memory does not show it yet.
   */
  function fill(document: StoredDocument, seq: number, dimensions: number, request: ReadOptions): boolean {
    if (!request.includeContent && !request.includeVector) return true;
    const stored = sql.documentBySeq.get(BigInt(seq)) as { content: string; vector: Buffer } | undefined;
    if (!stored) return false;
    if (request.includeContent) document.content = stored.content;
    if (request.includeVector) document.vector = fromBlob(stored.vector, dimensions);
    return true;
  }

  /**
   * The best `limit` of `pool` (best first by memory's f16 cosines) by exact cosine, from their f32
   * vectors in SQLite. Only slots within twice HALF_SCORE_ERROR of the limit-th are read: one further
   * below is beaten by `limit` others whatever the rounding. Those not above `threshold` are dropped.
   * Null when a row is gone (as in fill).
   */
  function rescore(collection: LoadedCollection, pool: ScoredSlot[], limit: number, unitQuery: Float32Array, threshold?: number): ScoredSlot[] | null {
    if (pool.length === 0 || limit <= 0) return [];
    const floor = pool[Math.min(limit, pool.length) - 1]!.score - 2 * HALF_SCORE_ERROR;
    const rescored: ScoredSlot[] = [];
    for (const { slot, score } of pool) {
      if (score < floor) break;
      const exact = exactScore(collection, slot, unitQuery);
      if (exact === null) return null;
      if (threshold === undefined || exact > threshold) rescored.push({ slot, score: exact });
    }
    return rescored.sort((a, b) => b.score - a.score).slice(0, limit);
  }

  /**
   * For a caller that uses only the hits' order (rankOnly): the best `limit` of `pool` by memory's f16
   * cosines, as they are, but `threshold` decided by the exact score of a hit too near it to tell.
   */
  function ranked(collection: LoadedCollection, pool: ScoredSlot[], limit: number, unitQuery: Float32Array, threshold?: number): ScoredSlot[] | null {
    const hits: ScoredSlot[] = [];
    for (const hit of pool) {
      if (hits.length >= limit) break;
      if (threshold !== undefined && hit.score <= threshold + HALF_SCORE_ERROR) {
        if (hit.score <= threshold - HALF_SCORE_ERROR) break; // best first: none further on passes
        const exact = exactScore(collection, hit.slot, unitQuery);
        if (exact === null) return null;
        if (exact <= threshold) continue;
      }
      hits.push(hit);
    }
    return hits;
  }

  /** The cosine of a slot's f32 vector, read from SQLite, with a unit query; null when its row is gone (as in fill). */
  function exactScore(collection: LoadedCollection, slot: number, unitQuery: Float32Array): number | null {
    const blob = sql.vectorBySeq.get(BigInt(collection.memory.seqOf(slot))) as Buffer | undefined;
    return blob ? cosineToUnit(fromBlob(blob, collection.row.dimensions), unitQuery) : null;
  }

  /**
   * The hits as answered, or null when one's row was replaced under it (fill); with a byte budget,
   * refused as soon as one goes over (nothing more is read).
   */
  function materialize(collection: LoadedCollection, hits: ScoredSlot[], request: ReadOptions): SearchHit[] | null {
    const { memory, row } = collection;
    const budget = request.maxBytes === undefined ? undefined : new ResponseBudget(request.maxBytes);
    const answered: SearchHit[] = [];
    for (const { slot, score } of hits) {
      const hit: SearchHit = { id: memory.idOf(slot), score, metadata: copyMetadata(memory.metadataOf(slot)) };
      if (!fill(hit, memory.seqOf(slot), row.dimensions, request)) return null;
      budget?.charge(documentBytes(hit));
      answered.push(hit);
    }
    return answered;
  }

  /**
   * Runs a read of memory and SQLite until both agree (it returns null when they did not): once the
   * writes in progress are done, memory shows the batches SQLite has. A few tries, then a 503 (only a
   * collection rewritten without pause could get there).
   */
  async function agreed<T>(read: () => T | null): Promise<T> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = read();
      if (result !== null) return result;
      await lane;
    }
    throw new AppError('PROVIDER_UNAVAILABLE', 'embedded vector store: documents kept changing while they were read; try again', { retryAfter: 1 });
  }

  /** Waits out a load in progress, so that a drop never races it. */
  async function settled(collectionId: number): Promise<void> {
    await loading.get(collectionId)?.catch(() => undefined);
  }

  function afterWrite(collection: LoadedCollection): void {
    collection.memory.compactIfWorthIt();
    indexer.written(collection);
  }

  /** Deletes ids in one transaction, then from memory; returns how many existed. */
  function deleteIds(collection: LoadedCollection, ids: Iterable<string>): number {
    const unique = [...new Set(ids)];
    const deleted = writing('delete documents', () =>
      db.transaction(() => {
        let count = 0;
        for (const id of unique) {
          const seq = sql.deleteDocument.get(BigInt(collection.row.id), id) as number | undefined;
          if (seq === undefined) continue;
          collection.fts.remove.run(BigInt(seq));
          count++;
        }
        return count;
      })(),
    );
    for (const id of unique) collection.memory.remove(id);
    afterWrite(collection);
    return deleted;
  }

  function dropCollection(row: CollectionRow): void {
    // Its build is stopped first: once the rows are gone, a build reading them would see none left, finish at once
    // and be discarded, racing the stop.
    indexer.forget(row.id);
    writing('delete the collection', () =>
      db.transaction(() => {
        sql.deleteDocuments.run(BigInt(row.id));
        db.exec(`DROP TABLE IF EXISTS ${ftsTable(row.id)}`);
        sql.deleteCollection.run(BigInt(row.id));
      })(),
    );
    loaded.delete(row.id);
    if (row.ann_file) rmSync(join(indexDir, row.ann_file), { force: true });
  }

  const store: EmbeddedVectorStore = {
    provider: 'embedded',

    async createCollection(projectId, name, spec: CollectionSpec) {
      ensureOpen();
      const existing = findRow(projectId, name);
      if (existing) return info(existing);
      return serially(() => {
        ensureOpen();
        const created = findRow(projectId, name); // by a call ahead of this one in the lane
        if (created) return info(created);
        const row = writing('create the collection', () =>
          db.transaction(() => {
            const id = Number(sql.insertCollection.run(projectId, name, spec.dimensions, spec.model, new Date().toISOString()).lastInsertRowid);
            createFtsTable(db, id);
            return findRow(projectId, name)!;
          })(),
        );
        return info(row);
      });
    },

    async getCollection(projectId, name) {
      ensureOpen();
      const row = findRow(projectId, name);
      return row ? info(row) : null;
    },

    async listCollections(projectId) {
      ensureOpen();
      return (sql.collections.all(projectId) as CollectionRow[]).map(info);
    },

    async deleteCollection(projectId, name) {
      ensureOpen();
      const row = findRow(projectId, name);
      if (!row) return false;
      await settled(row.id);
      return serially(() => {
        ensureOpen();
        if (findRow(projectId, name)?.id !== row.id) return false; // another call deleted it meanwhile
        dropCollection(row);
        return true;
      });
    },

    async upsert(projectId, name, documents: VectorDocument[]) {
      const collection = await open(projectId, name);
      const { row, memory } = collection;
      // Every size is checked before anything is written: the batch is all or nothing.
      const latest = new Map<string, VectorDocument>();
      for (const document of documents) {
        assertDimensions(row, document.vector, `vector of document ${JSON.stringify(document.id)}`);
        // A repeated id in one batch: the last one wins, as in Qdrant.
        latest.delete(document.id);
        latest.set(document.id, document);
      }
      const batch = [...latest.values()];
      await serially(async () => {
        stillOpen(collection);
        const vectors = new Float32Array(batch.length * row.dimensions);
        batch.forEach((document, i) => vectors.set(document.vector, i * row.dimensions));
        const seqs = await writer.write({
          collectionId: row.id,
          ids: batch.map((document) => document.id),
          contents: batch.map((document) => document.content),
          metadata: batch.map((document) => JSON.stringify(document.metadata)),
          vectors,
        });
        // Committed: only now does memory change, so a failed batch leaves no trace. In slices, with other
        // requests answered between them (a search meanwhile may see part of a batch not yet acknowledged).
        await inSlices(batch, APPEND_SLICE, (document, i) => memory.append(seqs[i]!, document.id, copyMetadata(document.metadata), normalize(document.vector)));
        afterWrite(collection);
      });
    },

    async getMany(projectId, name, ids, options = {}) {
      const { row, memory } = await open(projectId, name);
      const read = { ...options, includeContent: options.includeContent ?? true };
      return agreed(() => {
        const budget = options.maxBytes === undefined ? undefined : new ResponseBudget(options.maxBytes);
        const documents: StoredDocument[] = [];
        for (const id of ids) {
          const slot = memory.slotOfId(id);
          if (slot === undefined) continue;
          const document: StoredDocument = { id, metadata: copyMetadata(memory.metadataOf(slot)) };
          if (!fill(document, memory.seqOf(slot), row.dimensions, read)) return null;
          budget?.charge(documentBytes(document));
          documents.push(document);
        }
        return documents;
      });
    },

    async scroll(projectId, name, request: ScrollRequest): Promise<ScrollPage> {
      ensureOpen();
      // Scrolling reads SQLite only, so it never loads the collection into memory: an export of a large
      // store (every collection scrolled once) would otherwise end up holding every vector at once.
      const row = findRow(projectId, name);
      if (!row) throw new AppError('COLLECTION_NOT_FOUND', `collection \`${name}\` does not exist in project \`${projectId}\``);
      const predicate = predicateFor(request.filter);
      const after = request.cursor === undefined ? '' : decodeCursor(request.cursor, isScrollPosition, 'cursor is not one this service issued').after;
      const limit = request.limit;
      const budget = request.maxBytes === undefined ? undefined : new ResponseBudget(request.maxBytes);
      const items: StoredDocument[] = [];
      let examined = 0;
      let lastExamined = after;
      let resumeAfter: string | null = null;
      // Ordered by id through the (collection_id, doc_id) index, so pages never overlap or skip.
      for (const stored of sql.scrollFrom.iterate(BigInt(row.id), after) as IterableIterator<{ seq: number; doc_id: string; metadata: string }>) {
        if (examined === SCROLL_EXAMINE_LIMIT) {
          // A rare filter's page has read its share: it ends short (even empty), the next one goes on from here.
          resumeAfter = lastExamined;
          break;
        }
        examined++;
        const metadata = JSON.parse(stored.metadata) as Metadata;
        if (predicate && !predicate(metadata)) {
          lastExamined = stored.doc_id;
          continue;
        }
        if (items.length === limit) {
          resumeAfter = items[items.length - 1]!.id;
          break;
        }
        const document: StoredDocument = { id: stored.doc_id, metadata };
        fill(document, stored.seq, row.dimensions, request);
        if (budget && !budget.tryCharge(documentBytes(document))) {
          if (items.length === 0) items.push(document); // a page always moves on, even past one document over the budget
          resumeAfter = items[items.length - 1]!.id;
          break;
        }
        lastExamined = stored.doc_id;
        items.push(document);
      }
      return { items, nextCursor: resumeAfter === null ? null : encodeCursor({ after: resumeAfter }) };
    },

    async search(projectId, name, request: SearchRequest) {
      const collection = await open(projectId, name);
      const predicate = predicateFor(request.filter);
      const limit = request.limit;
      if (request.mode === 'vector') {
        assertDimensions(collection.row, request.vector, 'query vector');
        const filter = predicate ? { key: JSON.stringify(request.filter), predicate } : undefined;
        const query = normalize(request.vector);
        const answer = request.rankOnly ? ranked : rescore;
        return agreed(() => {
          const hits = answer(collection, nearestSlots(collection, query, limit, filter, exactScanBudget), limit, query, request.threshold);
          return hits && materialize(collection, hits, request);
        });
      }
      if (request.mode === 'keyword') {
        const text = request.text;
        return agreed(() => {
          const hits = keywordSlots(collection, text, limit, request.threshold, predicate);
          return hits && materialize(collection, hits, request);
        });
      }
      throw new AppError(
        'UNSUPPORTED_SEARCH_MODE',
        `search mode \`${(request as { mode: string }).mode}\` is not one this store answers; use vector or keyword`,
      );
    },

    async deleteByIds(projectId, name, ids) {
      const collection = await open(projectId, name);
      return serially(() => deleteIds(stillOpen(collection), ids));
    },

    async deleteByFilter(projectId, name, filter) {
      const collection = await open(projectId, name);
      const predicate = compileFilter(filter);
      return serially(() => {
        const { memory } = stillOpen(collection);
        const ids = memory.matching(predicate).map((slot) => memory.idOf(slot));
        return ids.length === 0 ? 0 : deleteIds(collection, ids);
      });
    },

    async deleteProject(projectId) {
      ensureOpen();
      for (const row of sql.collections.all(projectId) as CollectionRow[]) {
        await settled(row.id);
        await serially(() => {
          ensureOpen();
          if (findRow(projectId, row.name)?.id === row.id) dropCollection(row);
        });
      }
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
      await lane; // a batch being written finishes (later ones find the store closed)
      await writer.close();
      await indexer.close();
      loaded.clear();
      db.close();
      owner.close();
    },

    async indexStatus(projectId, name) {
      const { memory, ann, row } = await open(projectId, name);
      const tailStart = ann ? memory.firstSlotAfter(ann.watermark) : 0;
      return { indexed: ann?.size ?? 0, pending: memory.countLive(tailStart, memory.size), building: indexer.isBuilding(row.id) };
    },

    waitForIndexing() {
      return indexer.waitForIdle();
    },
  };
  return store;
}
