/** Every bad input gets a 4xx with a stable code from the error table, and nothing is written. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorTable } from '../../src/errors.js';
import { OFF_THREAD_BYTES } from '../../src/json-body.js';
import { startTestService, type TestService } from '../support/app.js';

describe('bad input', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({ env: { BODY_LIMIT: String(64 * 1024) } });
  });
  after(async () => service.destroy());

  const cases: Array<{
    name: string;
    method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
    url: string;
    payload?: unknown;
    body?: string;
    headers?: Record<string, string>;
    status: number;
    code: keyof typeof errorTable;
  }> = [
    { name: 'invalid projectId (upper case)', method: 'GET', url: '/v1/projects/Bad/concepts', status: 400, code: 'INVALID_PROJECT_ID' },
    { name: 'invalid projectId (traversal)', method: 'GET', url: '/v1/projects/..%2F..%2Fetc/concepts', status: 400, code: 'INVALID_PROJECT_ID' },
    { name: 'invalid projectId (too long)', method: 'PUT', url: `/v1/projects/${'a'.repeat(129)}`, payload: {}, status: 400, code: 'INVALID_PROJECT_ID' },
    { name: 'unknown entity', method: 'GET', url: '/v1/projects/p/widgets', status: 404, code: 'UNKNOWN_ENTITY' },
    { name: 'unknown route', method: 'GET', url: '/v2/nothing', status: 404, code: 'ROUTE_NOT_FOUND' },
    {
      name: 'malformed JSON',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      body: '{"conceptName": ',
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'empty JSON body',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      body: '',
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'prototype pollution key',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      body: '{"conceptName":"a","conceptType":"b","__proto__":{"x":1}}',
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'not JSON',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      body: 'hello',
      headers: { 'content-type': 'text/csv' },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'wrong type',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      payload: { conceptName: 5, conceptType: 'x' },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    { name: 'missing required field', method: 'PUT', url: '/v1/projects/p/concepts/c', payload: { conceptName: 'x' }, status: 400, code: 'VALIDATION_FAILED' },
    {
      name: 'unknown body field',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      payload: { conceptName: 'x', conceptType: 'y', color: 'red' },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'integer out of range',
      method: 'PUT',
      url: '/v1/projects/p/patterns/x',
      payload: { patternType: 't', patternContent: 1, frequency: 1e300 },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'Infinity',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      body: '{"conceptName":"a","conceptType":"b","confidenceScore":1e999}',
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'bad timestamp',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      payload: { conceptName: 'a', conceptType: 'b', createdAt: 'yesterday' },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'key in body differs from URL',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      payload: { id: 'd', conceptName: 'a', conceptType: 'b' },
      status: 400,
      code: 'ID_MISMATCH',
    },
    { name: 'unknown filter field', method: 'GET', url: '/v1/projects/p/concepts?color=red', status: 400, code: 'UNKNOWN_FILTER_FIELD' },
    { name: 'unknown groupBy field', method: 'GET', url: '/v1/projects/p/concepts/count?groupBy=filePath', status: 400, code: 'UNKNOWN_FILTER_FIELD' },
    { name: 'unknown sort field', method: 'GET', url: '/v1/projects/p/concepts?sort=relationships', status: 400, code: 'UNKNOWN_SORT_FIELD' },
    { name: 'sort field repeated', method: 'GET', url: '/v1/projects/p/concepts?sort=conceptName,-conceptName', status: 400, code: 'INVALID_SORT' },
    {
      name: 'too many sort fields',
      method: 'GET',
      url: '/v1/projects/p/concepts?sort=conceptName,conceptType,confidenceScore,createdAt',
      status: 400,
      code: 'INVALID_SORT',
    },
    {
      name: 'sort injection',
      method: 'GET',
      url: `/v1/projects/p/concepts?sort=${encodeURIComponent('id; DROP TABLE semantic_concepts')}`,
      status: 400,
      code: 'UNKNOWN_SORT_FIELD',
    },
    { name: 'limit zero', method: 'GET', url: '/v1/projects/p/concepts?limit=0', status: 400, code: 'LIMIT_OUT_OF_RANGE' },
    { name: 'limit too big', method: 'GET', url: '/v1/projects/p/concepts?limit=1001', status: 400, code: 'LIMIT_OUT_OF_RANGE' },
    { name: 'limit not a number', method: 'GET', url: '/v1/projects/p/concepts?limit=ten', status: 400, code: 'LIMIT_OUT_OF_RANGE' },
    { name: 'garbage cursor', method: 'GET', url: '/v1/projects/p/concepts?cursor=not-a-cursor', status: 400, code: 'INVALID_CURSOR' },
    {
      name: 'cursor from another sort',
      method: 'GET',
      url: `/v1/projects/p/concepts?sort=id&cursor=${Buffer.from(JSON.stringify({ s: 'conceptName,id', v: ['a', 'b'] })).toString('base64url')}`,
      status: 400,
      code: 'INVALID_CURSOR',
    },
    {
      name: 'cursor with wrong value types',
      method: 'GET',
      url: `/v1/projects/p/concepts?cursor=${Buffer.from(JSON.stringify({ s: 'conceptName,id', v: [{ $gt: '' }, 1] })).toString('base64url')}`,
      status: 400,
      code: 'INVALID_CURSOR',
    },
    { name: 'bad project list cursor', method: 'GET', url: '/v1/projects?cursor=%25%25%25', status: 400, code: 'INVALID_CURSOR' },
    { name: 'missing entity', method: 'GET', url: '/v1/projects/p/concepts/nope', status: 404, code: 'NOT_FOUND' },
    { name: 'missing project', method: 'GET', url: '/v1/projects/nope', status: 404, code: 'PROJECT_NOT_FOUND' },
    { name: 'delete missing project', method: 'DELETE', url: '/v1/projects/nope', status: 404, code: 'PROJECT_NOT_FOUND' },
    { name: 'patch missing', method: 'PATCH', url: '/v1/projects/p/concepts/nope', payload: {}, status: 404, code: 'NOT_FOUND' },
    { name: 'empty batch', method: 'POST', url: '/v1/projects/p/concepts/batch', payload: { items: [] }, status: 400, code: 'BATCH_TOO_LARGE' },
    { name: 'batch not an object', method: 'POST', url: '/v1/projects/p/concepts/batch', payload: [1, 2], status: 400, code: 'VALIDATION_FAILED' },
    {
      name: 'body too large',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      payload: { conceptName: 'x'.repeat(70 * 1024), conceptType: 'y' },
      status: 413,
      code: 'BODY_TOO_LARGE',
    },
    {
      name: 'JSON nested 5,000 deep',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      body: `{"conceptName":"a","conceptType":"b","relationships":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'invalid UTF-8',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      body: Buffer.concat([Buffer.from('{"conceptName":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('","conceptType":"b"}')]) as unknown as string,
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'constructor.prototype key',
      method: 'PUT',
      url: '/v1/projects/p/concepts/c',
      body: '{"conceptName":"a","conceptType":"b","relationships":{"constructor":{"prototype":{"polluted":1}}}}',
      headers: { 'content-type': 'application/json' },
      status: 400,
      code: 'MALFORMED_JSON',
    },
    { name: 'malformed percent-encoding', method: 'GET', url: '/v1/projects/p/concepts/%E0%A4%A', status: 400, code: 'MALFORMED_URL' },
    { name: 'a filter given twice', method: 'GET', url: '/v1/projects/p/concepts?conceptType=a&conceptType=b', status: 400, code: 'VALIDATION_FAILED' },
    {
      name: 'patch clears a required field',
      method: 'PATCH',
      url: '/v1/projects/p/concepts/c',
      payload: { conceptName: null },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
  ];

  for (const testCase of cases) {
    test(`${testCase.name}: ${testCase.status} ${testCase.code}`, async () => {
      const response = await service.app.inject({
        method: testCase.method,
        url: testCase.url,
        ...(testCase.body !== undefined ? { body: testCase.body } : testCase.payload !== undefined ? { payload: testCase.payload as object } : {}),
        headers: testCase.headers,
      });
      assert.equal(response.statusCode, testCase.status, response.body);
      const body = JSON.parse(response.body);
      assert.equal(body.code, testCase.code);
      assert.equal(body.statusCode, testCase.status);
      assert.equal(typeof body.error, 'string');
      assert.equal(typeof body.message, 'string');
      assert.equal(errorTable[testCase.code], testCase.status, 'the table agrees');
    });
  }

  test('a batch over 5,000 items is refused and writes nothing', async () => {
    const items = Array.from({ length: 5001 }, (_unused, index) => ({ id: `c${index}`, conceptName: 'n', conceptType: 't' }));
    const response = await service.app.inject({ method: 'POST', url: '/v1/projects/big/concepts/batch', payload: { items } });
    assert.equal(response.statusCode, 413, 'the 64 KiB test body limit is hit first');
    const exact = await service.app.inject({
      method: 'POST',
      url: '/v1/projects/big/concepts/batch',
      payload: { items: items.slice(0, 100).map((item, index) => (index === 99 ? { ...item, conceptType: 7 } : item)) },
    });
    assert.equal(exact.statusCode, 400);
    const count = await service.app.inject({ method: 'GET', url: '/v1/projects/big/concepts/count' });
    assert.equal(JSON.parse(count.body).count, 0);
  });

  test('brackets inside strings do not count as nesting', async () => {
    const deepText = '['.repeat(500) + '{'.repeat(500);
    const response = await service.app.inject({
      method: 'PUT',
      url: '/v1/projects/q/concepts/brackets',
      payload: { conceptName: deepText, conceptType: 'x', relationships: { note: '\\"[[[', nested: [[[[1]]]] } },
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(JSON.parse(response.body).conceptName, deepText);
    assert.ok(!('polluted' in {}), 'no prototype pollution');
  });

  test('nesting is counted to the limit exactly: 64 levels stored, 65 refused', async () => {
    // The root object and `relationships` are two levels; the arrays inside make up the rest.
    const nested = (levels: number) => `{"conceptName":"n","conceptType":"x","relationships":{"n":${'['.repeat(levels)}${']'.repeat(levels)},"s":"]]]\\\\"}}`;
    const within = await service.app.inject({
      method: 'PUT',
      url: '/v1/projects/q/concepts/depth',
      payload: nested(62),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(within.statusCode, 200, within.body);
    const beyond = await service.app.inject({
      method: 'PUT',
      url: '/v1/projects/q/concepts/depth',
      payload: nested(63),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(beyond.statusCode, 400, beyond.body);
    assert.equal(JSON.parse(beyond.body).code, 'MALFORMED_JSON');
  });

  test('nothing was written by any failed request', async () => {
    const stats = JSON.parse((await service.app.inject({ method: 'GET', url: '/v1/projects/p/stats' })).body);
    for (const [name, entity] of Object.entries(stats.entities as Record<string, { count: number }>)) assert.equal(entity.count, 0, name);
    assert.equal((await service.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  });
});

describe('batch size limit at the default body limit', () => {
  test('5,001 items: BATCH_TOO_LARGE', async () => {
    const service = await startTestService();
    try {
      const items = Array.from({ length: 5001 }, (_unused, index) => ({ id: `c${index}`, conceptName: 'n', conceptType: 't' }));
      const response = await service.app.inject({ method: 'POST', url: '/v1/projects/big/concepts/batch', payload: { items } });
      assert.equal(response.statusCode, 400);
      assert.equal(JSON.parse(response.body).code, 'BATCH_TOO_LARGE');
      const ok = await service.app.inject({ method: 'POST', url: '/v1/projects/big/concepts/batch', payload: { items: items.slice(0, 5000) } });
      assert.equal(ok.statusCode, 200);
      assert.equal(JSON.parse(ok.body).upserted, 5000);
    } finally {
      await service.destroy();
    }
  });
});

describe('large bodies, parsed on the parser thread', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(async () => service.destroy());

  const put = (id: string, body: Buffer | string) =>
    service.app.inject({ method: 'PUT', url: `/v1/projects/big/concepts/${id}`, payload: body, headers: { 'content-type': 'application/json' } });
  // JSON whitespace: each body below is over the size that goes to the thread and means what it meant small.
  const padding = ' '.repeat(OFF_THREAD_BYTES);

  test('are refused as small ones are, with the same messages', async () => {
    const refused: Array<[string, Buffer | string]> = [
      ['truncated', '{"conceptName": '],
      ['empty', ''],
      ['__proto__', '{"conceptName":"a","conceptType":"b","__proto__":{"x":1}}'],
      ['deep', `{"conceptName":"a","conceptType":"b","relationships":${'['.repeat(5000)}${']'.repeat(5000)}}`],
      ['utf8', Buffer.concat([Buffer.from('{"conceptName":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('","conceptType":"b"}')])],
    ];
    for (const [name, small] of refused) {
      const large = typeof small === 'string' ? padding + small : Buffer.concat([Buffer.from(padding), small]);
      const [inline, threaded] = [await put(name, small), await put(name, large)];
      assert.equal(threaded.statusCode, 400, `${name}: ${threaded.body}`);
      const [a, b] = [JSON.parse(inline.body), JSON.parse(threaded.body)];
      assert.equal(b.code, 'MALFORMED_JSON', name);
      assert.equal(b.message, a.message, name);
    }
  });

  test('are stored as sent, concurrently and in any order of arrival', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => ({
      conceptName: `big-${i}-${'x'.repeat(OFF_THREAD_BYTES + i)}`,
      conceptType: 'class',
      relationships: { unicode: 'ü €𝄞', n: i, nested: [[i]] },
    }));
    const responses = await Promise.all(bodies.map((body, i) => put(`c${i}`, padding + JSON.stringify(body))));
    for (const [i, response] of responses.entries()) {
      assert.equal(response.statusCode, 200, response.body);
      const stored = JSON.parse((await service.app.inject({ method: 'GET', url: `/v1/projects/big/concepts/c${i}` })).body);
      assert.equal(stored.conceptName, bodies[i]!.conceptName);
      assert.deepEqual(stored.relationships, bodies[i]!.relationships);
    }
    assert.ok(!('x' in {}), 'no prototype pollution');
  });
});
