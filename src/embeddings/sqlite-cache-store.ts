/**
 * Persists the embedding cache in a SQLite file, so a restart (or a re-learn
 * of an unchanged codebase) does not pay for the same embeddings again.
 * It is a cache: synchronous=NORMAL may lose the last writes on a power cut,
 * which only costs a re-embed, and the oldest rows are pruned past a cap so
 * the file cannot grow without end.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** Where the cache keeps vectors between restarts; keyed by project (scope), model, size and content hash. */
export interface EmbeddingCacheStore {
  /** The stored vectors among `hashes`, by hash. */
  get(scope: string, model: string, dimensions: number, hashes: readonly string[]): Map<string, Float32Array>;
  set(scope: string, model: string, dimensions: number, entries: ReadonlyArray<{ hash: string; vector: Float32Array }>): void;
  /** Deletes every vector of a project. */
  forget(scope: string): void;
  close(): void;
}

export interface SqliteCacheStoreOptions {
  /** Rows kept at most; past it the oldest tenth is deleted. */
  maxEntries?: number;
}

export function createSqliteCacheStore(filePath: string, options: SqliteCacheStoreOptions = {}): EmbeddingCacheStore {
  const maxEntries = options.maxEntries ?? 1_000_000;
  mkdirSync(dirname(filePath), { recursive: true });
  const db = new Database(filePath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // The first cache table was shared by every project; its rows cannot be told apart, and a cache may start empty.
  db.exec(`
    DROP TABLE IF EXISTS embedding_cache;
    CREATE TABLE IF NOT EXISTS project_embedding_cache (
      scope TEXT NOT NULL,
      model TEXT NOT NULL,
      dimensions INTEGER NOT NULL,
      content_sha256 TEXT NOT NULL,
      vector BLOB NOT NULL,
      PRIMARY KEY (scope, model, dimensions, content_sha256)
    );
  `);

  const select = db.prepare<[string, string, number, string], { vector: Buffer }>(
    'SELECT vector FROM project_embedding_cache WHERE scope = ? AND model = ? AND dimensions = ? AND content_sha256 = ?',
  );
  const insert = db.prepare<[string, string, number, string, Buffer]>(
    'INSERT INTO project_embedding_cache (scope, model, dimensions, content_sha256, vector) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const deleteScope = db.prepare<[string]>('DELETE FROM project_embedding_cache WHERE scope = ?');
  // rowids grow with each insert, so the smallest are the oldest rows.
  const pruneOldest = db.prepare<[number]>(
    'DELETE FROM project_embedding_cache WHERE rowid IN (SELECT rowid FROM project_embedding_cache ORDER BY rowid LIMIT ?)',
  );
  let rows = (db.prepare('SELECT COUNT(*) AS n FROM project_embedding_cache').get() as { n: number }).n;

  const insertAll = db.transaction((scope: string, model: string, dimensions: number, entries: ReadonlyArray<{ hash: string; vector: Float32Array }>) => {
    for (const { hash, vector } of entries) {
      rows += insert.run(scope, model, dimensions, hash, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength)).changes;
    }
    if (rows > maxEntries) {
      // Deleting a tenth at a time keeps pruning rare instead of once per insert.
      rows -= pruneOldest.run(rows - maxEntries + Math.ceil(maxEntries / 10)).changes;
    }
  });

  return {
    get(scope, model, dimensions, hashes) {
      const found = new Map<string, Float32Array>();
      for (const hash of hashes) {
        const row = select.get(scope, model, dimensions, hash);
        // A row of the wrong size (a truncated write, say) is a miss, not a bad vector.
        if (row && row.vector.byteLength === dimensions * 4) found.set(hash, toFloat32Array(row.vector));
      }
      return found;
    },
    set(scope, model, dimensions, entries) {
      insertAll(scope, model, dimensions, entries);
    },
    forget(scope) {
      rows -= deleteScope.run(scope).changes;
    },
    close() {
      db.close();
    },
  };
}

/** Copies out of the Buffer: its memory may be pooled and is not 4-byte aligned. */
function toFloat32Array(buffer: Buffer): Float32Array {
  const vector = new Float32Array(buffer.byteLength / 4);
  new Uint8Array(vector.buffer).set(buffer);
  return vector;
}
