/**
 * Schedules the HNSW builds of the embedded store: one worker at a time (the
 * machine may have two cores, and requests need one), for collections whose
 * not-yet-indexed tail has reached the threshold. A build extends the previous
 * index file with the tail, or starts afresh once replaced and deleted
 * documents (dead labels) are a quarter of the index. The new file is mapped
 * and recorded only when complete; searches meanwhile scan the tail exactly.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openAnnIndex, runBuild, type AnnIndex, type AnnParams, type BuildRequest, type BuildResult } from './ann.js';
import type { CollectionMemory } from './memory.js';
import type { Log } from '../../log.js';

export interface IndexedCollection {
  row: { id: number; project_id: string; name: string; dimensions: number };
  memory: CollectionMemory;
  ann: AnnIndex | null;
}

/** The part of the service's logger this module uses. */
export type IndexerLog = Pick<Log, 'info' | 'warn'>;

export interface IndexerOptions {
  dbPath: string;
  indexDir: string;
  threshold: number;
  threads: number;
  params: AnnParams;
  log?: IndexerLog;
  /** The loaded collections: a build whose collection left this map is discarded. */
  collections: ReadonlyMap<number, IndexedCollection>;
  /** Durably records which index file a collection uses (null: none). */
  record(collectionId: number, ann: AnnIndex | null): void;
}

type BuildPlan = { kind: 'none' } | { kind: 'drop' } | { kind: 'build'; previousFile: string | null; fromSeq: number };

export function createIndexer(options: IndexerOptions) {
  const { threshold, collections, log } = options;
  const queue: number[] = [];
  let building: { collectionId: number; stop: AbortController; finished: Promise<BuildResult> } | null = null;
  let idleWaiters: Array<() => void> = [];
  /** Collections whose last build failed: retried after their next write, not in a loop. */
  const failed = new Set<number>();
  let fileCounter = 0;
  let closed = false;

  function plan({ memory, ann }: IndexedCollection): BuildPlan {
    const tailStart = ann ? memory.firstSlotAfter(ann.watermark) : 0;
    const tailLive = memory.countLive(tailStart, memory.size);
    const deadInIndex = ann ? ann.size - (memory.liveCount - tailLive) : 0;
    if (!ann || deadInIndex > Math.max(threshold, ann.size / 4)) {
      if (memory.liveCount >= threshold) return { kind: 'build', previousFile: null, fromSeq: 0 };
      return ann ? { kind: 'drop' } : { kind: 'none' };
    }
    if (tailLive >= threshold) return { kind: 'build', previousFile: ann.file, fromSeq: ann.watermark };
    return { kind: 'none' };
  }

  function install(collection: IndexedCollection, ann: AnnIndex | null): void {
    const previous = collection.ann;
    options.record(collection.row.id, ann);
    collection.ann = ann;
    collection.memory.markIndexed(ann?.watermark ?? 0);
    // A mapping stays valid after its file is unlinked, until garbage-collected.
    if (previous && previous.file !== ann?.file) rmSync(previous.file, { force: true });
  }

  function consider(collection: IndexedCollection): void {
    const id = collection.row.id;
    if (closed || failed.has(id) || building?.collectionId === id || queue.includes(id)) return;
    if (plan(collection).kind === 'none') return;
    queue.push(id);
    void pump();
  }

  async function pump(): Promise<void> {
    if (building || closed) return;
    const collectionId = queue.shift();
    if (collectionId === undefined) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
      return;
    }
    const collection = collections.get(collectionId);
    const next = collection ? plan(collection) : ({ kind: 'none' } as const);
    if (!collection || next.kind === 'none') return pump();
    if (next.kind === 'drop') {
      install(collection, null);
      return pump();
    }

    const outFile = join(options.indexDir, `c${collectionId}-${Date.now()}-${fileCounter++}.usearch`);
    const request: BuildRequest = {
      dbPath: options.dbPath,
      collectionId,
      dimensions: collection.row.dimensions,
      previousFile: next.previousFile,
      fromSeq: next.fromSeq,
      outFile,
      threads: options.threads,
      params: options.params,
    };
    const stop = new AbortController();
    const started = Date.now();
    building = { collectionId, stop, finished: runBuild(request, stop.signal) };
    try {
      const result = await building.finished;
      if (closed || collections.get(collectionId) !== collection) {
        rmSync(outFile, { force: true });
      } else {
        install(collection, { ...openAnnIndex(outFile, collection.row.dimensions, options.params, result.watermark, result.size), checksum: result.checksum });
        log?.info(
          {
            projectId: collection.row.project_id,
            collection: collection.row.name,
            indexed: result.size,
            incremental: next.previousFile !== null,
            ms: Date.now() - started,
          },
          'vector index built',
        );
      }
    } catch (error) {
      rmSync(outFile, { force: true });
      rmSync(`${outFile}.tmp`, { force: true });
      if (stop.signal.aborted) {
        log?.info({ collectionId, why: closed ? 'closing' : 'deleting the collection' }, 'vector index build stopped');
      } else {
        // Exact scans keep answering; the next write retries the build.
        failed.add(collectionId);
        log?.warn({ err: error, collectionId }, 'vector index build failed');
      }
    } finally {
      building = null;
    }
    if (closed) return;
    const current = collections.get(collectionId);
    if (current) consider(current);
    return pump();
  }

  return {
    /** Queues a build when the collection needs one. */
    consider,
    /** After a write: a failed build may be retried. */
    written(collection: IndexedCollection): void {
      failed.delete(collection.row.id);
      consider(collection);
    },
    /** The collection is gone: its queued build is dropped, and its running one stopped, so the next collection's starts. */
    forget(collectionId: number): void {
      const queued = queue.indexOf(collectionId);
      if (queued >= 0) queue.splice(queued, 1);
      if (building?.collectionId === collectionId) building.stop.abort();
    },
    isBuilding(collectionId: number): boolean {
      return building?.collectionId === collectionId || queue.includes(collectionId);
    },
    waitForIdle(): Promise<void> {
      if (closed || (!building && queue.length === 0)) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    /** Stops the running build at its next chunk and waits for its thread to end; its file is never recorded. */
    async close(): Promise<void> {
      closed = true;
      queue.length = 0;
      const running = building;
      running?.stop.abort();
      await running?.finished.catch(() => {});
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    },
  };
}

export type Indexer = ReturnType<typeof createIndexer>;
