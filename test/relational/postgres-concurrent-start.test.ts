/** Replicas starting at the same moment against one empty database: all come up, the schema is applied once. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { migrations } from '../../src/relational/migrations.js';
import { makeDataDir } from '../support/app.js';
import { startChildService, type ChildService } from '../support/child-service.js';
import { postgresEnv, startPostgres } from '../support/postgres.js';

test('three service processes migrating one empty database at once all come up; each migration is applied once', async () => {
  const server = await startPostgres();
  const services: ChildService[] = [];
  // Each replica owns a data directory (its embedded vector store); they share the relational one.
  const dataDirs = [0, 1, 2].map(() => makeDataDir());
  try {
    // The test server trusts every local connection, so the password only has to stay out of the logs.
    const url = (await server.createDatabase('replicas')).replace('postgres@', 'postgres:pw-never-logged@');
    const started = await Promise.allSettled(dataDirs.map((dataDir) => startChildService(postgresEnv(url, { DATA_DIR: dataDir, LOG_LEVEL: 'info' }))));
    for (const result of started) if (result.status === 'fulfilled') services.push(result.value);
    for (const result of started) if (result.status === 'rejected') throw result.reason;

    for (const service of services) {
      const ready = await fetch(`${service.url}/ready`);
      assert.equal(ready.status, 200, await ready.text());
    }
    const applied = await server.sql<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version', 'replicas');
    assert.deepEqual(
      applied.map((row) => Number(row.version)),
      migrations.map((migration) => migration.version),
    );

    // Each replica sees the others' writes: one database, one schema.
    const put = await fetch(`${services[0]!.url}/v1/projects/shared/decisions/db`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ decisionValue: 'postgres' }),
    });
    assert.equal(put.status, 200);
    const back = await fetch(`${services[2]!.url}/v1/projects/shared/decisions/db`);
    assert.equal(back.status, 200, `${await back.clone().text()}\n${services[2]!.output.join('\n')}`);
    assert.equal(((await back.json()) as { decisionValue: string }).decisionValue, 'postgres');

    const log = services.flatMap((service) => service.output).join('\n');
    assert.match(log, /mode hybrid, relational postgres, vectors embedded/);
    assert.ok(!log.includes('pw-never-logged'), 'the database password is never logged');
  } finally {
    for (const service of services) await service.stop();
    server.destroy();
    for (const dataDir of dataDirs) rmSync(dataDir, { recursive: true, force: true });
  }
});
