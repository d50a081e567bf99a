/**
 * The embedded store's batch writer (embedded/writer.ts): upserts committed
 * and fsynced on a connection of its own, off the event loop. WAL lets the
 * main thread's connection read meanwhile; it sees a batch once committed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, prepareStatements, writeBatch, type WriteBatch } from './storage.js';
import type { WriteReply } from './writer.js';

const db = openDatabase((workerData as { dbPath: string }).dbPath);
const sql = prepareStatements(db);

parentPort!.on('message', ({ id, batch }: { id: number; batch: WriteBatch }) => {
  let reply: WriteReply;
  try {
    reply = { seqs: writeBatch(db, sql, batch) };
  } catch (error) {
    reply = { error: (error as Error).message, sqlite: (error as Error).name === 'SqliteError' };
  }
  parentPort!.postMessage({ id, ...reply });
});
