/** Retries, Retry-After, timeouts, aborts, auth and error mapping, against a scripted loopback server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StorageClient } from '../../packages/client/src/index.js';
import { parseRetryAfter } from '../../packages/client/src/http.js';
import { rejection } from './listening.js';
import { sendJson, startScriptedServer, unavailable, type ScriptedServer } from './scripted-server.js';

describe('client transport', () => {
  let server: ScriptedServer;
  let client: StorageClient;
  before(async () => {
    server = await startScriptedServer();
    client = new StorageClient({ baseUrl: server.url, retryBaseMs: 1, timeoutMs: 2000 });
  });
  after(() => server.close());

  /** 503 for the first `failures` requests, then 200 with `body`. */
  const failThenAnswer = (failures: number, body: unknown, status = 503, headers: Record<string, string> = {}) =>
    server.handle((_request, response, index) =>
      index < failures ? sendJson(response, status, { ...unavailable, statusCode: status }, headers) : sendJson(response, 200, body),
    );

  test('a GET answered 503 twice then 200 succeeds on the third request', async () => {
    failThenAnswer(2, { status: 'ok' });
    assert.deepEqual(await client.health(), { status: 'ok' });
    assert.equal(server.requests.length, 3);
  });

  test('repeatable POSTs are retried: search, entity batch, document batch, delete by filter', async () => {
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['search', () => client.search('p', 'code', { query: 'x' })],
      ['entity batch', () => client.entity('concepts').batch('p', [{ id: 'a', conceptName: 'A', conceptType: 'class' }])],
      ['document batch', () => client.documents.batch('p', 'code', [{ id: 'a', content: 'x' }])],
      ['delete by filter', () => client.documents.deleteByFilter('p', 'code', { filePath: 'a.ts' })],
    ];
    for (const [name, call] of calls) {
      failThenAnswer(2, { results: [] });
      await call();
      assert.equal(server.requests.length, 3, name);
      assert.equal(server.requests[0]!.method, 'POST');
    }
  });

  test('PUT, PATCH and DELETE are retried; starting an ingest job is not', async () => {
    for (const call of [
      () => client.entity('decisions').put('p', 'k', { decisionValue: 1 }),
      () => client.entity('decisions').patch('p', 'k', { reasoning: 'r' }),
      () => client.collections.delete('p', 'code'),
    ]) {
      failThenAnswer(1, {});
      await call();
      assert.equal(server.requests.length, 2);
    }
    failThenAnswer(1, { jobId: 'j' });
    const error = await rejection(client.jobs.submit('p', 'code', [{ id: 'a', content: 'x' }]));
    assert.equal(error.status, 503);
    assert.equal(server.requests.length, 1, 'a repeated POST /jobs would start a second job');
  });

  test('429 is retried too; other statuses are not', async () => {
    failThenAnswer(1, { status: 'ok' }, 429);
    await client.health();
    assert.equal(server.requests.length, 2);
    failThenAnswer(1, { status: 'ok' }, 500);
    assert.equal((await rejection(client.health())).status, 500);
    assert.equal(server.requests.length, 1);
  });

  test('Retry-After is honoured: a 1 s wait although the backoff step is 1 ms', async () => {
    failThenAnswer(1, { status: 'ok' }, 503, { 'retry-after': '1' });
    const started = performance.now();
    await client.health();
    assert.ok(performance.now() - started >= 950, 'waited as the service asked');
    assert.equal(server.requests.length, 2);
  });

  test('retries give up after the configured count with the last error: status, code, Retry-After', async () => {
    failThenAnswer(100, {}, 503, { 'retry-after': '0' });
    const error = await rejection(new StorageClient({ baseUrl: server.url, retries: 2, retryBaseMs: 1 }).health());
    assert.equal(server.requests.length, 3);
    assert.equal(error.status, 503);
    assert.equal(error.code, 'PROVIDER_UNAVAILABLE');
    assert.equal(error.retryAfter, 0);
    assert.equal(error.method, 'GET');
    assert.equal(error.path, '/health');
    assert.match(error.message, /store is down/);
  });

  test('a timeout is TIMEOUT with no status, and is not retried', async () => {
    server.handle(() => {}); // never answers
    const started = performance.now();
    const error = await rejection(client.health({ timeoutMs: 150 }));
    const elapsed = performance.now() - started;
    assert.equal(error.code, 'TIMEOUT');
    assert.equal(error.status, undefined);
    assert.ok(elapsed >= 140 && elapsed < 1500, `per-call timeout honoured (${elapsed} ms)`);
    assert.equal(server.requests.length, 1);
  });

  test('the timeout also covers a body that stalls after the headers', async () => {
    server.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"status":');
    });
    assert.equal((await rejection(client.health({ timeoutMs: 150 }))).code, 'TIMEOUT');
  });

  test('an abort signal cancels the call, also while waiting to retry', async () => {
    server.handle(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    assert.equal((await rejection(client.health({ signal: controller.signal }))).code, 'ABORTED');
    failThenAnswer(100, {}, 503, { 'retry-after': '10' });
    const waiting = new AbortController();
    setTimeout(() => waiting.abort(), 100);
    const started = performance.now();
    assert.equal((await rejection(client.health({ signal: waiting.signal }))).code, 'ABORTED');
    assert.ok(performance.now() - started < 2000, 'did not sit out the 10 s Retry-After');
  });

  test('the API key is sent as a Bearer token and never appears in errors; no header without a key', async () => {
    const secret = 'sk-test-secret-123';
    server.handle((_request, response) => sendJson(response, 403, { statusCode: 403, code: 'FORBIDDEN', error: 'Forbidden', message: 'no access' }));
    const error = await rejection(new StorageClient({ baseUrl: server.url, apiKey: secret }).projects.get('p'));
    assert.equal(server.requests[0]!.headers.authorization, `Bearer ${secret}`);
    assert.equal(error.code, 'FORBIDDEN');
    assert.ok(!JSON.stringify({ message: error.message, stack: error.stack }).includes(secret));
    server.handle((_request, response) => sendJson(response, 200, { status: 'ok' }));
    await client.health();
    assert.equal(server.requests[0]!.headers.authorization, undefined);
  });

  test('an answer that is not the JSON error shape keeps its status (HTTP_502); a 200 that is not JSON is INVALID_RESPONSE', async () => {
    server.handle((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<html>bad gateway</html>');
    });
    const error = await rejection(client.health());
    assert.equal(error.status, 502);
    assert.equal(error.code, 'HTTP_502');
    server.handle((_request, response) => response.end('not json'));
    assert.equal((await rejection(client.health())).code, 'INVALID_RESPONSE');
  });

  test('a refused connection is NETWORK_ERROR', async () => {
    const closed = await startScriptedServer();
    const url = closed.url;
    await closed.close();
    const error = await rejection(new StorageClient({ baseUrl: url, retries: 1, retryBaseMs: 1 }).health());
    assert.equal(error.code, 'NETWORK_ERROR');
    assert.equal(error.status, undefined);
  });

  test('paths and queries are encoded; a base URL prefix is kept', async () => {
    server.handle((_request, response) => sendJson(response, 200, { items: [], nextCursor: null }));
    await new StorageClient({ baseUrl: `${server.url}/storage/` }).entity('files').get('p', 'src/a b.ts');
    await client.entity('concepts').list('p', { conceptType: 'class', q: 'a&b', limit: 5 });
    await client.documents.scroll('p', 'code', { filter: { language: 'ts' } });
    assert.deepEqual(
      server.requests.map((request) => request.url),
      [
        '/storage/v1/projects/p/files/src%2Fa%20b.ts',
        '/v1/projects/p/concepts?conceptType=class&q=a%26b&limit=5',
        `/v1/projects/p/collections/code/documents?filter=${encodeURIComponent('{"language":"ts"}').replace(/%20/g, '+')}`,
      ],
    );
  });

  test('Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    const inTwo = parseRetryAfter(new Date(Date.now() + 2000).toUTCString())!;
    assert.ok(inTwo > 0.5 && inTwo <= 2, String(inTwo));
  });
});
