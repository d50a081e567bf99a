/**
 * PostgreSQL going away while the service runs, and being away when it starts:
 * 503 PROVIDER_UNAVAILABLE with Retry-After, /ready 503, recovery without a
 * restart, and no acknowledged write lost.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrations } from '../../src/relational/migrations.js';
import { startTestService, type TestService } from '../support/app.js';
import { postgresEnv, startPostgres, type TestPostgres } from '../support/postgres.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(() => server.destroy());

// Short timeouts so a refused connection is reported at once.
const env = (url: string) => postgresEnv(url, { POSTGRES_TIMEOUT: '2000', POSTGRES_POOL_SIZE: '4' });

async function waitUntilReady(service: TestService): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await service.app.inject({ method: 'GET', url: '/ready' });
    if (ready.statusCode === 200) return;
    if (Date.now() > deadline) assert.fail(`service did not recover: ${ready.body}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function assertUnavailable(response: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  assert.equal(response.statusCode, 503, response.body);
  assert.equal(JSON.parse(response.body).code, 'PROVIDER_UNAVAILABLE');
  assert.ok(Number(response.headers['retry-after']) > 0, 'Retry-After is set');
}

test('an outage while running: 503s, /ready 503, recovery by itself, no acknowledged write lost', async () => {
  const service = await startTestService({ env: env(await server.createDatabase('running')) });
  try {
    const base = '/v1/projects/outage/concepts';
    const acknowledged: string[] = [];
    const refused: number[] = [];
    let stopWriting = false;
    // One writer keeps writing through the outage; every 2xx it gets is a promise the data is kept.
    const writer = (async () => {
      for (let index = 0; !stopWriting; index++) {
        const id = `c${index}`;
        const response = await service.app.inject({
          method: 'PUT',
          url: `${base}/${id}`,
          payload: { conceptName: id, conceptType: 'class', confidenceScore: 0.5 },
        });
        if (response.statusCode === 200) acknowledged.push(id);
        else {
          assertUnavailable(response);
          refused.push(index);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();
    while (acknowledged.length < 30) await new Promise((resolve) => setTimeout(resolve, 10));

    server.stop();
    while (refused.length < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    assertUnavailable(await service.app.inject({ method: 'GET', url: `${base}/c0` }));
    assertUnavailable(
      await service.app.inject({
        method: 'POST',
        url: `${base}/batch`,
        payload: { items: [{ id: 'b', conceptName: 'b', conceptType: 'x', confidenceScore: 1 }] },
      }),
    );
    const ready = await service.app.inject({ method: 'GET', url: '/ready' });
    assert.equal(ready.statusCode, 503);
    assert.equal(JSON.parse(ready.body).providers[0].ok, false);
    assert.equal(JSON.parse(ready.body).providers[0].error, 'PostgreSQL is unavailable', 'the kind, no address');
    const acknowledgedBeforeRestart = acknowledged.length;

    server.start();
    await waitUntilReady(service);
    while (acknowledged.length < acknowledgedBeforeRestart + 10) await new Promise((resolve) => setTimeout(resolve, 10));
    stopWriting = true;
    await writer;

    const stored = await service.app.inject({ method: 'GET', url: `${base}?limit=1000` });
    assert.equal(stored.statusCode, 200);
    const ids = new Set(JSON.parse(stored.body).items.map((item: { id: string }) => item.id));
    for (const id of acknowledged) assert.ok(ids.has(id), `acknowledged write ${id} kept`);
    assert.ok(refused.length >= 5);
  } finally {
    server.start();
    await service.stop();
  }
});

test('PostgreSQL down at start-up: the service starts, answers 503, and migrates once it is back', async () => {
  const url = await server.createDatabase('startup');
  server.stop();
  let service: TestService | undefined;
  try {
    service = await startTestService({ env: env(url) });
    assert.equal((await service.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.equal((await service.app.inject({ method: 'GET', url: '/ready' })).statusCode, 503);
    assertUnavailable(await service.app.inject({ method: 'GET', url: '/v1/projects/late/concepts/x' }));

    server.start();
    await waitUntilReady(service);
    const put = await service.app.inject({
      method: 'PUT',
      url: '/v1/projects/late/concepts/x',
      payload: { conceptName: 'x', conceptType: 'y', confidenceScore: 1 },
    });
    assert.equal(put.statusCode, 200, put.body);
    const versions = await server.sql<{ count: string }>('SELECT count(*) AS count FROM schema_migrations', 'startup');
    assert.equal(Number(versions[0]!.count), migrations.length, 'migrations ran once PostgreSQL was back');
  } finally {
    server.start();
    await service?.stop();
  }
});
