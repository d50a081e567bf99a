/**
 * One service process owns a data directory. The embedded stores keep state in the process's
 * memory (the vector store its documents and index files, the SQLite store its WAL index), so a
 * second process on the same files would answer from a copy that never sees the first one's
 * writes, or remove index files it takes for orphans. A second process stops at start instead.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { AppError } from './errors.js';

/** A second process waits this long for the owner to let go (a restart overlapping the old process's exit). */
const HANDOVER_MS = 5000;

export function inUseError(path: string, cause?: unknown): AppError {
  return new AppError(
    'PROVIDER_UNAVAILABLE',
    `${path} is in use by another service process: each process needs a DATA_DIR of its own ` +
      '(replicas share data through PostgreSQL and Qdrant, IN_MEMORIA_STORAGE_MODE=remote)',
    { cause },
  );
}

export function isBusy(error: unknown): boolean {
  return (error as { code?: string }).code === 'SQLITE_BUSY';
}

/**
 * Claims `directory` for this process until the returned connection closes: an empty SQLite file
 * held in exclusive locking mode, so the claim is an OS file lock that the kernel drops when the
 * process ends, however it ends (no stale lock files to clean up after a crash).
 */
export function claimDirectory(directory: string): Database.Database {
  const file = join(directory, 'owner.lock');
  const lock = new Database(file, { timeout: HANDOVER_MS });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    // In exclusive locking mode the lock of the first write is kept after its commit.
    lock.exec('BEGIN EXCLUSIVE; COMMIT');
    return lock;
  } catch (error) {
    lock.close();
    throw isBusy(error) ? inUseError(directory, error) : error;
  }
}
