/**
 * Qdrant going away, coming back, and refusing the API key: the service
 * answers 503 with Retry-After (never 500, never a hang), /ready names the
 * provider, relational calls keep working, and it recovers by itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../support/app.js';
import { startQdrantTestServer, type QdrantTestServer } from '../support/qdrant-test-server.js';

const API_KEY = 'outage-test-key-42';

function qdrantEnv(url: string): Record<string, string> {
  return {
    IN_MEMORIA_STORAGE_MODE: 'hybrid',
    RELATIONAL_PROVIDER: 'sqlite',
    VECTOR_PROVIDER: 'qdrant',
    QDRANT_URL: url,
    QDRANT_API_KEY: API_KEY,
    QDRANT_TIMEOUT: '1000',
    QDRANT_RETRY_ATTEMPTS: '1',
  };
}

describe('Qdrant outage and auth failure', () => {
  let qdrant: QdrantTestServer;
  let service: TestService;
  before(async () => {
    qdrant = await startQdrantTestServer({ apiKey: API_KEY });
    service = await startTestService({ env: qdrantEnv(qdrant.url) });
  });
  after(async () => {
    await service.destroy();
    await qdrant.stop().catch(() => undefined);
  });

  const search = () => service.app.inject({ method: 'POST', url: '/v1/projects/out/collections/code/search', payload: { query: 'user lookup', limit: 3 } });
  const ready = async () => {
    const response = await service.app.inject({ method: 'GET', url: '/ready' });
    return { status: response.statusCode, body: JSON.parse(response.body) as { providers: Array<{ name: string; ok: boolean; error?: string }> } };
  };

  test('serves, then 503s while Qdrant is down, then recovers without a restart', async () => {
    const upsert = await service.app.inject({
      method: 'PUT',
      url: '/v1/projects/out/collections/code/documents/a',
      payload: { content: 'function findUser(id) {}' },
    });
    assert.equal(upsert.statusCode, 200, upsert.body);
    assert.equal((await search()).statusCode, 200);

    await qdrant.stop();
    const started = Date.now();
    const down = await search();
    assert.equal(down.statusCode, 503, down.body);
    assert.equal(JSON.parse(down.body).code, 'PROVIDER_UNAVAILABLE');
    assert.ok(Number(down.headers['retry-after']) > 0, 'Retry-After');
    assert.ok(Date.now() - started < 5000, 'answers within the timeout budget');
    const write = await service.app.inject({ method: 'PUT', url: '/v1/projects/out/collections/code/documents/b', payload: { content: 'lost?' } });
    assert.equal(write.statusCode, 503);
    const readiness = await ready();
    assert.equal(readiness.status, 503);
    const vectors = readiness.body.providers.find((provider) => provider.name === 'vectors')!;
    assert.equal(vectors.ok, false);
    assert.ok(vectors.error && vectors.error.length > 0, 'says why');
    assert.equal(readiness.body.providers.find((provider) => provider.name === 'relational')!.ok, true);
    const relational = await service.app.inject({ method: 'PUT', url: '/v1/projects/out/concepts/c1', payload: { conceptName: 'x', conceptType: 'y' } });
    assert.equal(relational.statusCode, 200, 'relational calls do not need Qdrant');

    await qdrant.start();
    assert.equal((await ready()).status, 200);
    const back = await search();
    assert.equal(back.statusCode, 200);
    assert.equal(JSON.parse(back.body).results[0].id, 'a', 'acknowledged write still there');
  });

  test('a refused API key is a 503 naming authentication, never echoing the key', async () => {
    qdrant.setUnauthorized(true);
    try {
      const refused = await search();
      assert.equal(refused.statusCode, 503);
      assert.ok(!refused.body.includes(API_KEY));
      const readiness = await ready();
      assert.equal(readiness.status, 503);
      const error = readiness.body.providers.find((provider) => provider.name === 'vectors')!.error ?? '';
      assert.match(error, /auth|401|api key/i);
      assert.ok(!error.includes(API_KEY));
    } finally {
      qdrant.setUnauthorized(false);
    }
    assert.equal((await search()).statusCode, 200, 'recovers once the key is accepted');
  });

  test('a service started while Qdrant is down comes up, reports it, and recovers', async () => {
    const late = await startQdrantTestServer({ apiKey: API_KEY });
    await late.stop();
    const lateService = await startTestService({ env: qdrantEnv(late.url) });
    try {
      assert.equal((await lateService.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
      assert.equal((await lateService.app.inject({ method: 'GET', url: '/ready' })).statusCode, 503);
      await late.start();
      assert.equal((await lateService.app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
      const put = await lateService.app.inject({ method: 'PUT', url: '/v1/projects/late/collections/code/documents/a', payload: { content: 'hello' } });
      assert.equal(put.statusCode, 200, put.body);
    } finally {
      await lateService.destroy();
      await late.stop();
    }
  });
});
