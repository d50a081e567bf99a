/** GET /metrics: valid Prometheus text that moves when requests are made, by route pattern, never by raw id. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from './support/app.js';
import { parsePrometheus } from './support/prometheus.js';
import { startQdrantTestServer } from './support/qdrant-test-server.js';

const ENTITY_ROUTE = 'route="/v1/projects/:projectId/concepts/:id"';

async function scrape(service: TestService) {
  const response = await service.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return { ...parsePrometheus(response.body), body: response.body };
}

describe('metrics on the local providers', () => {
  let service: TestService;
  before(async () => (service = await startTestService()));
  after(() => service.destroy());

  test('request counts and latency by route pattern and status; ids never become labels', async () => {
    const count = (samples: Map<string, number>, status: string) =>
      samples.get(`ims_http_request_duration_seconds_count{method="PUT",${ENTITY_ROUTE},status_code="${status}"}`) ?? 0;
    const before = await scrape(service);
    for (const id of ['secret-id-one', 'secret-id-two']) {
      const put = await service.app.inject({ method: 'PUT', url: `/v1/projects/m1/concepts/${id}`, payload: { conceptName: id, conceptType: 'class' } });
      assert.equal(put.statusCode, 200);
    }
    const bad = await service.app.inject({ method: 'PUT', url: '/v1/projects/m1/concepts/x', payload: { nope: 1 } });
    assert.equal(bad.statusCode, 400);
    await service.app.inject({ method: 'GET', url: '/no/such/route/secret-id-three' });

    const after = await scrape(service);
    assert.equal(after.types.get('ims_http_request_duration_seconds'), 'histogram');
    assert.equal(count(after.samples, '200') - count(before.samples, '200'), 2);
    assert.equal(count(after.samples, '400') - count(before.samples, '400'), 1);
    assert.ok((after.samples.get(`ims_http_request_duration_seconds_sum{method="PUT",${ENTITY_ROUTE},status_code="200"}`) ?? 0) > 0, 'latency recorded');
    assert.equal(after.samples.get('ims_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"}'), 1);
    assert.ok(!after.body.includes('secret-id'), 'no raw id in any label');
  });

  test('provider calls, embedding calls and cache hits, job progress', async () => {
    const before = await scrape(service);
    const doc = (id: string) =>
      service.app.inject({
        method: 'PUT',
        url: `/v1/projects/m1/collections/code/documents/${id}`,
        payload: { content: 'function findUser(id) { return users[id]; }' },
      });
    assert.equal((await doc('a')).statusCode, 200);
    assert.equal((await doc('b')).statusCode, 200, 'same content: answered by the cache');
    const job = await service.app.inject({
      method: 'POST',
      url: '/v1/projects/m1/collections/code/jobs',
      payload: {
        items: [
          { id: 'j1', content: 'one' },
          { id: 'j2', content: 'two' },
        ],
      },
    });
    assert.equal(job.statusCode, 202);
    const { jobId } = JSON.parse(job.body) as { jobId: string };
    for (let i = 0; i < 100 && JSON.parse((await service.app.inject({ method: 'GET', url: `/v1/jobs/${jobId}` })).body).status !== 'succeeded'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const after = await scrape(service);
    const moved = (key: string) => (after.samples.get(key) ?? 0) - (before.samples.get(key) ?? 0);
    const sqlite = ['query', 'run', 'transaction'].map((operation) =>
      moved(`ims_provider_call_duration_seconds_count{provider="sqlite",operation="${operation}"}`),
    );
    assert.ok(
      sqlite.some((calls) => calls > 0),
      'relational calls timed (the project row a vector write ensures)',
    );
    assert.equal(moved('ims_provider_call_duration_seconds_count{provider="embedded",operation="upsert"}'), 3, 'two upserts and one job batch');
    assert.equal(moved('ims_embedding_texts_total{provider="local"}'), 3, 'the repeated text is embedded once; the job adds two');
    assert.equal(moved('ims_embedding_cache_hits_total'), 1);
    assert.equal(moved('ims_provider_call_duration_seconds_count{provider="local",operation="embed"}'), 2);
    assert.equal(moved('ims_ingest_jobs{status="succeeded"}'), 1);
    assert.equal(after.samples.get('ims_ingest_jobs{status="running"}'), 0);
    assert.ok(after.samples.has('process_cpu_user_seconds_total'), 'process metrics');
    assert.ok(![...after.samples.keys()].some((key) => key.startsWith('ims_db_pool_connections')), 'SQLite has no pool to report');
  });
});

test('provider errors are counted, and /metrics answers while the provider is down', async () => {
  const qdrant = await startQdrantTestServer({ apiKey: 'metrics-key' });
  const service = await startTestService({
    env: {
      IN_MEMORIA_STORAGE_MODE: 'hybrid',
      RELATIONAL_PROVIDER: 'sqlite',
      VECTOR_PROVIDER: 'qdrant',
      QDRANT_URL: qdrant.url,
      QDRANT_API_KEY: 'metrics-key',
      QDRANT_TIMEOUT: '1000',
      QDRANT_RETRY_ATTEMPTS: '0',
    },
  });
  try {
    const search = () => service.app.inject({ method: 'POST', url: '/v1/projects/m2/collections/code/search', payload: { query: 'user', limit: 3 } });
    assert.equal((await search()).statusCode, 404, 'no collection yet; Qdrant answers');
    await qdrant.stop();
    const started = (await scrape(service)).samples;
    assert.equal((await search()).statusCode, 503);
    const requests = qdrant.requests.length;
    const { samples } = await scrape(service);
    assert.equal(qdrant.requests.length, requests, 'a scrape sends nothing to Qdrant');
    const errors = [...samples].filter(
      ([key]) => key.startsWith('ims_provider_call_errors_total{provider="qdrant"') && key.includes('code="PROVIDER_UNAVAILABLE"'),
    );
    const total = (map: Map<string, number>) =>
      [...map].filter(([key]) => key.startsWith('ims_provider_call_errors_total{provider="qdrant"')).reduce((sum, [, value]) => sum + value, 0);
    assert.ok(errors.length > 0 && total(samples) > total(started), 'the outage is counted as provider errors');
  } finally {
    await service.destroy();
    await qdrant.stop().catch(() => undefined);
  }
});

test("the embedding cache is no oracle across projects: another project's text is a miss, and deleting a project drops its entries", async () => {
  const service = await startTestService();
  try {
    const call = (method: 'PUT' | 'POST' | 'DELETE', url: string, payload?: object) => service.app.inject({ method, url, ...(payload ? { payload } : {}) });
    const cache = () => service.services.embedder.stats();
    assert.equal(
      (await call('PUT', '/v1/projects/tenant-b/collections/code/documents/d1', { content: 'tenant b holds this exact secret text' })).statusCode,
      200,
    );
    assert.equal((await call('PUT', '/v1/projects/tenant-a/collections/code', {})).statusCode, 200);
    const before = cache();
    const search = await call('POST', '/v1/projects/tenant-a/collections/code/search', { query: 'tenant b holds this exact secret text', mode: 'vector' });
    assert.equal(search.statusCode, 200, search.body);
    assert.equal(cache().hits, before.hits, "tenant-a's search did not hit tenant-b's cached text");
    assert.equal(cache().misses, before.misses + 1);

    const entries = cache().entries;
    assert.equal((await call('DELETE', '/v1/projects/tenant-b')).statusCode, 204);
    assert.equal(cache().entries, entries - 1, "tenant-b's cached embedding went with the project");
  } finally {
    await service.destroy();
  }
});
