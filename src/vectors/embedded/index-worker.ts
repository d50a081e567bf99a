/**
 * Builds one collection's HNSW index off the main thread, so that neither
 * ingest nor searches wait for it. It reads vectors straight from SQLite
 * (its own read-only connection; WAL lets it read while the main thread
 * writes), extends the previous index file or starts afresh, and writes a new
 * file, fsynced and renamed into place, that the main thread then maps.
 *
 * Rows are immutable once written (a replacement gets a new seq), so reading
 * in chunks needs no long snapshot: a row deleted meanwhile only leaves a
 * dead label in the index, which the main thread filters out.
 */
import { closeSync, fsyncSync, openSync, readlinkSync, renameSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { vectorNorm } from '../../shared/vector-encoding.js';
import { BUILD_STOPPED, Index, annIndexConfig, fileChecksum, type BuildJob, type BuildReply, type BuildResult } from './ann.js';

const CHUNK = 1024;

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function build({ request, stop }: BuildJob): BuildResult {
  // Checked before each step that takes long: the main thread stops a build this way, never by terminating the thread.
  const stopIfAsked = (): void => {
    if (Atomics.load(stop, 0) === 1) throw new Error(BUILD_STOPPED);
  };
  stopIfAsked();
  const db = new Database(request.dbPath, { readonly: true, fileMustExist: true });
  // Each row is read once, in order: a page cache (better-sqlite3's default, 16 MB) would only hold memory.
  db.pragma('cache_size = -1024');
  try {
    const collectionId = BigInt(request.collectionId);
    const top = db.prepare('SELECT max(seq) AS seq FROM vector_documents WHERE collection_id = ?').get(collectionId) as { seq: number | null };
    const watermark = Math.max(request.fromSeq, top.seq ?? 0);
    const index = new Index(annIndexConfig(request.dimensions, request.params));
    if (request.previousFile) index.load(request.previousFile);

    const rows = db.prepare('SELECT seq, vector FROM vector_documents WHERE collection_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?').raw();
    const d = request.dimensions;
    let after = request.fromSeq;
    for (;;) {
      stopIfAsked();
      const chunk = rows.all(collectionId, BigInt(after), BigInt(watermark), BigInt(CHUNK)) as Array<[number, Buffer]>;
      if (chunk.length === 0) break;
      const keys = new BigUint64Array(chunk.length);
      const vectors = new Float32Array(chunk.length * d);
      chunk.forEach(([seq, blob], row) => {
        keys[row] = BigInt(seq);
        // Copy through bytes: the blob's offset need not be 4-byte aligned.
        const raw = new Float32Array(d);
        new Uint8Array(raw.buffer).set(blob.subarray(0, d * 4));
        const norm = vectorNorm(raw);
        const inv = norm === 0 ? 0 : 1 / norm;
        for (let i = 0; i < d; i++) vectors[row * d + i] = raw[i]! * inv;
      });
      index.add(keys, vectors, request.threads);
      after = chunk[chunk.length - 1]![0];
    }

    stopIfAsked();
    const temporary = `${request.outFile}.tmp`;
    index.save(temporary);
    fsyncPath(temporary);
    const checksum = fileChecksum(temporary);
    renameSync(temporary, request.outFile);
    fsyncPath(dirname(request.outFile));
    return { watermark, size: index.size(), checksum };
  } finally {
    db.close();
  }
}

/**
 * Builds yield the CPU to the threads that answer requests. Where cores are few, a build otherwise takes half of one
 * from the event loop whenever both want it, and requests wait their turn (bench/job-stall.ts: /health p99 halved,
 * docs/BENCHMARKS.md). Linux keeps a nice value per thread, which os.setPriority sets when given a thread id; threads
 * usearch starts from here inherit it. Elsewhere the build runs at the process's priority.
 */
function yieldToRequests(): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 19);
  } catch {
    // No /proc/thread-self (not Linux): no per-thread priority to lower.
  }
}

function reply(): BuildReply {
  try {
    return { ok: true, result: build(workerData as BuildJob) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

yieldToRequests();
parentPort!.postMessage(reply());
