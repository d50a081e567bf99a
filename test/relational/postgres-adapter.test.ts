/** What the PostgreSQL adapter adds to the shared SQL: placeholders, the search index, driver errors in the error table. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AppError } from '../../src/errors.js';
import { concepts } from '../../src/entities/registry.js';
import { createEntityRepository } from '../../src/relational/repository.js';
import { createPostgresStore, postgresDialect, prepared, toPositional } from '../../src/relational/postgres.js';
import type { SqlClient, SqlParameter } from '../../src/relational/port.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(() => server.destroy());

test('? becomes $n outside quoted text only', () => {
  assert.equal(toPositional(`SELECT '?', "a?" FROM t WHERE a = ? AND b = ?::jsonb`), `SELECT '?', "a?" FROM t WHERE a = $1 AND b = $2::jsonb`);
});

test('driver errors become codes of the error table', async () => {
  const store = createPostgresStore({
    settings: { provider: 'postgres', connectionString: await server.createDatabase('errors'), sslMode: 'disable', poolSize: 2, timeoutMs: 1000 },
  });
  const failure = async (work: Promise<unknown>) => {
    const error = await work.then(
      () => assert.fail('no error'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof AppError, String(error));
    return error;
  };
  try {
    await store.migrate();
    const insert = `INSERT INTO projects (project_id, created_at, updated_at) VALUES ('dup', now(), now())`;
    await store.run(insert);
    assert.equal((await failure(store.run(insert))).code, 'CONFLICT');
    assert.equal((await failure(store.query('SELECT ?::timestamptz', ['not a time']))).code, 'VALIDATION_FAILED');
    const timeout = await failure(store.query('SELECT pg_sleep(3)'));
    assert.equal(timeout.code, 'PROVIDER_UNAVAILABLE', 'a statement over POSTGRES_TIMEOUT is cancelled');
    assert.ok(timeout.retryAfter! > 0);
    assert.deepEqual(await store.query('SELECT 1 AS one'), [{ one: 1 }], 'the pool still serves after errors');
  } finally {
    await store.close();
  }
});

test('q on 100,000 concepts uses the trigram index, with a plan made for the pattern', async () => {
  const store = createPostgresStore({
    settings: { provider: 'postgres', connectionString: await server.createDatabase('search'), sslMode: 'disable', poolSize: 2, timeoutMs: 30_000 },
  });
  try {
    await store.migrate();
    await store.run(
      `INSERT INTO semantic_concepts (project_id, id, concept_name, concept_type, confidence_score, created_at, updated_at)
       SELECT 'big', 'c' || n, 'Concept' || n || 'Service', 'class', 0.5, now(), now() FROM generate_series(1, 100000) AS n`,
    );
    await store.run('ANALYZE semantic_concepts');

    // The repository's own SQL, captured on its way to the store.
    const issued: Array<{ sql: string; params: readonly SqlParameter[] }> = [];
    const recording: SqlClient = {
      dialect: postgresDialect,
      query: (sql, params = []) => (issued.push({ sql, params }), store.query(sql, params)),
      run: (sql, params = []) => store.run(sql, params),
      transaction: (work) => work(recording),
    };
    const page = await createEntityRepository(concepts, postgresDialect).list(recording, 'big', { q: 'CEPT77777SERV', limit: 10 });
    assert.deepEqual(
      page.items.map((item) => item.id),
      ['c77777'],
    );

    const { sql, params } = issued[0]!;
    const plan = (await store.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).map((row) => row['QUERY PLAN']).join('\n');
    assert.match(plan, /idx_semantic_concepts_concept_name_trgm/, plan);
    assert.equal(prepared(sql, params.length).name, undefined, 'the search is planned for its pattern, never from a generic plan');
  } finally {
    await store.close();
  }
});

test("callers' own sorts do not pile up named statements on a connection; the default order stays prepared", async () => {
  // One connection, so every statement lands on the session pg_prepared_statements reads.
  const store = createPostgresStore({
    settings: { provider: 'postgres', connectionString: await server.createDatabase('sorts'), sslMode: 'disable', poolSize: 1, timeoutMs: 5000 },
  });
  try {
    await store.migrate();
    const repository = createEntityRepository(concepts, postgresDialect);
    const orders: string[] = [];
    const fields = ['conceptName', 'conceptType', 'confidenceScore', 'createdAt', 'updatedAt'];
    for (const first of fields) for (const second of fields) if (first !== second) for (const sign of ['', '-']) orders.push(`${sign}${first},${second}`);
    for (const sort of orders) await repository.list(store, 'p', { sort, limit: 10 });
    await repository.list(store, 'p', { limit: 10 });
    const [{ count }] = (await store.query<{ count: string }>(`SELECT COUNT(*) AS count FROM pg_prepared_statements WHERE name LIKE 'ims_%'`)) as [
      { count: string },
    ];
    assert.equal(orders.length, 40);
    assert.ok(Number(count) <= 3, `${count} named statements on the connection after ${orders.length} ad hoc orders`);
  } finally {
    await store.close();
  }
});
