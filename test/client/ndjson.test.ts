/**
 * NDJSON streaming of exportStream/importStream against a loopback server of
 * our own: the service's /v1/export and /v1/import belong to a later issue,
 * so this proves the client's side (chunked lines, streamed upload, auth).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { StorageClient, StorageError, collect } from '../../packages/client/src/index.js';
import { startScriptedServer, type ScriptedServer } from './scripted-server.js';

describe('client NDJSON streams', () => {
  let server: ScriptedServer;
  let client: StorageClient;
  before(async () => {
    server = await startScriptedServer();
    client = new StorageClient({ baseUrl: server.url, apiKey: 'k1', timeoutMs: 500 });
  });
  after(() => server.close());

  test('exportStream parses lines split across chunks, even inside a multi-byte character, and outlives the timeout', async () => {
    const records = [
      { type: 'project', projectId: 'p' },
      { type: 'concept', conceptName: 'Zürich café ☕' },
      { type: 'end', count: 2 },
    ];
    const bytes = Buffer.from(records.map((record) => JSON.stringify(record)).join('\n') + '\n\n');
    server.handle(async (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      // Seven-byte chunks cut lines and the UTF-8 sequences of ü, é and ☕.
      for (let start = 0; start < bytes.length; start += 7) response.write(bytes.subarray(start, start + 7));
      await new Promise((resolve) => setTimeout(resolve, 700)); // longer than the client's 500 ms timeout
      response.end(JSON.stringify({ type: 'trailer' }));
    });
    const received = await collect(client.exportStream({ projectId: 'p' }));
    assert.deepEqual(received, [...records, { type: 'trailer' }]);
    const request = server.requests[0]!;
    assert.equal(request.url, '/v1/export?projectId=p');
    assert.equal(request.headers.accept, 'application/x-ndjson');
    assert.equal(request.headers.authorization, 'Bearer k1');
  });

  test('exportStream yields records as they arrive, before the dump ends', async () => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    server.handle(async (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.write('{"n":1}\n');
      await finished;
      response.end('{"n":2}\n');
    });
    const stream = client.exportStream();
    assert.deepEqual((await stream.next()).value, { n: 1 }, 'first record before the server finished');
    finish();
    assert.deepEqual((await stream.next()).value, { n: 2 });
    assert.equal((await stream.next()).done, true);
  });

  test('a line that is not JSON is INVALID_RESPONSE naming the line; an error answer is a StorageError', async () => {
    server.handle((_request, response) => {
      response.writeHead(200);
      response.end('{"ok":true}\n{broken\n');
    });
    const error = await collect(client.exportStream()).catch((caught: unknown) => caught);
    assert.ok(error instanceof StorageError);
    assert.equal(error.code, 'INVALID_RESPONSE');
    assert.match(error.message, /line 2/);
    server.handle((_request, response) => {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ statusCode: 404, code: 'ROUTE_NOT_FOUND', error: 'Not Found', message: 'no route GET /v1/export' }));
    });
    const missing = await collect(client.exportStream()).catch((caught: unknown) => caught);
    assert.ok(missing instanceof StorageError);
    assert.equal(missing.code, 'ROUTE_NOT_FOUND');
  });

  test('importStream uploads as it produces: the server reads line 1 before line 2 exists', { timeout: 5000 }, async () => {
    let firstLineArrived!: () => void;
    const lineOne = new Promise<void>((resolve) => (firstLineArrived = resolve));
    const bodies: string[] = [];
    server.handle(async (request, response) => {
      let text = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('\n')) firstLineArrived();
      });
      await once(request, 'end');
      await new Promise((resolve) => setTimeout(resolve, 600)); // longer than the client's 500 ms timeout
      bodies.push(text);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ imported: text.trim().split('\n').length }));
    });
    async function* records() {
      yield { type: 'project', projectId: 'p' };
      await lineOne; // deadlocks (and the test times out) unless the upload is streamed
      yield { type: 'concept', id: 'c1', conceptName: 'Ünïcode' };
    }
    // The client's 500 ms timeout does not apply to uploads; the test's own timeout catches a deadlock.
    const result = await client.importStream(records());
    assert.deepEqual(result, { imported: 2 });
    assert.equal(bodies[0], '{"type":"project","projectId":"p"}\n{"type":"concept","id":"c1","conceptName":"Ünïcode"}\n');
    const request = server.requests[0]!;
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/v1/import');
    assert.equal(request.headers['content-type'], 'application/x-ndjson');
    assert.equal(request.headers['transfer-encoding'], 'chunked');
    assert.equal(request.headers.authorization, 'Bearer k1');
  });

  test('importStream takes a plain array too, and is never retried (a stream cannot be replayed)', async () => {
    server.handle((_request, response) => {
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
      response.end(JSON.stringify({ statusCode: 503, code: 'PROVIDER_UNAVAILABLE', error: 'Service Unavailable', message: 'down' }));
    });
    const error = await client.importStream([{ a: 1 }]).catch((caught: unknown) => caught);
    assert.ok(error instanceof StorageError);
    assert.equal(error.status, 503);
    assert.equal(server.requests.length, 1);
  });
});
