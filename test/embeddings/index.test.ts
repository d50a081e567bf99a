import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createEmbedder, type EmbedderOptions } from '../../src/embeddings/index.js';
import { startOpenAITestServer, type OpenAITestServer } from '../support/openai-test-server.js';

describe('createEmbedder', () => {
  let server: OpenAITestServer;
  let dir: string;
  const base: EmbedderOptions = { provider: 'auto', timeoutMs: 2_000, maxRetries: 0 };

  before(async () => {
    server = await startOpenAITestServer();
    dir = mkdtempSync(join(tmpdir(), 'create-embedder-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('auto without a key is the local embedder, 384 dimensions unless configured', () => {
    const embedder = createEmbedder(base);
    assert.deepEqual([embedder.provider, embedder.model, embedder.dimensions], ['local', 'local-hash-v1', 384]);
    // The OpenAI model name does not apply to the local embedder.
    const sized = createEmbedder({ ...base, model: 'text-embedding-3-small', dimensions: 256 });
    assert.deepEqual([sized.provider, sized.model, sized.dimensions], ['local', 'local-hash-v1', 256]);
  });

  it('auto with a key is OpenAI, cached', async () => {
    const embedder = createEmbedder({ ...base, openaiApiKey: server.apiKey, openaiBaseUrl: server.baseUrl, dimensions: 8 });
    assert.deepEqual([embedder.provider, embedder.model, embedder.dimensions], ['openai', 'text-embedding-3-small', 8]);
    await embedder.embed(['same()']);
    await embedder.embed(['same()']);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(embedder.stats(), { hits: 1, storeHits: 0, misses: 1, entries: 1 });
  });

  it('takes the service logger (pino) as its log', () => {
    // A compile-time check as much as a run-time one: EmbeddingLog must accept pino.
    assert.equal(createEmbedder({ ...base, log: pino({ enabled: false }) }).provider, 'local');
  });

  it('local is local even with a key', () => {
    assert.equal(createEmbedder({ ...base, provider: 'local', openaiApiKey: 'sk-unused' }).provider, 'local');
  });

  it('openai needs a key, unless a base URL points at a keyless server', () => {
    assert.throws(() => createEmbedder({ ...base, provider: 'openai' }), /OPENAI_API_KEY/);
    const keyless = createEmbedder({ ...base, provider: 'openai', openaiBaseUrl: server.baseUrl, model: 'nomic-embed-text', dimensions: 768 });
    assert.deepEqual([keyless.provider, keyless.model, keyless.dimensions], ['openai', 'nomic-embed-text', 768]);
  });

  it('persists the cache in cacheFile', async () => {
    const cacheFile = join(dir, 'embeddings.db');
    const first = createEmbedder({ ...base, cacheFile });
    const [vector] = await first.embed(['kept across restarts']);
    first.close();
    const second = createEmbedder({ ...base, cacheFile });
    assert.deepEqual(await second.embed(['kept across restarts']), [vector]);
    assert.equal(second.stats().storeHits, 1);
    second.close();
  });
});
