/** The name search (`q`) on PostgreSQL stays an index lookup at 100,000 rows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concepts } from '../../src/entities/registry.js';
import { createEntityRepository } from '../../src/relational/repository.js';
import { createPostgresStore, postgresDialect, prepared } from '../../src/relational/postgres.js';
import type { SqlClient, SqlParameter } from '../../src/relational/port.js';
import { startPostgres } from '../support/postgres.js';

test('q on 100,000 concepts uses the trigram index, with a plan made for the pattern', async () => {
  const server = await startPostgres();
  const store = createPostgresStore({ settings: { provider: 'postgres', connectionString: await server.createDatabase('search'), sslMode: 'disable', poolSize: 2, timeoutMs: 30_000 } });
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
    assert.deepEqual(page.items.map((item) => item.id), ['c77777']);

    const { sql, params } = issued[0]!;
    const plan = (await store.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).map((row) => row['QUERY PLAN']).join('\n');
    assert.match(plan, /idx_semantic_concepts_concept_name_trgm/, plan);
    assert.equal(prepared(sql, params.length).name, undefined, 'the search is planned for its pattern, never from a generic plan');
  } finally {
    await store.close();
    server.destroy();
  }
});
