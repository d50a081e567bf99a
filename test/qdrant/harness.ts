/**
 * Where the Qdrant adapter tests run: the in-memory test server modelled on
 * Qdrant 1.19 by default, or the real Qdrant at QDRANT_URL (with QDRANT_API_KEY)
 * when that is set. Against a real server every run uses its own collection
 * prefix and drops its collections at the end.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import { createQdrantVectorStore, type QdrantVectorStore, type QdrantVectorStoreOptions } from '../../src/vectors/qdrant.js';
import { startQdrantTestServer, type QdrantTestServer } from '../support/qdrant-test-server.js';

export const realQdrantUrl = process.env.QDRANT_URL;
/** Tests that need the test server's request log or fault switches. */
export const needsTestServer = realQdrantUrl ? 'needs the Qdrant test server (QDRANT_URL is set)' : false;

export interface Harness {
  url: string;
  apiKey: string | undefined;
  prefix: string;
  /** Null against a real Qdrant. */
  server: QdrantTestServer | null;
  raw: QdrantClient;
  open(overrides?: Partial<QdrantVectorStoreOptions>): QdrantVectorStore;
  close(): Promise<void>;
}

export async function createHarness(): Promise<Harness> {
  const server = realQdrantUrl ? null : await startQdrantTestServer({ apiKey: 'test-api-key-0123456789' });
  const url = realQdrantUrl ?? server!.url;
  const apiKey = realQdrantUrl ? process.env.QDRANT_API_KEY : 'test-api-key-0123456789';
  const prefix = realQdrantUrl ? `imtest_${randomUUID().slice(0, 8)}` : 'in_memoria';
  const raw = new QdrantClient({ url, apiKey, checkCompatibility: false });
  return {
    url,
    apiKey,
    prefix,
    server,
    raw,
    open: (overrides) => createQdrantVectorStore({ url, apiKey, collectionPrefix: prefix, timeoutMs: 2000, retryAttempts: 2, ...overrides }),
    async close() {
      if (server) return server.stop();
      const { collections } = await raw.getCollections();
      for (const { name } of collections) if (name.startsWith(`${prefix}_`)) await raw.deleteCollection(name);
    },
  };
}

/**
 * The shape the shared vector-store contract suite (test/contracts/vector-store.ts)
 * takes: a fresh, empty store per call; `reopen` builds a new store instance
 * over the same Qdrant, which must see the same data (the adapter keeps no state).
 */
export async function openQdrantForContract(): Promise<{ store: QdrantVectorStore; reopen: () => Promise<QdrantVectorStore>; cleanup: () => Promise<void> }> {
  const harness = await createHarness();
  return {
    store: harness.open(),
    reopen: async () => harness.open(),
    cleanup: async () => {
      if (harness.server) assert.deepEqual(harness.server.invalid(), [], 'the contract suite sent no invalid Qdrant request');
      await harness.close();
    },
  };
}
