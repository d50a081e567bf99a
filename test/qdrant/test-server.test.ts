/**
 * The Qdrant test server against the behaviour listed in
 * /work/shared/qdrant/README.md, through plain HTTP, so the adapter tests can
 * trust it. Every answer is also checked against the spec's response schemas.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startQdrantTestServer, type QdrantTestServer } from '../support/qdrant-test-server.js';
import { QdrantOpenApi } from '../support/qdrant-openapi.js';
import { parseDatetime } from '../support/qdrant-test-filter.js';

const API_KEY = 'test-key-123';
const spec = new QdrantOpenApi();
let server: QdrantTestServer;

before(async () => {
  server = await startQdrantTestServer({ apiKey: API_KEY });
});
after(async () => {
  await server.stop();
});

async function call(method: string, path: string, body?: unknown, key: string | null = API_KEY) {
  const headers: Record<string, string> = {};
  if (key !== null) headers['api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  // Independent check of the answer against the spec's response schema.
  const match = spec.match(method, new URL(server.url + path).pathname);
  if (match) assert.deepEqual(spec.validateResponse(match, res.status, json), [], `${method} ${path} response schema`);
  return { status: res.status, body: json };
}

const ids = {
  a: '00000000-0000-0000-0000-00000000000a',
  b: '00000000-0000-0000-0000-00000000000b',
  c: '00000000-0000-0000-0000-00000000000c',
};

async function seed(name: string) {
  await call('DELETE', `/collections/${name}`);
  assert.equal((await call('PUT', `/collections/${name}`, { vectors: { size: 2, distance: 'Cosine' } })).status, 200);
  const up = await call('PUT', `/collections/${name}/points?wait=true`, {
    points: [
      { id: ids.a, vector: [3, 4], payload: { tag: 'x', n: 1, tags: ['red', 'blue'], flag: true } },
      { id: ids.b, vector: [1, 0], payload: { tag: 'y', n: 2.5, tags: ['green'], s: '1' } },
      { id: 7, vector: [0, 2], payload: { tag: 'x', n: 3, when: '2024-05-01T00:00:00Z' } },
      { id: ids.c, vector: [-1, 0], payload: { other: null } },
    ],
  });
  assert.equal(up.body.result.status, 'completed');
}

async function countWhere(name: string, filter: unknown): Promise<number> {
  const res = await call('POST', `/collections/${name}/points/count`, { filter, exact: true });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.result.count;
}

test('GET / answers the version without a key; other paths need the key', async () => {
  assert.deepEqual((await call('GET', '/', undefined, null)).body, { title: 'qdrant - vector search engine', version: '1.19.0' });
  for (const open of ['/healthz', '/readyz', '/livez']) assert.equal((await call('GET', open, undefined, null)).status, 200);
  assert.equal((await call('GET', '/collections', undefined, null)).status, 401);
  assert.equal((await call('GET', '/collections', undefined, 'wrong')).status, 401);
  assert.equal((await call('GET', '/collections')).status, 200);
  server.setUnauthorized(true);
  assert.equal((await call('GET', '/collections')).status, 401);
  server.setUnauthorized(false);
});

test('collection errors use Qdrant messages verbatim', async () => {
  await seed('errs');
  const conflict = await call('PUT', '/collections/errs', { vectors: { size: 2, distance: 'Cosine' } });
  assert.equal(conflict.status, 409);
  assert.equal(conflict.body.status.error, 'Wrong input: Collection `errs` already exists!');
  const missing = await call('GET', '/collections/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.status.error, "Not found: Collection `nope` doesn't exist!");
  const dim = await call('PUT', '/collections/errs/points?wait=true', { points: [{ id: 1, vector: [1, 2, 3] }] });
  assert.equal(dim.status, 400);
  assert.equal(dim.body.status.error, 'Wrong input: Vector dimension error: expected dim: 2, got 3');
  assert.equal((await call('GET', '/collections/errs/exists')).body.result.exists, true);
  assert.equal((await call('GET', '/collections/errs')).body.result.config.params.vectors.size, 2);
});

test('point ids must be unsigned integers or UUIDs', async () => {
  await seed('ids');
  for (const id of ['abc', -1, 1.5, 'concept_123']) {
    const res = await call('PUT', '/collections/ids/points?wait=true', { points: [{ id, vector: [1, 1] }] });
    assert.equal(res.status, 400, `id ${JSON.stringify(id)}`);
  }
  server.clearLog();
});

test('wait=true completes, no wait is acknowledged', async () => {
  await seed('wait');
  const noWait = await call('POST', '/collections/wait/points/delete', { points: [7] });
  assert.equal(noWait.body.result.status, 'acknowledged');
  const waited = await call('POST', '/collections/wait/points/delete?wait=true', { points: [ids.a] });
  assert.equal(waited.body.result.status, 'completed');
});

test('cosine: normalised on store, score is the dot product, threshold strictly greater', async () => {
  await seed('cos');
  const got = await call('POST', '/collections/cos/points', { ids: [ids.a], with_vector: true });
  assert.deepEqual(got.body.result[0].vector, [Math.fround(0.6), Math.fround(0.8)]);
  const res = await call('POST', '/collections/cos/points/query', { query: [1, 0] });
  const points = res.body.result.points;
  assert.deepEqual(
    points.map((p: any) => p.id),
    [ids.b, ids.a, 7, ids.c],
  );
  assert.ok(Math.abs(points[1].score - 0.6) < 1e-6);
  assert.equal(points[0].payload, undefined, 'query default: no payload');
  assert.equal(points[0].vector, undefined, 'query default: no vector');
  const thr = await call('POST', '/collections/cos/points/query', { query: [1, 0], score_threshold: 1 - 1e-9 });
  assert.deepEqual(
    thr.body.result.points.map((p: any) => p.id),
    [ids.b],
  );
  const exact = await call('POST', '/collections/cos/points/query', { query: [1, 0], score_threshold: points[0].score });
  assert.deepEqual(exact.body.result.points, [], 'a score equal to the threshold is dropped');
  const limited = await call('POST', '/collections/cos/points/query', { query: { nearest: [1, 0] }, limit: 1, with_payload: true });
  assert.deepEqual(limited.body.result.points[0].payload.tag, 'y');
  const bad = await call('POST', '/collections/cos/points/query', { query: [1, 0, 0] });
  assert.equal(bad.body.status.error, 'Wrong input: Vector dimension error: expected dim: 2, got 3');
});

test('filters: must/should/must_not, arrays, missing keys, type-strict match, range', async () => {
  await seed('flt');
  assert.equal(await countWhere('flt', { must: [] }), 4, 'must: [] matches all');
  assert.equal(await countWhere('flt', { should: [] }), 0, 'should: [] matches none');
  assert.equal(await countWhere('flt', { must: [{ key: 'tag', match: { value: 'x' } }] }), 2);
  assert.equal(await countWhere('flt', { must: [{ key: 'tags', match: { value: 'blue' } }] }), 1, 'any array element');
  assert.equal(await countWhere('flt', { must_not: [{ key: 'tag', match: { value: 'x' } }] }), 2, 'missing passes must_not');
  assert.equal(await countWhere('flt', { must: [{ key: 's', match: { value: 1 } }] }), 0, 'type-strict: "1" is not 1');
  assert.equal(await countWhere('flt', { must: [{ key: 'flag', match: { value: true } }] }), 1);
  assert.equal(await countWhere('flt', { must: [{ key: 'n', match: { value: 1 } }] }), 1);
  assert.equal(await countWhere('flt', { must: [{ key: 'tag', match: { any: ['y', 'z'] } }] }), 1);
  assert.equal(await countWhere('flt', { must: [{ key: 'tag', match: { except: ['x'] } }] }), 1, 'except: missing key fails');
  assert.equal(await countWhere('flt', { must: [{ key: 'n', range: { gt: 1, lte: 3 } }] }), 2);
  assert.equal(await countWhere('flt', { must: [{ key: 'when', range: { gte: '2024-01-01T00:00:00Z' } }] }), 1);
  assert.equal(await countWhere('flt', { must: [{ key: 's', range: { gte: '2000-01-01T00:00:00Z' } }] }), 0, '"1" is not a datetime');
  assert.equal(
    await countWhere('flt', {
      should: [
        { key: 'n', range: { lt: 2 } },
        { key: 'tag', match: { value: 'y' } },
      ],
    }),
    2,
  );
  assert.equal(await countWhere('flt', { must: [{ is_null: { key: 'other' } }] }), 1);
  assert.equal(await countWhere('flt', { must: [{ key: 'other', is_null: true }] }), 1);
  assert.equal(await countWhere('flt', { must: [{ is_empty: { key: 'tags' } }] }), 2, 'missing counts as empty');
  assert.equal(await countWhere('flt', { must: [{ has_id: [7, ids.c] }] }), 2);
  assert.equal(await countWhere('flt', { must: [{ must_not: [{ key: 'tag', match: { value: 'x' } }] }, { key: 'n', range: { gte: 0 } }] }), 1);
  const bad = await call('POST', '/collections/flt/points/count', { filter: { must: [{ key: 'a:b', match: { value: 1 } }] } });
  assert.equal(bad.status, 400, 'an unquoted ":" is not a key path');
  assert.match(bad.body.status.error, /Invalid json path/);
  const empty = await call('POST', '/collections/flt/points/count', { filter: { must: [{ key: 'tag' }] } });
  assert.equal(empty.status, 422, 'a field condition with no condition');
});

test('datetimes: RFC 3339 and its short forms, UTC when no zone is given', () => {
  assert.equal(parseDatetime('2024-05-01'), Date.UTC(2024, 4, 1));
  assert.equal(parseDatetime('2024-05-01T10:30'), Date.UTC(2024, 4, 1, 10, 30));
  assert.equal(parseDatetime('2024-05-01 10:30:15.5'), Date.UTC(2024, 4, 1, 10, 30, 15, 500));
  assert.equal(parseDatetime('2024-05-01T10:30:00+0200'), Date.UTC(2024, 4, 1, 8, 30));
  assert.equal(parseDatetime('2024-05-01T10:30:00Z'), Date.UTC(2024, 4, 1, 10, 30));
  for (const notDate of ['1', 'May 1, 2024', '2024', 'x']) assert.equal(parseDatetime(notDate), null, notDate);
});

test('scroll: id order, inclusive offset, next_page_offset, payload by default', async () => {
  await seed('scr');
  const first = await call('POST', '/collections/scr/points/scroll', { limit: 2 });
  assert.deepEqual(
    first.body.result.points.map((p: any) => p.id),
    [7, ids.a],
  );
  assert.ok(first.body.result.points[0].payload, 'scroll default: payload');
  assert.equal(first.body.result.points[0].vector, undefined);
  assert.equal(first.body.result.next_page_offset, ids.b);
  const second = await call('POST', '/collections/scr/points/scroll', { limit: 2, offset: ids.b, with_payload: false });
  assert.deepEqual(
    second.body.result.points.map((p: any) => p.id),
    [ids.b, ids.c],
  );
  assert.equal(second.body.result.points[0].payload, undefined);
  assert.equal(second.body.result.next_page_offset, null);
});

test('named dense and sparse vectors; the idf modifier weighs rare terms up', async () => {
  await call('DELETE', '/collections/hyb');
  const created = await call('PUT', '/collections/hyb', {
    vectors: { dense: { size: 2, distance: 'Cosine' } },
    sparse_vectors: { bm25: { modifier: 'idf' } },
  });
  assert.equal(created.status, 200);
  const params = (await call('GET', '/collections/hyb')).body.result.config.params;
  assert.deepEqual(params.vectors, { dense: { size: 2, distance: 'Cosine' } });
  assert.deepEqual(params.sparse_vectors, { bm25: { modifier: 'idf' } });
  const up = await call('PUT', '/collections/hyb/points?wait=true', {
    points: [
      { id: 1, vector: { dense: [1, 0], bm25: { indices: [2, 1], values: [1, 1] } } },
      { id: 2, vector: { dense: [0, 1], bm25: { indices: [2], values: [2] } } },
      { id: 3, vector: { dense: [1, 1] } },
    ],
  });
  assert.equal(up.status, 200);
  const rare = await call('POST', '/collections/hyb/points/query', { query: { indices: [1], values: [1] }, using: 'bm25' });
  assert.deepEqual(
    rare.body.result.points.map((p: any) => p.id),
    [1],
    'only points sharing an index',
  );
  assert.ok(Math.abs(rare.body.result.points[0].score - Math.log(2)) < 1e-6, 'idf = ln((N - n + 0.5) / (n + 0.5) + 1)');
  const common = await call('POST', '/collections/hyb/points/query', { query: { indices: [2], values: [1] }, using: 'bm25' });
  assert.deepEqual(
    common.body.result.points.map((p: any) => [p.id, Number(p.score.toFixed(6))]),
    [
      [2, Number((2 * Math.log(1.2)).toFixed(6))],
      [1, Number(Math.log(1.2).toFixed(6))],
    ],
  );
  const dense = await call('POST', '/collections/hyb/points/query', { query: [1, 0], using: 'dense', with_vector: ['dense'] });
  assert.deepEqual(
    dense.body.result.points.map((p: any) => p.id),
    [1, 3, 2],
  );
  assert.deepEqual(dense.body.result.points[0].vector, { dense: [1, 0] });
  const stored = await call('POST', '/collections/hyb/points', { ids: [1], with_vector: true });
  assert.deepEqual(stored.body.result[0].vector.bm25, { indices: [1, 2], values: [1, 1] }, 'sparse stored sorted by index');
  const dup = await call('PUT', '/collections/hyb/points?wait=true', { points: [{ id: 4, vector: { bm25: { indices: [1, 1], values: [1, 1] } } }] });
  assert.equal(dup.status, 422);
  const unknown = await call('PUT', '/collections/hyb/points?wait=true', { points: [{ id: 4, vector: { nope: [1, 0] } }] });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.status.error, /Not existing vector name/);
  const unnamed = await call('PUT', '/collections/hyb/points?wait=true', { points: [{ id: 4, vector: [1, 0] }] });
  assert.equal(unnamed.status, 400);
});

test('invalid requests are recorded so that tests can fail on them', async () => {
  server.clearLog();
  await call('POST', '/collections/scr/points/scroll', { limit: 0 });
  await call('POST', '/collections/scr/points/nonsense', {});
  assert.equal(server.invalid().length, 2);
  server.clearLog();
});

test('stop and start keep the data and the port', async () => {
  await seed('restart');
  const port = server.port;
  await server.stop();
  await assert.rejects(fetch(server.url + '/healthz'));
  await server.start();
  assert.equal(server.port, port);
  assert.equal(await countWhere('restart', { must: [] }), 4);
  assert.deepEqual(server.invalid(), []);
});
