/**
 * Composition root: the providers chosen by the configuration. Heavy adapters
 * are imported only when their provider is chosen.
 */
import path from 'node:path';
import { ConfigError, type Config } from './config.js';
import { createEmbedder, type CachedEmbedder } from './embeddings/index.js';
import { AppError } from './errors.js';
import { instrumentEmbedder, instrumentRelationalStore, instrumentVectorStore } from './instrument.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { RelationalStore } from './relational/port.js';
import { createRelationalService, type RelationalService } from './relational/service.js';
import { createJobStore } from './vectors/job-store.js';
import { createJobRunner, type JobRunner } from './vectors/jobs.js';
import type { VectorStore } from './vectors/port.js';
import { createVectorService, type VectorService } from './vectors/service.js';
import type { Log } from './log.js';
import { createProjectsService, type ProjectsService } from './projects.js';

/** A dependency `/ready` checks. */
export interface ProviderHealth {
  name: 'relational' | 'vectors' | 'embeddings';
  provider: string;
  check(): Promise<void>;
}

export interface Services {
  config: Config;
  relational: RelationalService;
  vectors: VectorService;
  jobs: JobRunner;
  embedder: CachedEmbedder;
  providers: ProviderHealth[];
  metrics: Metrics;
  projects: ProjectsService;
  /** Stops jobs after their current batch, then closes every store. */
  close(): Promise<void>;
}

export async function createServices(config: Config, log?: Log): Promise<Services> {
  const opened: Array<() => Promise<void> | void> = [];
  const metrics = createMetrics();
  try {
    const rawStore = await openRelationalStore(config, log);
    opened.push(() => rawStore.close());
    const store = instrumentRelationalStore(rawStore, metrics);
    await migrateOrDefer(store, log);
    const relational = createRelationalService(store);

    const embedder = createEmbedder({
      ...config.embeddings,
      // Remote mode keeps nothing on local disk: the cache is memory only there.
      cacheFile: config.vectors.provider === 'embedded' ? path.join(config.dataDir, 'embedding-cache.db') : undefined,
      log,
      instrument: (provider) => instrumentEmbedder(provider, metrics),
    });
    opened.push(() => embedder.close());

    const rawVectorStore = await openVectorStore(config, embedder, log);
    opened.push(() => rawVectorStore.close());
    const vectorStore = instrumentVectorStore(rawVectorStore, metrics);
    const vectors = createVectorService({
      store: vectorStore,
      embedder,
      limits: config.collections,
      maxResponseBytes: config.server.maxResponseBytes,
      onProjectWrite: (projectId) => relational.ensureProject(projectId),
    });
    const jobs = createJobRunner(vectors, createJobStore(store), config.jobs, { log, exclusive: store.provider === 'sqlite' });
    await jobs.start();
    opened.push(() => jobs.drain());
    metrics.readAtScrape({ embeddingCache: () => embedder.stats(), jobs: () => jobs.list(), pool: () => rawStore.poolStats?.() });

    return {
      config,
      relational,
      vectors,
      jobs,
      embedder,
      metrics,
      providers: [
        { name: 'relational', provider: store.provider, check: () => store.health() },
        { name: 'vectors', provider: vectorStore.provider, check: () => vectorStore.health() },
      ],
      projects: createProjectsService(relational, vectors),
      async close() {
        // Jobs first (pushed last): each stops after its batch and gives its lease back while the stores are open.
        for (const close of opened.reverse()) await close();
      },
    };
  } catch (error) {
    for (const close of opened.reverse()) await close();
    throw error;
  }
}

async function migrateOrDefer(store: RelationalStore, log?: Log): Promise<void> {
  try {
    await store.migrate();
  } catch (error) {
    // PostgreSQL down at start-up is an outage like any other: the service starts, /ready says 503, and the
    // store migrates before its first statement once PostgreSQL answers. Any other failure stops start-up.
    const deferred = store.provider === 'postgres' && error instanceof AppError && error.code === 'PROVIDER_UNAVAILABLE';
    if (!deferred) throw error;
    log?.warn({ err: error }, 'PostgreSQL is unavailable at start-up; migrations will run when it answers');
  }
}

async function openRelationalStore(config: Config, log?: Log): Promise<RelationalStore> {
  const relational = config.relational;
  if (relational.provider === 'postgres') {
    const { createPostgresStore } = await import('./relational/postgres.js');
    return createPostgresStore({ settings: relational, onIdleError: (error) => log?.warn({ err: error }, 'PostgreSQL closed an idle connection') });
  }
  const { createSqliteStore } = await import('./relational/sqlite.js');
  return createSqliteStore({ file: relational.file });
}

async function openVectorStore(config: Config, embedder: CachedEmbedder, log?: Log): Promise<VectorStore> {
  const vectors = config.vectors;
  if (vectors.provider === 'embedded') {
    const { createEmbeddedVectorStore } = await import('./vectors/embedded.js');
    return createEmbeddedVectorStore({ dataDir: vectors.dir, log });
  }
  const { createQdrantVectorStore } = await import('./vectors/qdrant.js');
  const store = createQdrantVectorStore({ ...vectors, log });
  try {
    // A physical collection whose vector size differs from the embedder's is reported now, not by a failing upsert.
    await store.checkCollection(embedder.model, embedder.dimensions);
  } catch (error) {
    if (error instanceof AppError && error.code === 'PROVIDER_UNAVAILABLE') {
      // Start anyway: /ready reports Qdrant down and requests get 503 until it is back.
      log?.warn({ reason: error.message }, 'Qdrant is unreachable at start; serving 503 for vector calls until it returns');
    } else {
      await store.close();
      throw new ConfigError(`Qdrant collection check failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return store;
}
