/**
 * The Qdrant adapter when things go wrong, and what it sends: wait=true on
 * every write (from the test server's request log), retries of transient
 * failures, outages, timeouts and refused credentials, and recovery without a
 * restart. These need the test server's fault switches, so they are skipped
 * when QDRANT_URL points at a real Qdrant.
 */
import { captureLog } from '../support/log.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../src/errors.js';
import type { QdrantVectorStore } from '../../src/vectors/qdrant.js';
import { createHarness, needsTestServer, type Harness } from './harness.js';
import { countDocuments } from '../support/count.js';

const MODEL = 'fault-model';
let h: Harness;
let store: QdrantVectorStore;
const captured = captureLog('warn');
const logged = captured.lines;

before(async () => {
  h = await createHarness();
  store = h.open({ log: captured.log });
});
after(async () => {
  await h.close();
});

const opts = { skip: needsTestServer };
const vector = (...xs: number[]) => Float32Array.from(xs);

function unavailable(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected AppError, got ${String(error)}`);
    assert.equal(error.code, 'PROVIDER_UNAVAILABLE', error.message);
    assert.equal(error.statusCode, 503);
    assert.ok((error.retryAfter ?? 0) > 0, 'retryAfter is set');
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes(h.apiKey!), 'the API key never appears in a message');
    return true;
  };
}

test('every write is sent with wait=true', opts, async () => {
  const server = h.server!;
  server.clearLog();
  await store.createCollection('p', 'c', { model: MODEL, dimensions: 2 });
  await store.upsert('p', 'c', [
    { id: 'a', content: 'a', metadata: { filePath: 'x' }, vector: vector(1, 0) },
    { id: 'b', content: 'b', metadata: { filePath: 'y' }, vector: vector(0, 1) },
  ]);
  assert.equal(await store.deleteByIds('p', 'c', ['a']), 1);
  assert.equal(await store.deleteByFilter('p', 'c', { filePath: 'y' }), 1);
  await store.createCollection('p', 'd', { model: MODEL, dimensions: 2 });
  assert.equal(await store.deleteCollection('p', 'd'), true);
  await store.deleteProject('p');
  const writes = server.requests.filter((r) => ['upsert_points', 'delete_points', 'create_field_index'].includes(r.operationId ?? ''));
  assert.deepEqual(new Set(writes.map((r) => r.operationId)), new Set(['upsert_points', 'delete_points', 'create_field_index']));
  for (const write of writes) assert.equal(write.query.wait, true, `${write.operationId} ${write.path} waits`);
  assert.deepEqual(server.invalid(), []);
});

test('transient 5xx answers are retried with backoff', opts, async () => {
  const server = h.server!;
  await store.createCollection('retry', 'c', { model: MODEL, dimensions: 2 });
  server.clearLog();
  server.failNext(2, 503);
  assert.equal(await countDocuments(store, 'retry', 'c'), 0);
  assert.equal(server.requests.filter((r) => r.status === 503).length, 2);
  server.failNext(10, 502);
  await assert.rejects(countDocuments(store, 'retry', 'c'), unavailable(/502/));
  server.failNext(0);
  assert.ok(logged.length >= 2, 'retries are logged');
  assert.ok(!JSON.stringify(logged).includes(h.apiKey!), 'the API key is never logged');
});

test('outage: PROVIDER_UNAVAILABLE quickly, then the same store works again', opts, async () => {
  const server = h.server!;
  await store.createCollection('outage', 'c', { model: MODEL, dimensions: 2 });
  await store.upsert('outage', 'c', [{ id: 'kept', content: 'k', metadata: {}, vector: vector(1, 1) }]);
  await server.stop();
  const started = Date.now();
  await assert.rejects(countDocuments(store, 'outage', 'c'), unavailable(/unreachable/));
  assert.ok(Date.now() - started < 3000, `failed within ${Date.now() - started} ms`);
  await assert.rejects(store.health(), unavailable(/unreachable/));
  await server.start();
  await store.health();
  assert.equal(await countDocuments(store, 'outage', 'c'), 1, 'data survived, and no broken state was cached');
});

test('a slow Qdrant times out into PROVIDER_UNAVAILABLE', opts, async () => {
  const server = h.server!;
  const impatient = h.open({ timeoutMs: 100, retryAttempts: 1 });
  server.setDelay(400);
  try {
    await assert.rejects(impatient.health(), unavailable(/no answer within 100 ms/));
  } finally {
    server.setDelay(0);
  }
  await impatient.health();
});

test('401: PROVIDER_UNAVAILABLE at once, health names authentication, the key is never shown', opts, async () => {
  const server = h.server!;
  await store.createCollection('auth', 'c', { model: MODEL, dimensions: 2 });
  server.setUnauthorized(true);
  server.clearLog();
  try {
    await assert.rejects(countDocuments(store, 'auth', 'c'), unavailable(/authentication failed \(401\)/));
    // The operation and its registry check (sent together on a known collection) are each made once.
    const sent = server.requests.map((request) => `${request.method} ${request.path} ${JSON.stringify(request.body)}`);
    assert.ok(sent.length <= 2 && new Set(sent).size === sent.length, `a refused key is not retried: ${sent.join(', ')}`);
    await assert.rejects(store.health(), unavailable(/authentication/));
  } finally {
    server.setUnauthorized(false);
  }
  assert.equal(await countDocuments(store, 'auth', 'c'), 0);

  const wrongKey = 'wrong-secret-key-987';
  const intruder = h.open({ apiKey: wrongKey });
  await assert.rejects(intruder.health(), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'PROVIDER_UNAVAILABLE');
    assert.match(error.message, /authentication/);
    assert.ok(!error.message.includes(wrongKey));
    return true;
  });
  const keyless = h.open({ apiKey: undefined });
  await assert.rejects(keyless.listCollections('auth'), unavailable(/authentication/));
});

test('checkCollection checks the server version once, and 1.19 raises no warning', opts, async () => {
  const server = h.server!;
  server.clearLog();
  const { log, lines: warnings } = captureLog('warn');
  const fresh = h.open({ log });
  await fresh.checkCollection(MODEL, 3);
  await fresh.checkCollection(MODEL, 3);
  assert.equal(server.requests.filter((r) => r.operationId === 'root').length, 1);
  assert.deepEqual(warnings, []);
});

test('the test server recorded no invalid request and no invalid response', opts, () => {
  assert.deepEqual(h.server!.invalid(), []);
});
