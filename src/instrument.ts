/**
 * Decorators the composition root puts around each provider so that every
 * call is timed and every failure counted (src/metrics.ts), without a line of
 * metrics code inside the adapters.
 */
import type { Embedder } from './embeddings/port.js';
import type { Metrics } from './metrics.js';
import type { RelationalStore, Row, SqlClient, SqlValue } from './relational/port.js';
import type { VectorStore } from './vectors/port.js';

const VECTOR_CALLS = [
  'createCollection',
  'getCollection',
  'listCollections',
  'deleteCollection',
  'upsert',
  'getMany',
  'scroll',
  'search',
  'deleteByIds',
  'deleteByFilter',
  'deleteProject',
  'health',
] as const satisfies ReadonlyArray<keyof VectorStore>;

export function instrumentVectorStore<T extends VectorStore>(store: T, metrics: Metrics): T {
  // Object.create keeps every other property (provider, adapter extras) as the store's own.
  const wrapped: T = Object.create(store);
  for (const operation of VECTOR_CALLS) {
    const call = store[operation] as (...args: unknown[]) => Promise<unknown>;
    Object.assign(wrapped, { [operation]: (...args: unknown[]) => metrics.timeProviderCall(store.provider, operation, () => call.apply(store, args)) });
  }
  return wrapped;
}

export function instrumentRelationalStore(store: RelationalStore, metrics: Metrics): RelationalStore {
  const wrapped: RelationalStore = Object.create(store);
  return Object.assign(wrapped, instrumentSqlClient(store, store.provider, metrics), {
    migrate: () => metrics.timeProviderCall(store.provider, 'migrate', () => store.migrate()),
    health: () => metrics.timeProviderCall(store.provider, 'health', () => store.health()),
  });
}

/** Statements inside a transaction are timed too: the client handed to `work` is wrapped as well. */
function instrumentSqlClient(client: SqlClient, provider: string, metrics: Metrics): SqlClient {
  return {
    dialect: client.dialect,
    query: <T extends Row = Row>(sql: string, params?: readonly SqlValue[]) => metrics.timeProviderCall(provider, 'query', () => client.query<T>(sql, params)),
    run: (sql, params) => metrics.timeProviderCall(provider, 'run', () => client.run(sql, params)),
    transaction: (work) =>
      metrics.timeProviderCall(provider, 'transaction', () => client.transaction((tx) => work(instrumentSqlClient(tx, provider, metrics)))),
  };
}

/** Wraps the embedding provider itself (inside the cache), so only real provider calls are timed. */
export function instrumentEmbedder(embedder: Embedder, metrics: Metrics): Embedder {
  return {
    provider: embedder.provider,
    model: embedder.model,
    dimensions: embedder.dimensions,
    embed(texts) {
      metrics.countEmbeddedTexts(embedder.provider, texts.length);
      return metrics.timeProviderCall(embedder.provider, 'embed', () => embedder.embed(texts));
    },
  };
}
