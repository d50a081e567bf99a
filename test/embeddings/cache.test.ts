import { captureLog } from '../support/log.js';
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { withEmbeddingCache } from '../../src/embeddings/cache.js';
import { createLocalEmbedder } from '../../src/embeddings/local.js';
import { createOpenAIEmbedder } from '../../src/embeddings/openai.js';
import type { Embedder } from '../../src/embeddings/port.js';
import { createSqliteCacheStore } from '../../src/embeddings/sqlite-cache-store.js';
import { AppError } from '../../src/errors.js';
import { startOpenAITestServer, type OpenAITestServer } from '../support/openai-test-server.js';

describe('embedding cache', () => {
  let server: OpenAITestServer;
  let dir: string;

  before(async () => {
    server = await startOpenAITestServer();
    dir = mkdtempSync(join(tmpdir(), 'embedding-cache-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  const openai = (dimensions = 8): Embedder =>
    createOpenAIEmbedder({ apiKey: server.apiKey, baseUrl: server.baseUrl, dimensions, timeoutMs: 2_000, maxRetries: 0 });

  it('sends only the misses to the provider', async () => {
    const cached = withEmbeddingCache(openai(), { maxEntries: 100 });
    const [a, b] = await cached.embed(['alpha()', 'beta()']);
    const [b2, a2, c] = await cached.embed(['beta()', 'alpha()', 'gamma()']);

    assert.deepEqual(
      server.requests.map((r) => r.input),
      [['alpha()', 'beta()'], ['gamma()']],
    );
    assert.deepEqual(a2, a);
    assert.deepEqual(b2, b);
    assert.equal(c!.length, 8);
    assert.deepEqual(cached.stats(), { hits: 2, storeHits: 0, misses: 3, entries: 3 });
  });

  it('embeds a text repeated within one call once', async () => {
    const cached = withEmbeddingCache(openai(), { maxEntries: 100 });
    const vectors = await cached.embed(['x()', 'x()', 'y()', 'x()']);

    assert.deepEqual(
      server.requests.map((r) => r.input),
      [['x()', 'y()']],
    );
    assert.deepEqual(vectors[0], vectors[1]);
    assert.deepEqual(vectors[0], vectors[3]);
    assert.notDeepEqual(vectors[0], vectors[2]);
    // Each caller gets its own array: changing one alters neither its twin nor the cache.
    vectors[0]!.fill(0);
    assert.notDeepEqual(vectors[1], vectors[0]);
    const [again] = await cached.embed(['x()']);
    assert.deepEqual(again, vectors[1]);
  });

  it('keeps the model and dimensions of the embedder it wraps', () => {
    const cached = withEmbeddingCache(createLocalEmbedder({ dimensions: 64 }), { maxEntries: 10 });
    assert.equal(cached.provider, 'local');
    assert.equal(cached.model, 'local-hash-v1');
    assert.equal(cached.dimensions, 64);
  });

  it('evicts the least recently used vector when full', async () => {
    const calls: string[][] = [];
    const local = createLocalEmbedder({ dimensions: 16 });
    const recording: Embedder = { ...local, embed: (texts) => (calls.push(texts), local.embed(texts)) };
    const cached = withEmbeddingCache(recording, { maxEntries: 2 });

    await cached.embed(['one', 'two']);
    await cached.embed(['one']); // `one` is now the most recent
    await cached.embed(['three']); // evicts `two`
    await cached.embed(['one', 'two']);

    assert.deepEqual(calls, [['one', 'two'], ['three'], ['two']]);
    assert.equal(cached.stats().entries, 2);
  });

  it('refuses blank texts with VALIDATION_FAILED', async () => {
    const cached = withEmbeddingCache(openai(), { maxEntries: 10 });
    await assert.rejects(cached.embed(['']), (error: unknown) => error instanceof AppError && error.code === 'VALIDATION_FAILED');
    assert.equal(server.requests.length, 0);
  });

  it('survives a restart when persisted, and keys by model and dimensions', async () => {
    const file = join(dir, 'nested', 'cache.db');
    const first = withEmbeddingCache(openai(), { maxEntries: 100, store: createSqliteCacheStore(file) });
    const original = await first.embed(['persist()', 'me()']);
    first.close();
    assert.equal(server.requests.length, 1);

    const reopened = withEmbeddingCache(openai(), { maxEntries: 100, store: createSqliteCacheStore(file) });
    const restored = await reopened.embed(['persist()', 'me()']);
    assert.deepEqual(restored, original);
    assert.equal(server.requests.length, 1, 'nothing re-embedded after reopening');
    assert.deepEqual(reopened.stats(), { hits: 2, storeHits: 2, misses: 0, entries: 2 });
    reopened.close();

    // The same file, another size: those vectors must not be served.
    const otherSize = withEmbeddingCache(openai(16), { maxEntries: 100, store: createSqliteCacheStore(file) });
    const [resized] = await otherSize.embed(['persist()']);
    assert.equal(resized!.length, 16);
    assert.equal(server.requests.length, 2);
    otherSize.close();
  });

  it("keeps each project apart: another project's text is a miss, and forget() drops a project in memory and in the store", async () => {
    const file = join(dir, 'scoped.db');
    const cached = withEmbeddingCache(openai(), { maxEntries: 100, store: createSqliteCacheStore(file) });
    await cached.embed(['secret()'], 'tenant-b');
    assert.equal(server.requests.length, 1);
    await cached.embed(['secret()'], 'tenant-a');
    assert.equal(server.requests.length, 2, "tenant-a's lookup never hits tenant-b's entry (no oracle)");
    await cached.embed(['secret()'], 'tenant-b');
    assert.equal(server.requests.length, 2, 'each project hits its own entry');
    assert.equal(cached.stats().misses, 2);

    cached.forget('tenant-b');
    await cached.embed(['secret()'], 'tenant-b');
    assert.equal(server.requests.length, 3, 'forgotten in memory and in the store');
    await cached.embed(['secret()'], 'tenant-a');
    assert.equal(server.requests.length, 3, 'the other project keeps its entry');
    cached.forget('tenant-a');
    cached.forget('tenant-b');
    cached.close();
    const db = new Database(file, { readonly: true });
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM project_embedding_cache').get() as { n: number }).n, 0, 'no row of a forgotten project is left');
    db.close();
  });

  it('keeps embedding when the store fails, and says so', async () => {
    const { log, lines } = captureLog('warn');
    const warnings = lines;
    const store = createSqliteCacheStore(join(dir, 'broken.db'));
    store.close(); // every read and write now throws
    const cached = withEmbeddingCache(openai(), { maxEntries: 10, store, log });

    const [vector] = await cached.embed(['still works()']);
    assert.equal(vector!.length, 8);
    assert.equal(warnings.length, 2, `${warnings.map((line) => line.msg).join('; ')}`);
  });

  it('prunes the oldest rows of the store past its cap', () => {
    const file = join(dir, 'capped.db');
    const store = createSqliteCacheStore(file, { maxEntries: 10 });
    for (let i = 0; i < 25; i++) store.set('p', 'm', 4, [{ hash: `h${i}`, vector: new Float32Array([i, 0, 0, 0]) }]);
    const kept = store.get(
      'p',
      'm',
      4,
      Array.from({ length: 25 }, (_, i) => `h${i}`),
    );
    assert.ok(kept.has('h24') && !kept.has('h0'), `kept ${[...kept.keys()].join(' ')}`);
    assert.equal(kept.get('h24')?.[0], 24);
    store.close();

    const db = new Database(file, { readonly: true });
    const { n } = db.prepare('SELECT COUNT(*) AS n FROM project_embedding_cache').get() as { n: number };
    db.close();
    assert.ok(n <= 10, `${n} rows left`);
  });
});
