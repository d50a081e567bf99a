/** Importing real In-Memoria databases: the 0.4.1 fixture (schema version 4) and a version-7 file built here. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { importInMemoria } from '../../src/backup/in-memoria.js';
import { columnName } from '../../src/entities/define.js';
import { entities } from '../../src/entities/registry.js';
import { makeDataDir, startTestService, testEnv } from '../support/app.js';

const FIXTURE = path.resolve('../shared/fixtures/in-memoria-0.4.1.db');

function sourceCounts(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((row) => row.name);
    return Object.fromEntries(tables.map((table) => [table, (db.prepare(`SELECT COUNT(*) AS c FROM "${table}"`).get() as { c: number }).c]));
  } finally {
    db.close();
  }
}

test('the In-Memoria 0.4.1 fixture imports with every row accounted for, JSON, line ranges and timestamps kept', async () => {
  const service = await startTestService();
  try {
    const report = await importInMemoria(service.services, { file: FIXTURE, projectId: 'in-memoria' });
    assert.equal(report.schemaVersion, 4);
    assert.deepEqual(report.missingTables.sort(), ['entry_points', 'feature_map', 'key_directories', 'project_decisions', 'work_sessions']);
    const counts = sourceCounts(FIXTURE);
    assert.equal(counts.semantic_concepts, 73);
    assert.equal(counts.developer_patterns, 13);
    for (const entity of entities.filter((candidate) => candidate.table in counts)) {
      const stored = await service.services.relational.count(entity.name, 'in-memoria', {});
      assert.equal(stored.count, counts[entity.table], `${entity.table}: every row`);
      assert.equal(report.tables.find((table) => table.table === entity.table)?.imported, counts[entity.table]);
    }

    const concept = await service.services.relational.get('concepts', 'in-memoria', 'concept_1795537662215');
    assert.deepEqual(concept.lineRange, { start: 104, end: 104 });
    assert.deepEqual(concept.relationships, {});
    assert.equal(concept.createdAt, '2026-11-24T16:27:42.000Z');
    assert.equal(concept.updatedAt, '2026-11-24T16:27:42.000Z', "timestamps are the file's, not the import's");
    assert.equal(concept.filePath, './src/index.ts');
    const pattern = await service.services.relational.get('patterns', 'in-memoria', 'naming_class_mixed_1795537671837');
    assert.deepEqual(pattern.contexts, ['naming', 'class']);
    assert.equal((pattern.examples as unknown[]).length, 5);
    assert.equal(pattern.frequency, 8);
    assert.equal(pattern.lastSeen, '2026-11-24T16:27:51.000Z');

    // Importing again is idempotent.
    await importInMemoria(service.services, { file: FIXTURE, projectId: 'in-memoria' });
    assert.equal((await service.services.relational.count('concepts', 'in-memoria', {})).count, 73);
  } finally {
    await service.destroy();
  }
});

test('a version-7 database: the newer tables are imported and In-Memoria columns the service does not keep are reported', async () => {
  const file = path.join(makeDataDir(), 'in-memoria-v7.db');
  const db = new Database(file);
  db.exec('CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  db.exec("INSERT INTO migrations VALUES (1,'a'),(7,'g')");
  for (const entity of entities) {
    const columns = Object.keys(entity.fields).map(columnName);
    db.exec(`CREATE TABLE "${entity.table}" (${columns.map((c) => `"${c}" TEXT`).join(', ')}, project_id TEXT)`);
  }
  db.exec(
    'CREATE TABLE project_metadata (project_id TEXT PRIMARY KEY, project_path TEXT NOT NULL, project_name TEXT, languages_detected TEXT, created_at DATETIME, updated_at DATETIME)',
  );
  db.prepare('INSERT INTO project_metadata VALUES (?, ?, ?, ?, ?, ?)').run(
    'p1',
    '/src/app',
    'app',
    '["typescript","rust"]',
    '2026-01-02 03:04:05',
    '2026-01-03 03:04:05',
  );
  db.prepare(
    'INSERT INTO feature_map (id, feature_name, primary_files, related_files, dependencies, status, created_at, updated_at, project_id) VALUES (?,?,?,?,?,?,?,?,?)',
  ).run('f1', 'auth', '["src/auth.ts"]', '[]', '[]', 'active', '2026-01-02 03:04:05', '2026-01-02 03:04:06', 'p1');
  db.prepare('INSERT INTO project_decisions (decision_key, decision_value, reasoning, made_at, project_id) VALUES (?,?,?,?,?)').run(
    'db',
    '"postgres"',
    'shared',
    '2026-01-05 00:00:00',
    'p1',
  );
  db.prepare('INSERT INTO work_sessions (id, session_start, current_files, project_id) VALUES (?,?,?,?)').run('s1', '2026-01-06 10:00:00', '["a.ts"]', 'p1');
  db.prepare(
    "INSERT INTO semantic_concepts (id, concept_name, concept_type, confidence_score, line_range, created_at, updated_at) VALUES ('c1','X','class',0.5,'{\"start\":1,\"end\":2}','2026-01-01 00:00:00','2026-01-01 00:00:00')",
  ).run();
  db.close();

  const service = await startTestService();
  try {
    const report = await importInMemoria(service.services, { file, projectId: 'app' });
    assert.equal(report.schemaVersion, 7);
    assert.deepEqual(report.missingTables, []);
    assert.ok(report.tables.every((table) => table.droppedColumns.join() === 'project_id'));
    const feature = await service.services.relational.get('features', 'app', 'f1');
    assert.deepEqual(feature.primaryFiles, ['src/auth.ts']);
    assert.equal(feature.updatedAt, '2026-01-02T03:04:06.000Z');
    assert.equal((await service.services.relational.get('decisions', 'app', 'db')).decisionValue, 'postgres');
    assert.equal((await service.services.relational.currentWorkSession('app')).id, 's1');
    const project = await service.services.relational.getProject('app');
    assert.deepEqual(project.languagesDetected, ['typescript', 'rust']);
    assert.equal(project.createdAt, '2026-01-02T03:04:05.000Z');
  } finally {
    await service.destroy();
  }
});

test('import-in-memoria on the command line, with the concepts embedded', async () => {
  const dataDir = makeDataDir();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'import-in-memoria', '--db', FIXTURE, '--project', 'im', '--embed'],
    {
      env: { PATH: process.env.PATH ?? '', ...testEnv(dataDir, { EMBEDDING_PROVIDER: 'local' }) },
    },
  );
  assert.match(stdout, /schema version 4/);
  assert.match(stdout, /semantic_concepts\s+73 rows ->\s+73 ok/);
  assert.match(stdout, /developer_patterns\s+13 rows ->\s+13 ok/);
  assert.match(stdout, /embedded into collection concepts: 73/);
  const service = await startTestService({ dataDir });
  try {
    const [hit] = await service.services.vectors.search('im', 'concepts', { query: 'setup variable', mode: 'keyword', limit: 1 });
    assert.ok(hit);
  } finally {
    await service.destroy();
  }
});
