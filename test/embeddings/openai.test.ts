import { captureLog, type CapturedLog } from '../support/log.js';
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../../src/errors.js';
import { createOpenAIEmbedder, type OpenAIEmbedderOptions } from '../../src/embeddings/openai.js';
import { normaliseInPlace } from '../../src/embeddings/input.js';
import { startOpenAITestServer, testVector, type OpenAITestServer } from '../support/openai-test-server.js';

const DIMENSIONS = 8;

describe('openai embedder', () => {
  let server: OpenAITestServer;
  let captured: CapturedLog;

  before(async () => {
    // Reversed answers: the embedder must put vectors back in order by `index`.
    server = await startOpenAITestServer({ reverseOrder: true });
  });
  after(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    captured = captureLog('warn');
  });

  const embedder = (overrides: Partial<OpenAIEmbedderOptions> = {}) =>
    createOpenAIEmbedder({
      apiKey: server.apiKey,
      baseUrl: server.baseUrl,
      dimensions: DIMENSIONS,
      timeoutMs: 2_000,
      maxRetries: 2,
      retryBaseDelayMs: 10,
      log: captured.log,
      ...overrides,
    });

  const expected = (text: string) => normaliseInPlace(testVector(text, DIMENSIONS));

  it('sends ceil(N / batchSize) requests and keeps the order of the texts', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `function handler${i}() {}`);
    const vectors = await embedder({ batchSize: 4 }).embed(texts);

    assert.deepEqual(
      server.requests.map((r) => r.input.length),
      [4, 4, 2],
    );
    assert.deepEqual(
      server.requests.flatMap((r) => r.input),
      texts,
    );
    assert.equal(vectors.length, texts.length);
    texts.forEach((text, i) => assertClose(vectors[i]!, expected(text)));
  });

  it('asks for the configured model, dimensions and float encoding', async () => {
    const e = embedder();
    assert.equal(e.provider, 'openai');
    assert.equal(e.model, 'text-embedding-3-small');
    assert.equal(e.dimensions, DIMENSIONS);
    const [vector] = await e.embed(['const answer = 42;']);
    assert.deepEqual(server.requests[0], {
      model: 'text-embedding-3-small',
      input: ['const answer = 42;'],
      dimensions: DIMENSIONS,
      encodingFormat: 'float',
      authorized: true,
    });
    assert.ok(Math.abs(norm(vector!) - 1) < 1e-5, 'vectors are unit length');
  });

  it('uses the model size when no dimensions are configured', async () => {
    const e = embedder({ dimensions: undefined, model: 'text-embedding-3-large' });
    assert.equal(e.dimensions, 3072);
    // The server sizes vectors by model default here: 1536, which is wrong for -large.
    await assert.rejects(e.embed(['x = 1']), /3072/);
    assert.equal(server.requests[0]!.dimensions, undefined);
  });

  it('splits a batch that would exceed the request character budget', async () => {
    const big = 'a'.repeat(200_000);
    await embedder().embed([big, `${big}b`, `${big}c`]);
    assert.deepEqual(
      server.requests.map((r) => r.input.length),
      [1, 1, 1],
    );
  });

  it('retries a 429 after the Retry-After the server sent', async () => {
    server.failNext({ kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const started = Date.now();
    const vectors = await embedder().embed(['retry me']);
    const elapsed = Date.now() - started;

    assert.equal(server.requests.length, 2);
    assert.ok(elapsed >= 950, `waited ${elapsed} ms, Retry-After asked for 1000`);
    assertClose(vectors[0]!, expected('retry me'));
    assert.equal(captured.lines.length, 1);
    assert.equal(captured.lines[0]!.delayMs, 1000);
    assert.match(String(captured.lines[0]!.reason), /429/);
  });

  it('honours retry-after-ms too', async () => {
    server.failNext({ kind: 'status', status: 429, headers: { 'retry-after-ms': '50' } });
    await embedder().embed(['retry me']);
    assert.equal(captured.lines[0]!.delayMs, 50);
  });

  it('retries a 500 and then succeeds', async () => {
    server.failNext({ kind: 'status', status: 500 }, { kind: 'status', status: 503 });
    const vectors = await embedder().embed(['flaky']);
    assert.equal(server.requests.length, 3);
    assertClose(vectors[0]!, expected('flaky'));
  });

  it('gives up with EMBEDDING_UNAVAILABLE (503, retryAfter) once retries are spent', async () => {
    server.failNext(...Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 502 })));
    const error = await rejection(embedder({ maxRetries: 2 }).embed(['down']));
    assert.equal(error.code, 'EMBEDDING_UNAVAILABLE');
    assert.equal(error.statusCode, 503);
    assert.ok(error.retryAfter !== undefined && error.retryAfter > 0);
    assert.match(error.message, /after 3 attempt/);
    assert.equal(server.requests.length, 3);
  });

  it('gives up at once when Retry-After is too long, and passes it on', async () => {
    server.failNext({ kind: 'status', status: 429, headers: { 'retry-after': '120' } });
    const error = await rejection(embedder().embed(['busy']));
    assert.equal(error.code, 'EMBEDDING_UNAVAILABLE');
    assert.equal(error.retryAfter, 120);
    assert.equal(server.requests.length, 1);
  });

  it('times out a server that never answers, within the timeout', async () => {
    server.failNext({ kind: 'hang' });
    const started = Date.now();
    const error = await rejection(embedder({ timeoutMs: 300, maxRetries: 0 }).embed(['slow']));
    const elapsed = Date.now() - started;
    assert.equal(error.code, 'EMBEDDING_UNAVAILABLE');
    assert.match(error.message, /timed out after 300 ms/);
    assert.ok(elapsed >= 250 && elapsed < 1_000, `failed after ${elapsed} ms`);
  });

  it('times out a response whose body never ends', async () => {
    server.failNext({ kind: 'stall-body' });
    const started = Date.now();
    const error = await rejection(embedder({ timeoutMs: 300, maxRetries: 0 }).embed(['slow body']));
    assert.equal(error.code, 'EMBEDDING_UNAVAILABLE');
    assert.ok(Date.now() - started < 1_000);
  });

  it('retries after a timeout', async () => {
    server.failNext({ kind: 'hang' });
    const vectors = await embedder({ timeoutMs: 300, maxRetries: 1 }).embed(['second time lucky']);
    assert.equal(server.requests.length, 2);
    assertClose(vectors[0]!, expected('second time lucky'));
  });

  it('rejects a wrong key clearly, without retrying and without the key', async () => {
    const wrongKey = 'sk-wrong-very-secret-key-4242';
    const error = await rejection(embedder({ apiKey: wrongKey, maxRetries: 3 }).embed(['hello']));

    assert.equal(error.code, 'EMBEDDING_UNAVAILABLE');
    assert.match(error.message, /rejected the API key \(HTTP 401\)/);
    assert.equal(server.requests.length, 1, 'a wrong key is not retried');
    const everything = JSON.stringify([error.message, error.stack, error.toJSON(), String(error.cause), captured.lines]);
    assert.ok(!everything.includes(wrongKey), 'the key never appears');
    assert.ok(!everything.includes('very-secret'), 'not even part of it');
  });

  it('rejects vectors of the wrong length, naming both sizes, without retrying', async () => {
    server.failNext({ kind: 'dimensions', dimensions: 5 });
    const error = await rejection(embedder().embed(['short vector']));
    assert.equal(error.code, 'EMBEDDING_UNAVAILABLE');
    assert.match(error.message, /5 dimensions, expected 8/);
    assert.equal(server.requests.length, 1);
  });

  it('rejects an answer that is not embeddings JSON, without retrying', async () => {
    server.failNext(
      { kind: 'raw', status: 200, contentType: 'text/html', body: '<html>Sign in to the proxy</html>' },
      { kind: 'raw', status: 200, contentType: 'application/json', body: '{"data": [' },
      { kind: 'raw', status: 200, contentType: 'application/json', body: '{"data": [{"index": 0, "embedding": [1, 2, null, 4, 5, 6, 7, 8]}]}' },
    );
    for (let i = 0; i < 3; i++) {
      const error = await rejection(embedder().embed(['text']));
      assert.equal(error.code, 'EMBEDDING_UNAVAILABLE');
    }
    assert.equal(server.requests.length, 3);
  });

  it('reports a rejected input (400) as a validation error, not retried', async () => {
    server.failNext({ kind: 'status', status: 400, message: 'maximum context length is 8192 tokens' });
    const error = await rejection(embedder().embed(['huge']));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.match(error.message, /maximum context length/);
    assert.equal(server.requests.length, 1);
  });

  it('refuses blank texts before calling the provider, and embeds nothing for no texts', async () => {
    const error = await rejection(embedder().embed(['ok', '  ']));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.match(error.message, /text 1/);
    assert.deepEqual(await embedder().embed([]), []);
    assert.equal(server.requests.length, 0);
  });

  it('reports a refused connection as EMBEDDING_UNAVAILABLE after retrying', async () => {
    const closedPort = await freePort();
    const error = await rejection(embedder({ baseUrl: `http://127.0.0.1:${closedPort}/v1`, maxRetries: 1 }).embed(['anyone?']));
    assert.equal(error.code, 'EMBEDDING_UNAVAILABLE');
    assert.match(error.message, /ECONNREFUSED/);
    assert.equal(captured.lines.length, 1);
  });

  it('refuses configurations that cannot work', () => {
    assert.throws(() => embedder({ model: 'nomic-embed-text', dimensions: undefined }), /nomic-embed-text.*dimensions/);
    assert.throws(() => embedder({ model: 'text-embedding-ada-002', dimensions: 256 }), /1536/);
    assert.throws(() => embedder({ batchSize: 0 }), /batchSize/);
    assert.throws(() => embedder({ apiKey: '' }), /API key/);
  });
});

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

function assertClose(actual: Float32Array, wanted: Float32Array): void {
  assert.equal(actual.length, wanted.length);
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i]! - wanted[i]!) < 1e-6, `component ${i}: ${actual[i]} != ${wanted[i]}`);
}

function norm(vector: Float32Array): number {
  return Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
}

/** A port nothing listens on: bind one, then let it go. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
