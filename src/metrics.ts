/**
 * Prometheus metrics for `GET /metrics`. One registry per service instance, so
 * two apps in one process (tests) never share counters. A scrape reads memory
 * only: it never queries SQLite, PostgreSQL or Qdrant, so scraping a service
 * whose providers are down is cheap and still answers.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isAppError } from './errors.js';
import type { EmbeddingCacheStats } from './embeddings/cache.js';
import type { PoolStats } from './relational/port.js';
import type { Job } from './vectors/jobs.js';

/** What the collectors read at scrape time; set once the services exist. */
export interface ScrapeSources {
  embeddingCache(): EmbeddingCacheStats;
  jobs(): readonly Job[];
  /** Connection pool of the relational store; undefined when it has none (SQLite). */
  pool(): PoolStats | undefined;
}

export interface Metrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
  /** Runs one provider call, recording its latency, and an error when it throws. */
  timeProviderCall<T>(provider: string, operation: string, call: () => Promise<T>): Promise<T>;
  countEmbeddedTexts(provider: string, texts: number): void;
  readAtScrape(sources: ScrapeSources): void;
}

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let sources: ScrapeSources | undefined;

  const requestDuration = new Histogram({
    name: 'ims_http_request_duration_seconds',
    help: 'HTTP requests by route pattern (never the raw URL) and status; _count is the request count',
    labelNames: ['method', 'route', 'status_code'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const providerDuration = new Histogram({
    name: 'ims_provider_call_duration_seconds',
    help: 'Calls to the relational store, the vector store and the embedding provider',
    labelNames: ['provider', 'operation'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const providerErrors = new Counter({
    name: 'ims_provider_call_errors_total',
    help: 'Provider calls that threw, by error code (PROVIDER_UNAVAILABLE: the provider is down)',
    labelNames: ['provider', 'operation', 'code'],
    registers: [registry],
  });
  const embeddedTexts = new Counter({
    name: 'ims_embedding_texts_total',
    help: 'Texts sent to the embedding provider (cache misses)',
    labelNames: ['provider'],
    registers: [registry],
  });

  // Totals kept elsewhere (the embedding cache) are copied in at scrape time.
  const cacheCounter = (name: string, help: string, read: (stats: EmbeddingCacheStats) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        if (!sources) return;
        this.reset();
        this.inc(read(sources.embeddingCache()));
      },
    });
  cacheCounter('ims_embedding_cache_hits_total', 'Texts answered by the embedding cache (memory or store)', (stats) => stats.hits);
  cacheCounter('ims_embedding_cache_store_hits_total', 'The part of the cache hits read from the persisted store', (stats) => stats.storeHits);
  cacheCounter('ims_embedding_cache_misses_total', 'Texts the cache did not hold', (stats) => stats.misses);
  new Gauge({
    name: 'ims_embedding_cache_entries',
    help: 'Vectors held in the in-memory embedding cache',
    registers: [registry],
    collect() {
      if (sources) this.set(sources.embeddingCache().entries);
    },
  });

  new Gauge({
    name: 'ims_ingest_jobs',
    help: 'Ingest jobs this replica has worked on lately, by status',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      if (!sources) return;
      const counts = { queued: 0, running: 0, succeeded: 0, failed: 0 };
      for (const job of sources.jobs()) counts[job.status]++;
      for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'ims_ingest_job_items',
    help: 'Items of queued and running ingest jobs: processed (failed included), failed, and total',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      if (!sources) return;
      const items = { processed: 0, failed: 0, total: 0 };
      for (const job of sources.jobs()) {
        if (job.status !== 'queued' && job.status !== 'running') continue;
        items.processed += job.processed;
        items.failed += job.failed;
        items.total += job.total;
      }
      for (const [state, count] of Object.entries(items)) this.set({ state }, count);
    },
  });

  new Gauge({
    name: 'ims_db_pool_connections',
    help: 'Relational connection pool: total, idle, waiting clients, max (absent for SQLite, which has no pool)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = sources?.pool();
      this.reset();
      if (!pool) return;
      for (const [state, count] of Object.entries(pool)) this.set({ state }, count);
    },
  });

  return {
    registry,
    observeRequest(method, route, statusCode, seconds) {
      requestDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
    },
    async timeProviderCall(provider, operation, call) {
      const stop = providerDuration.startTimer({ provider, operation });
      try {
        return await call();
      } catch (error) {
        providerErrors.inc({ provider, operation, code: isAppError(error) ? error.code : 'ERROR' });
        throw error;
      } finally {
        stop();
      }
    },
    countEmbeddedTexts(provider, texts) {
      embeddedTexts.inc({ provider }, texts);
    },
    readAtScrape(next) {
      sources = next;
    },
  };
}
