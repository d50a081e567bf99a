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

/** Where the cache keeps vectors between restarts; keyed by model, size and content hash. */
export interface EmbeddingCacheStore {
  /** The stored vectors among `hashes`, by hash. */
  get(model: string, dimensions: number, hashes: readonly string[]): Map<string, Float32Array>;
  set(model: string, dimensions: number, entries: ReadonlyArray<{ hash: string; vector: Float32Array }>): void;
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
  db.exec(`
    CREATE TABLE IF NOT EXISTS embedding_cache (
      model TEXT NOT NULL,
      dimensions INTEGER NOT NULL,
      content_sha256 TEXT NOT NULL,
      vector BLOB NOT NULL,
      PRIMARY KEY (model, dimensions, content_sha256)
    );
  `);

  const select = db.prepare<[string, number, string], { vector: Buffer }>(
    'SELECT vector FROM embedding_cache WHERE model = ? AND dimensions = ? AND content_sha256 = ?',
  );
  const insert = db.prepare<[string, number, string, Buffer]>(
    'INSERT INTO embedding_cache (model, dimensions, content_sha256, vector) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  // rowids grow with each insert, so the smallest are the oldest rows.
  const pruneOldest = db.prepare<[number]>('DELETE FROM embedding_cache WHERE rowid IN (SELECT rowid FROM embedding_cache ORDER BY rowid LIMIT ?)');
  let rows = (db.prepare('SELECT COUNT(*) AS n FROM embedding_cache').get() as { n: number }).n;

  const insertAll = db.transaction((model: string, dimensions: number, entries: ReadonlyArray<{ hash: string; vector: Float32Array }>) => {
    for (const { hash, vector } of entries) {
      rows += insert.run(model, dimensions, hash, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength)).changes;
    }
    if (rows > maxEntries) {
      // Deleting a tenth at a time keeps pruning rare instead of once per insert.
      rows -= pruneOldest.run(rows - maxEntries + Math.ceil(maxEntries / 10)).changes;
    }
  });

  return {
    get(model, dimensions, hashes) {
      const found = new Map<string, Float32Array>();
      for (const hash of hashes) {
        const row = select.get(model, dimensions, hash);
        // A row of the wrong size (a truncated write, say) is a miss, not a bad vector.
        if (row && row.vector.byteLength === dimensions * 4) found.set(hash, toFloat32Array(row.vector));
      }
      return found;
    },
    set(model, dimensions, entries) {
      insertAll(model, dimensions, entries);
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
