/**
 * Hostile input on every route (enumerated): SQL injection in filters, sort, q and ids, path
 * traversal in ids and project ids, deep and huge JSON, invalid UTF-8, numbers out of range,
 * prototype-pollution keys. Never a 5xx, nothing of another project leaked, hostile bodies stored
 * nowhere, and the service still healthy at the end.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import { startTestService, type TestService } from '../support/app.js';

const SECRET = 'victim-secret-7f3a';
const routes: Array<{ method: string; url: string }> = [];
let service: TestService;

before(async () => {
  service = await startTestService({
    env: { BODY_LIMIT: String(256 * 1024), MAX_RESPONSE_BYTES: String(8 * 1024 * 1024) },
    onRoute: (route: RouteOptions) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD' && route.url.startsWith('/v1')) routes.push({ method, url: route.url });
    },
  });
  // Another project's data: no hostile request may reveal it.
  const seed = await service.app.inject({ method: 'PUT', url: '/v1/projects/victim/concepts/c1', payload: { conceptName: SECRET, conceptType: 'class' } });
  assert.equal(seed.statusCode, 200, seed.body);
  const doc = await service.app.inject({
    method: 'PUT',
    url: '/v1/projects/victim/collections/code/documents/d1',
    payload: { content: SECRET, metadata: { filePath: SECRET } },
  });
  assert.equal(doc.statusCode, 200, doc.body);
});
after(() => service.destroy());

const injections = ["' OR '1'='1", "'; DROP TABLE semantic_concepts; --", '" OR 1=1 --', 'victim', "x') UNION SELECT * FROM semantic_concepts --"];
const traversals = ['../victim', '..%2Fvictim', '..%2F..%2F..%2Fetc%2Fpasswd', '%2E%2E%2Fvictim', 'a%00b', '%2Fetc%2Fpasswd'];

function fill(url: string, parts: { projectId?: string; id?: string; collection?: string } = {}): string {
  return url
    .replace(':projectId', parts.projectId ?? 'attacker')
    .replace(':collection', parts.collection ?? 'code')
    .replace(':jobId', parts.id ?? 'job')
    .replace(':id', parts.id ?? 'x');
}

const responses: Array<{ where: string; status: number; body: string }> = [];
async function send(method: string, url: string, payload?: string | Buffer, contentType = 'application/json') {
  const response = await service.app.inject({
    method: method as 'GET',
    url,
    ...(payload === undefined ? {} : { payload, headers: { 'content-type': contentType } }),
  });
  responses.push({ where: `${method} ${url.slice(0, 120)}`, status: response.statusCode, body: response.body });
  assert.ok(response.statusCode < 500, `${method} ${url.slice(0, 200)}: ${response.statusCode} ${response.body.slice(0, 300)}`);
  assert.ok(!response.body.includes(SECRET), `${method} ${url.slice(0, 200)} leaks another project's data`);
  return response;
}

test('SQL injection and traversal in every path parameter: no 5xx, no leak', async () => {
  for (const route of routes) {
    const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? '{}' : undefined;
    for (const value of [...injections.filter((text) => text !== 'victim').map(encodeURIComponent), ...traversals]) {
      if (route.url.includes(':projectId')) {
        const response = await send(route.method, fill(route.url, { projectId: value }), body);
        // 400 INVALID_PROJECT_ID, or 404 when the URL parser already resolved the dots away.
        assert.ok([400, 404].includes(response.statusCode), `${route.method} ${route.url} with projectId ${value}: ${response.body}`);
      }
      if (route.url.includes(':id') || route.url.includes(':jobId')) await send(route.method, fill(route.url, { id: value }), body);
      if (route.url.includes(':collection')) await send(route.method, fill(route.url, { collection: value }), body);
    }
  }
});

test('SQL injection in every filter, sort, q, cursor and limit of every list and count', async () => {
  const lists = routes.filter((route) => route.method === 'GET' && !route.url.includes(':id') && !route.url.includes(':jobId'));
  const spec = (await service.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, { get?: { parameters?: Array<{ in: string; name: string }> } }>;
  };
  let checked = 0;
  for (const route of lists) {
    const openApiPath = route.url.replace(/:(\w+)/g, '{$1}');
    const names = (spec.paths[openApiPath]?.get?.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
    for (const name of names) {
      // `GET /v1/export?projects=victim` is the admin's export of that project, by design (the auth matrix gates it).
      const candidates = route.url === '/v1/export' ? injections.filter((text) => text !== 'victim') : injections;
      for (const value of [...candidates, '1e309', '-1', '99999999999999999999', 'NaN', '__proto__']) {
        await send('GET', `${fill(route.url)}?${name}=${encodeURIComponent(value)}`);
        checked++;
      }
    }
    for (const extra of ['__proto__[polluted]=1', 'constructor[prototype][polluted]=1', 'sort=name;DROP', 'sort=-__proto__']) {
      await send('GET', `${fill(route.url)}?${extra}`);
    }
  }
  assert.ok(checked > 300, `checked ${checked} query values`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('hostile bodies on every route with a body are refused with a 4xx and store nothing', async () => {
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  const deepObject = `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`;
  const bodies: Array<[string, string | Buffer, string?]> = [
    ['deep array', deep],
    ['deep object', deepObject],
    ['huge', JSON.stringify({ items: [{ content: 'x'.repeat(300 * 1024) }] })],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"conceptName":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","conceptType":"a"}')])],
    ['__proto__', '{"__proto__":{"polluted":true},"conceptName":"p","conceptType":"a"}'],
    ['constructor.prototype', '{"constructor":{"prototype":{"polluted":true}},"conceptName":"p","conceptType":"a"}'],
    ['nested __proto__', '{"items":[{"id":"a","metadata":{"__proto__":{"polluted":true}}}]}'],
    [
      'out of range numbers',
      '{"conceptName":"n","conceptType":"a","confidenceScore":1e400,"limit":1e400,"dimensions":1e400,"items":[{"id":"a","confidenceScore":-1e400}]}',
    ],
    ['not JSON', "conceptName=' OR 1=1", 'application/x-www-form-urlencoded'],
    ['truncated', '{"conceptName":"a"'],
  ];
  for (const route of routes.filter((candidate) => ['POST', 'PUT', 'PATCH'].includes(candidate.method))) {
    for (const [name, payload, contentType] of bodies) {
      const response = await send(route.method, fill(route.url, { projectId: 'hostile' }), payload, contentType);
      assert.ok(response.statusCode >= 400, `${route.method} ${route.url} with ${name}: ${response.statusCode} ${response.body.slice(0, 200)}`);
      assert.ok(!response.body.includes('polluted') || name.includes('proto'), 'the message does not echo the body');
    }
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
  const stored = await service.app.inject({ method: 'GET', url: '/v1/projects/hostile/stats' });
  assert.equal(stored.statusCode, 200, stored.body);
  assert.equal(JSON.parse(stored.body).vectors.documents, 0);
  for (const entity of Object.values(JSON.parse(stored.body).entities ?? {}) as Array<{ count: number }>) assert.equal(entity.count, 0);
});

test('one tenant abusing legitimate parameters: junk models, collection floods, long sorts, huge answers, hostile import lines', async () => {
  const expect = async (method: string, url: string, payload: unknown, status: number, code: string, contentType?: string) => {
    const response = await send(method, url, typeof payload === 'string' ? payload : JSON.stringify(payload), contentType);
    assert.equal(response.statusCode, status, `${method} ${url}: ${response.body.slice(0, 200)}`);
    assert.equal(JSON.parse(response.body).code, code);
  };
  for (let i = 0; i < 5; i++) {
    await expect('PUT', `/v1/projects/abuser/collections/junk${i}`, { model: `junk-${i}`, dimensions: 3 + i }, 400, 'MODEL_NOT_ALLOWED');
  }
  for (let i = 0; i < 100; i++) assert.equal((await send('PUT', `/v1/projects/abuser/collections/c${i}`, '{}')).statusCode, 200);
  await expect('PUT', '/v1/projects/abuser/collections/c100', {}, 409, 'TOO_MANY_COLLECTIONS');
  await expect('GET', '/v1/projects/abuser/concepts?sort=conceptName,-conceptName', undefined, 400, 'INVALID_SORT');
  await expect('GET', '/v1/projects/abuser/concepts?sort=id,conceptName,conceptType,createdAt', undefined, 400, 'INVALID_SORT');
  const big = Array.from({ length: 100 }, (_, i) => ({ id: `big${i}`, content: `chunk ${i} ${'y'.repeat(200_000)}` }));
  for (let start = 0; start < big.length; start += 1) {
    assert.equal(
      (await send('POST', '/v1/projects/abuser/collections/c0/documents/batch', JSON.stringify({ items: big.slice(start, start + 1) }))).statusCode,
      200,
    );
  }
  await expect('POST', '/v1/projects/abuser/collections/c0/search', { query: 'chunk', mode: 'hybrid', limit: 1000 }, 400, 'RESPONSE_TOO_LARGE');
  const hostileLine =
    '{"type":"header","format":"in-memoria-storage-backup","version":1,"embedding":{"model":"local-hash-v1","dimensions":384}}\n{"type":"project","project":{"projectId":"proj-y"}}\n{"type":"entity","projectId":"proj-y","entity":"concepts","item":{"id":"c","conceptName":"n","conceptType":"t","confidenceScore":"not-a-number"}}\n';
  await expect('POST', '/v1/import', hostileLine, 400, 'INVALID_BACKUP', 'application/x-ndjson');
  await expect('POST', '/v1/import', `${'{"type":"x"'.repeat(200_000)}`, 413, 'BODY_TOO_LARGE', 'application/x-ndjson');
  const concepts = await send('GET', '/v1/projects/proj-y/concepts');
  assert.equal(concepts.statusCode, 200, 'the project of the refused import answers');
  assert.deepEqual(JSON.parse(concepts.body).items, []);
});

test('afterwards: the service is healthy, the victim intact, and nothing was written outside the data directory', async () => {
  assert.equal((await service.app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
  const victim = await service.app.inject({ method: 'GET', url: '/v1/projects/victim/concepts/c1' });
  assert.equal(JSON.parse(victim.body).conceptName, SECRET);
  const projects = JSON.parse((await service.app.inject({ method: 'GET', url: '/v1/projects?limit=1000' })).body).items.map(
    (item: { projectId: string }) => item.projectId,
  );
  for (const projectId of projects) assert.match(projectId, /^[a-z0-9][a-z0-9._-]{0,127}$/);
  assert.deepEqual(
    readdirSync(service.dataDir).filter((name) => !/^(in-memoria\.db|embedding-cache\.db|vectors)(-wal|-shm)?$/.test(name)),
    [],
  );
  const statuses: Record<number, number> = {};
  for (const response of responses) statuses[response.status] = (statuses[response.status] ?? 0) + 1;
  console.log(`hostile requests by status: ${JSON.stringify(statuses)}`);
});
