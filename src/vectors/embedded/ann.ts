/**
 * The approximate (HNSW) index of the embedded store, and the worker that
 * builds it.
 *
 * Why usearch HNSW: on this 2-core machine it answers top-10 over 100k x 384
 * in ~0.5 ms at recall ~0.99, where an exact JS scan takes ~45 ms, usearch's
 * exact scan ~14 ms and sqlite-vec (no SIMD in its npm build) ~85 ms; its npm
 * package ships prebuilt binaries, and an index file can be memory-mapped
 * (`view`), so a restart is ready at once instead of rebuilding. Its cost is
 * the build (tens of seconds for 100k), hence a worker thread, and a main
 * thread that scans the not-yet-indexed tail exactly meanwhile.
 *
 * Vectors are stored in the index as i8 (cosine, unit-normalised): a quarter
 * of f32's memory. The index only proposes candidates; the store re-ranks them
 * with its f16 vectors and re-scores the answers from f32 (embedded.ts,
 * rescore), so scores are exact cosines and quantisation
 * costs no accuracy in the answer, only a little in candidate recall, which
 * oversampling recovers.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IndexConfig } from 'usearch';
import { startWorker } from '../../workers.js';

// usearch's ESM build finds its binary by walking up from the caller's file name,
// which never ends inside a worker thread; its CommonJS build uses __dirname.
export const usearch = createRequire(import.meta.url)('usearch') as typeof import('usearch');
export const Index = usearch.Index;
export type Index = import('usearch').Index;

export interface AnnParams {
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
}

export const defaultAnnParams: AnnParams = { connectivity: 16, expansionAdd: 64, expansionSearch: 64 };

export function annIndexConfig(dimensions: number, params: AnnParams): IndexConfig {
  return {
    dimensions,
    metric: usearch.MetricKind.Cos,
    quantization: usearch.ScalarKind.I8,
    connectivity: params.connectivity,
    expansion_add: params.expansionAdd,
    expansion_search: params.expansionSearch,
    multi: false,
  };
}

export interface BuildRequest {
  dbPath: string;
  collectionId: number;
  dimensions: number;
  /** Extend this index file (null: build from nothing). */
  previousFile: string | null;
  /** Add rows with seq greater than this (0 for a full build). */
  fromSeq: number;
  outFile: string;
  threads: number;
  params: AnnParams;
}

export interface BuildResult {
  /** Every live row with seq <= watermark (at read time) is in the index. */
  watermark: number;
  size: number;
  checksum: string;
}

/**
 * SHA-256 of a file, read in 1 MB pieces. usearch maps whatever it is given
 * and crashes the process on a damaged file, so a file is mapped only when
 * its checksum matches the one recorded when it was written.
 */
export function fileChecksum(path: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** A built index, memory-mapped read-only; keys are document seqs. */
export interface AnnIndex {
  file: string;
  checksum?: string;
  watermark: number;
  size: number;
  index: Index;
}

/** Maps an index file; with `checksum`, only after verifying it (files from an earlier run). */
export function openAnnIndex(file: string, dimensions: number, params: AnnParams, watermark: number, size: number, checksum?: string): AnnIndex {
  if (checksum !== undefined && fileChecksum(file) !== checksum) throw new Error(`index file ${file} does not match its recorded checksum`);
  const index = new Index(annIndexConfig(dimensions, params));
  index.view(file);
  if (index.size() !== size || index.dimensions() !== dimensions) {
    throw new Error(`index file ${file} holds ${index.size()} vectors of ${index.dimensions()} dimensions, expected ${size} of ${dimensions}`);
  }
  return { file, watermark, size, index, checksum };
}

/** Candidate seqs for a unit query, nearest first. */
export function annCandidates(ann: AnnIndex, unitQuery: Float32Array, k: number): number[] {
  const matches = ann.index.search(unitQuery, Math.min(k, ann.size), 1);
  const seqs: number[] = [];
  for (const key of matches.keys) seqs.push(Number(key));
  return seqs;
}

/** What the index worker receives: the build, and a flag the main thread sets to stop it. */
export interface BuildJob {
  request: BuildRequest;
  /** Over a SharedArrayBuffer: 1 once the build is to stop. */
  stop: Int32Array;
}

export type BuildReply = { ok: true; result: BuildResult } | { ok: false; message: string };

/** The message of a build stopped on request. */
export const BUILD_STOPPED = 'index build stopped';

/**
 * Runs one build in a fresh worker, settled once the worker has exited (its copy of the index freed).
 * Aborting `signal` stops the build before its next chunk of rows (a chunk takes well under a second).
 * The worker is never terminated: a thread terminated while usearch's native code runs takes the whole
 * process down (node-addon-api throws a C++ exception nothing can catch; scratch reproduction in the
 * commit that introduced this).
 */
export function runBuild(request: BuildRequest, signal: AbortSignal): Promise<BuildResult> {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const raise = () => Atomics.store(stop, 0, 1);
  if (signal.aborted) raise();
  else signal.addEventListener('abort', raise, { once: true });
  return new Promise((resolve, reject) => {
    // Each chunk it reads leaves ~3 MB of garbage (row buffers, their f32 copies): a small young generation
    // collects it before it adds up to tens of megabytes, at the moment the service's memory peaks (a build
    // runs while the tail it will cover still has its int8 copies).
    const job: BuildJob = { request, stop };
    const worker = startWorker(new URL('./index-worker.js', import.meta.url), { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    let reply: BuildReply | undefined;
    let failure: Error | undefined;
    worker.once('message', (message: BuildReply) => (reply = message));
    worker.once('error', (error) => (failure = error));
    worker.once('exit', (code) => {
      signal.removeEventListener('abort', raise);
      if (reply?.ok) resolve(reply.result);
      else reject(failure ?? new Error(reply?.message ?? `index worker exited with code ${code}`));
    });
  });
}
