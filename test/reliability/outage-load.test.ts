/**
 * PostgreSQL stopped and restarted under a concurrent write load (single writes and batches):
 * zero 500s, every failure a 503 PROVIDER_UNAVAILABLE with Retry-After, zero acknowledged writes lost.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestService } from '../support/app.js';
import { postgresEnv, startPostgres, type TestPostgres } from '../support/postgres.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(() => server.destroy());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('PostgreSQL stopped and restarted during a write load: no 500, no acknowledged write lost', async () => {
  const service = await startTestService({ env: postgresEnv(await server.createDatabase('load'), { POSTGRES_TIMEOUT: '2000', POSTGRES_POOL_SIZE: '4' }) });
  const base = '/v1/projects/load/concepts';
  const acknowledged: string[] = [];
  const statuses: Record<string, number> = {};
  const during: Record<string, number> = {};
  let outage = false;
  let stop = false;
  try {
    const writer = async (worker: number) => {
      for (let n = 0; !stop; n++) {
        const batch = n % 3 === 0;
        const ids = batch ? Array.from({ length: 20 }, (_, i) => `w${worker}-${n}-${i}`) : [`w${worker}-${n}`];
        const response = batch
          ? await service.app.inject({
              method: 'POST',
              url: `${base}/batch`,
              payload: { items: ids.map((id) => ({ id, conceptName: id, conceptType: 'class' })) },
            })
          : await service.app.inject({ method: 'PUT', url: `${base}/${ids[0]}`, payload: { conceptName: ids[0], conceptType: 'class' } });
        const key = String(response.statusCode);
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (outage) during[key] = (during[key] ?? 0) + 1;
        if (response.statusCode === 200) acknowledged.push(...ids);
        else {
          assert.equal(response.statusCode, 503, response.body);
          assert.equal(JSON.parse(response.body).code, 'PROVIDER_UNAVAILABLE');
          assert.ok(Number(response.headers['retry-after']) > 0);
          await sleep(25);
        }
      }
    };
    const writers = Array.from({ length: 4 }, (_, worker) => writer(worker));
    await sleep(1000);
    outage = true;
    server.stop();
    await sleep(2000);
    server.start();
    outage = false;
    const deadline = Date.now() + 20_000;
    while ((await service.app.inject({ method: 'GET', url: '/ready' })).statusCode !== 200) {
      assert.ok(Date.now() < deadline, 'recovers by itself');
      await sleep(100);
    }
    const before = acknowledged.length;
    while (acknowledged.length < before + 100) await sleep(20);
    stop = true;
    await Promise.all(writers);

    const stored = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = JSON.parse((await service.app.inject({ method: 'GET', url: `${base}?limit=1000${cursor ? `&cursor=${cursor}` : ''}` })).body);
      for (const item of page.items) stored.add(item.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const lost = acknowledged.filter((id) => !stored.has(id));
    console.log(
      `outage under load: ${JSON.stringify({ statuses, duringOutage: during, acknowledgedWrites: acknowledged.length, found: acknowledged.length - lost.length, lost: lost.length })}`,
    );
    assert.equal(statuses['500'], undefined, 'no 500');
    assert.ok((during['503'] ?? 0) > 0, 'the outage was seen');
    assert.deepEqual(lost, []);
  } finally {
    stop = true;
    await service.destroy();
  }
});
