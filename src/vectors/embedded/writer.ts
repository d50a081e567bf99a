/**
 * Commits the embedded store's upserts on a thread of its own (writer-worker.ts).
 * A batch of 1,000 x 384 is written and fsynced in ~30 ms on the machine of
 * docs/BENCHMARKS.md; on the event loop, every search that arrived meanwhile
 * waited for it. The store sends one batch at a time and changes its memory
 * only once the commit is answered, so what it serves is always on disk.
 */
import { AppError } from '../../errors.js';
import type { WriteBatch } from './storage.js';
import { requestThread } from '../../workers.js';

export type WriteReply = { seqs: number[] } | { error: string; sqlite: boolean };

/** A write the embedded store could not make (SQLite failing: disk full, I/O error, busy): a 503 the client can retry. */
export function writeFailed(what: string, message: string, cause?: unknown): AppError {
  return new AppError('PROVIDER_UNAVAILABLE', `embedded vector store could not ${what}: ${message}`, { cause, retryAfter: 5 });
}

export function createBatchWriter(dbPath: string) {
  const thread = requestThread<{ batch: WriteBatch }, WriteReply>('the writer thread', new URL('./writer-worker.js', import.meta.url), {
    workerData: { dbPath },
  });
  // Started with the store, not with its first batch: under tsx a thread takes ~0.5 s to load,
  // and the first write after a (re)start should not wait for that.
  thread.start();

  return {
    /** Writes the batch in one transaction; resolves with each document's seq once it is durable. */
    async write(batch: WriteBatch): Promise<number[]> {
      let reply: WriteReply;
      try {
        reply = await thread.request({ batch }, [batch.vectors.buffer]);
      } catch (error) {
        throw writeFailed('store the documents', (error as Error).message, error); // the thread died
      }
      if ('seqs' in reply) return reply.seqs;
      throw reply.sqlite ? writeFailed('store the documents', reply.error) : new Error(reply.error);
    },

    close: () => thread.close(),
  };
}
