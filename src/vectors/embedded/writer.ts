/**
 * Commits the embedded store's upserts on a thread of its own (writer-worker.ts).
 * A batch of 1,000 x 384 is written and fsynced in ~30 ms on the machine of
 * docs/BENCHMARKS.md; on the event loop, every search that arrived meanwhile
 * waited for it. The store sends one batch at a time and changes its memory
 * only once the commit is answered, so what it serves is always on disk.
 */
import type { Worker } from 'node:worker_threads';
import { AppError } from '../../errors.js';
import type { WriteBatch } from './storage.js';
import { startWorker } from '../../workers.js';

export interface WriteRequest {
  id: number;
  batch: WriteBatch;
}

export type WriteReply = { id: number; seqs: number[] } | { id: number; error: string; sqlite: boolean };

function unavailable(message: string, cause?: unknown): AppError {
  return new AppError('PROVIDER_UNAVAILABLE', `embedded vector store could not store the documents: ${message}`, { cause, retryAfter: 5 });
}

export function createBatchWriter(dbPath: string) {
  let worker: Worker | null = null;
  let nextId = 0;
  const pending = new Map<number, { resolve(seqs: number[]): void; reject(error: Error): void }>();

  function failAll(error: Error): void {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  }

  function started(): Worker {
    if (worker) return worker;
    const thread = startWorker(new URL('./writer-worker.js', import.meta.url), { workerData: { dbPath } });
    thread.on('message', (reply: WriteReply) => {
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      // An idle writer must not keep the process alive; a busy one must (a CLI import awaits it).
      if (pending.size === 0) thread.unref();
      if (!waiter) return;
      if ('seqs' in reply) waiter.resolve(reply.seqs);
      // SQLite's failures (disk full, I/O error, busy) are the store's outage: a 503 the client can retry.
      else waiter.reject(reply.sqlite ? unavailable(reply.error) : new Error(reply.error));
    });
    thread.on('error', (error) => failAll(unavailable(error.message, error)));
    thread.on('exit', (code) => {
      if (worker === thread) worker = null; // the next batch starts a new one
      failAll(unavailable(`the writer thread exited with code ${code}`));
    });
    thread.unref();
    worker = thread;
    return thread;
  }
  // Started with the store, not with its first batch: a thread takes a while to load its modules
  // (~0.5 s under tsx), and the first write after a (re)start should not wait for that.
  started();

  return {
    /** Writes the batch in one transaction; resolves with each document's seq once it is durable. */
    write(batch: WriteBatch): Promise<number[]> {
      const thread = started();
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        thread.ref();
        thread.postMessage({ id, batch } satisfies WriteRequest, [batch.vectors.buffer]);
      });
    },

    async close(): Promise<void> {
      const thread = worker;
      worker = null;
      await thread?.terminate();
    },
  };
}
