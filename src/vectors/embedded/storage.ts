/**
 * The embedded store's SQLite side: schema, prepared statements and the
 * Float32 BLOB encoding. Table names are fixed, except one FTS5 table per
 * collection, named from our own integer id, never from a caller.
 */
import Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS vector_collections (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id TEXT NOT NULL,
  name TEXT NOT NULL,
  dimensions INTEGER NOT NULL,
  model TEXT NOT NULL,
  created_at TEXT NOT NULL,
  ann_file TEXT,
  ann_watermark INTEGER NOT NULL DEFAULT 0,
  ann_size INTEGER NOT NULL DEFAULT 0,
  ann_checksum TEXT,
  UNIQUE (project_id, name)
);
-- seq is AUTOINCREMENT so that it is never reused: the ANN index is keyed by
-- seq, and a replaced document gets a new seq rather than its old index entry.
CREATE TABLE IF NOT EXISTS vector_documents (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id INTEGER NOT NULL,
  doc_id TEXT NOT NULL,
  content TEXT NOT NULL,
  metadata TEXT NOT NULL,
  vector BLOB NOT NULL,
  UNIQUE (collection_id, doc_id)
);
CREATE INDEX IF NOT EXISTS vector_documents_by_seq ON vector_documents (collection_id, seq);
`;

export interface CollectionRow {
  id: number;
  project_id: string;
  name: string;
  dimensions: number;
  model: string;
  ann_file: string | null;
  ann_watermark: number;
  ann_size: number;
  ann_checksum: string | null;
}

/**
 * WAL with synchronous=FULL: a resolved upsert is on disk (NORMAL could lose
 * the last commits on power loss, and one fsync per batch of up to 1,000
 * documents is cheap), and each upsert is one transaction, so a crash leaves
 * a batch wholly present or wholly absent.
 */
export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}

export interface Statements {
  insertCollection: Database.Statement;
  collection: Database.Statement;
  collections: Database.Statement;
  allIndexFiles: Database.Statement;
  deleteCollection: Database.Statement;
  setAnn: Database.Statement;
  countDocuments: Database.Statement;
  loadChunk: Database.Statement;
  deleteDocuments: Database.Statement;
  insertDocument: Database.Statement;
  deleteDocument: Database.Statement;
  documentBySeq: Database.Statement;
  vectorBySeq: Database.Statement;
  scrollFrom: Database.Statement;
}

export function prepareStatements(db: Database.Database): Statements {
  return {
    insertCollection: db.prepare('INSERT INTO vector_collections (project_id, name, dimensions, model, created_at) VALUES (?, ?, ?, ?, ?)'),
    collection: db.prepare('SELECT * FROM vector_collections WHERE project_id = ? AND name = ?'),
    collections: db.prepare('SELECT * FROM vector_collections WHERE project_id = ? ORDER BY name'),
    allIndexFiles: db.prepare('SELECT ann_file FROM vector_collections WHERE ann_file IS NOT NULL').pluck(),
    deleteCollection: db.prepare('DELETE FROM vector_collections WHERE id = ?'),
    setAnn: db.prepare('UPDATE vector_collections SET ann_file = ?, ann_watermark = ?, ann_size = ?, ann_checksum = ? WHERE id = ?'),
    countDocuments: db.prepare('SELECT count(*) FROM vector_documents WHERE collection_id = ?').pluck(),
    loadChunk: db.prepare('SELECT seq, doc_id, metadata, vector FROM vector_documents WHERE collection_id = ? AND seq > ? ORDER BY seq LIMIT ?').raw(),
    deleteDocuments: db.prepare('DELETE FROM vector_documents WHERE collection_id = ?'),
    insertDocument: db.prepare('INSERT INTO vector_documents (collection_id, doc_id, content, metadata, vector) VALUES (?, ?, ?, ?, ?)'),
    deleteDocument: db.prepare('DELETE FROM vector_documents WHERE collection_id = ? AND doc_id = ? RETURNING seq').pluck(),
    documentBySeq: db.prepare('SELECT content, vector FROM vector_documents WHERE seq = ?'),
    vectorBySeq: db.prepare('SELECT vector FROM vector_documents WHERE seq = ?').pluck(),
    // Content and vector are read only for the documents a page keeps (documentBySeq).
    scrollFrom: db.prepare('SELECT seq, doc_id, metadata FROM vector_documents WHERE collection_id = ? AND doc_id > ? ORDER BY doc_id'),
  };
}

export function ftsTable(collectionId: number): string {
  return `vector_fts_${Math.trunc(collectionId)}`;
}

/** Contentless: the text lives in vector_documents; FTS keeps only its index. */
export function createFtsTable(db: Database.Database, collectionId: number): void {
  db.exec(`CREATE VIRTUAL TABLE ${ftsTable(collectionId)} USING fts5(content, content='', contentless_delete=1)`);
}

export interface FtsStatements {
  insert: Database.Statement;
  remove: Database.Statement;
  /** (rowid = seq, score) best first. */
  search: Database.Statement;
}

export function prepareFts(db: Database.Database, collectionId: number): FtsStatements {
  const table = ftsTable(collectionId);
  return {
    insert: db.prepare(`INSERT INTO ${table} (rowid, content) VALUES (?, ?)`),
    remove: db.prepare(`DELETE FROM ${table} WHERE rowid = ?`),
    // bm25() is lower-is-better and negative: negate it so a higher score is more relevant.
    search: db.prepare(`SELECT rowid, -bm25(${table}) FROM ${table} WHERE ${table} MATCH ? ORDER BY bm25(${table})`).raw(),
  };
}

export function fromBlob(blob: Buffer, dimensions: number): Float32Array {
  // Copy through bytes: a blob's offset in its buffer need not be 4-byte aligned.
  const vector = new Float32Array(dimensions);
  new Uint8Array(vector.buffer).set(blob.subarray(0, dimensions * 4));
  return vector;
}

/** One upsert as the writer thread receives it: documents already deduplicated, vectors packed end to end. */
export interface WriteBatch {
  collectionId: number;
  ids: string[];
  contents: string[];
  /** Each document's metadata as JSON. */
  metadata: string[];
  /** ids.length vectors of the collection's dimensions, one after another (transferred, not copied). */
  vectors: Float32Array<ArrayBuffer>;
}

/** Writes a batch in one transaction, replacing documents of the same ids; returns each document's new seq. */
export function writeBatch(db: Database.Database, sql: Statements, batch: WriteBatch): number[] {
  const fts = prepareFts(db, batch.collectionId);
  const collectionId = BigInt(batch.collectionId);
  const bytes = Buffer.from(batch.vectors.buffer, batch.vectors.byteOffset, batch.vectors.byteLength);
  const stride = bytes.length / batch.ids.length;
  return db.transaction(() =>
    batch.ids.map((id, i) => {
      const old = sql.deleteDocument.get(collectionId, id) as number | undefined;
      if (old !== undefined) fts.remove.run(BigInt(old));
      const vector = bytes.subarray(i * stride, (i + 1) * stride);
      const seq = sql.insertDocument.run(collectionId, id, batch.contents[i], batch.metadata[i], vector).lastInsertRowid;
      fts.insert.run(BigInt(seq), batch.contents[i]);
      return Number(seq);
    }),
  )();
}
