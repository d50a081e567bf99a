// The stack's own ceiling for issue 16's measures: what bare Fastify and the database drivers do on this
// machine with none of the service (no schema, hooks, keys, headers, metrics, logging). bench/run.ts loads
// it side by side with the service; a goal above the ceiling cannot be met by trimming the service.
//
// SQLite: a file of its own, its schema made by the service's migrations, filled with raw better-sqlite3
// statements of the service's shape (multi-row INSERT ... ON CONFLICT DO UPDATE, one transaction and one
// fsync per batch of 1,000, synchronous=FULL): that fill is the batch-upsert floor, read at GET /floor.
// PostgreSQL: reads the row the service on PostgreSQL holds (DATABASE_URL), through a pg pool.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import fastify from 'fastify';
import pg from 'pg';
import { createSqliteStore } from '../src/relational/sqlite.js';
import { requestPathConcept } from './support.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const BATCH = 1000;
const ROWS_PER_STATEMENT = 250;

/** The bench's concept (bench/run.ts sends the same ones to the service) as the service stores it. */
function row(index: number, now: string) {
  const concept = requestPathConcept(index, ROWS);
  return [
    'bench',
    concept.id,
    concept.conceptName,
    concept.conceptType,
    concept.confidenceScore,
    JSON.stringify(concept.relationships),
    null,
    concept.filePath,
    JSON.stringify(concept.lineRange),
    now,
    now,
  ];
}

const dataDir = process.env.DATA_DIR!;
const file = path.join(dataDir, 'ceiling.db');
mkdirSync(dataDir, { recursive: true });
const store = createSqliteStore({ file });
await store.migrate();
await store.close();

const db = new Database(file);
db.pragma('locking_mode = EXCLUSIVE');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('cache_size = -65536');
const columns = 'project_id, id, concept_name, concept_type, confidence_score, relationships, evolution_history, file_path, line_range, created_at, updated_at';
const updates = columns
  .split(', ')
  .slice(2)
  .filter((column) => column !== 'created_at')
  .map((column) => `${column} = excluded.${column}`)
  .join(', ');
const insert = db.prepare(
  `INSERT INTO semantic_concepts (${columns}) VALUES ${Array(ROWS_PER_STATEMENT).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (project_id, id) DO UPDATE SET ${updates}`,
);
const started = performance.now();
for (let start = 0; start < ROWS; start += BATCH) {
  const now = new Date().toISOString();
  db.exec('BEGIN IMMEDIATE');
  for (let first = start; first < start + BATCH; first += ROWS_PER_STATEMENT) {
    insert.run(Array.from({ length: ROWS_PER_STATEMENT }, (_unused, offset) => row(first + offset, now)).flat());
  }
  db.exec('COMMIT');
}
const floorRowsPerSecond = ROWS / ((performance.now() - started) / 1000);

const byId = db.prepare('SELECT * FROM semantic_concepts WHERE project_id = ? AND id = ?');
const byType = db.prepare('SELECT * FROM semantic_concepts WHERE project_id = ? AND concept_type = ? ORDER BY concept_name, id LIMIT ?');
interface StoredConcept {
  id: string;
  concept_name: string;
  concept_type: string;
  confidence_score: number;
  relationships: string;
  file_path: string;
  line_range: string;
  created_at: string;
  updated_at: string;
}
type ById = { Params: { projectId: string; id: string } };
type ByType = { Params: { projectId: string }; Querystring: { conceptType: string; limit: string } };

const decode = (found: StoredConcept) => ({
  id: found.id,
  conceptName: found.concept_name,
  conceptType: found.concept_type,
  confidenceScore: found.confidence_score,
  relationships: JSON.parse(found.relationships),
  filePath: found.file_path,
  lineRange: JSON.parse(found.line_range),
  createdAt: found.created_at,
  updatedAt: found.updated_at,
});
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

const app = fastify();
app.get('/health', async () => ({ status: 'ok' }));
app.get('/floor', async () => ({ rowsPerSecond: floorRowsPerSecond }));
app.get<ById>('/sqlite/:projectId/concepts/:id', async (request, reply) => {
  const found = byId.get(request.params.projectId, request.params.id) as StoredConcept | undefined;
  return found ? decode(found) : reply.code(404).send({ error: 'not found' });
});
app.get<ByType>('/sqlite/:projectId/concepts', async (request) => ({
  items: (byType.all(request.params.projectId, request.query.conceptType, Number(request.query.limit)) as StoredConcept[]).map(decode),
}));
app.get<ById>('/postgres/:projectId/concepts/:id', async (request, reply) => {
  const { rows } = await pool.query({
    name: 'by-id',
    text: 'SELECT * FROM semantic_concepts WHERE project_id = $1 AND id = $2',
    values: [request.params.projectId, request.params.id],
  });
  // The driver has decoded the JSON columns already: the row goes out as it comes.
  return rows[0] ?? reply.code(404).send({ error: 'not found' });
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
