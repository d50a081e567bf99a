/**
 * Composition root: the providers chosen by the configuration. Heavy adapters
 * are imported only when their provider is chosen.
 */
import type { FastifyBaseLogger } from 'fastify';
import { ConfigError, type Config } from './config.js';
import { AppError } from './errors.js';
import type { RelationalStore } from './relational/port.js';
import { createRelationalService, type RelationalService } from './relational/service.js';

/** A dependency `/ready` checks. */
export interface ProviderHealth {
  name: 'relational' | 'vectors' | 'embeddings';
  provider: string;
  check(): Promise<void>;
}

export interface Services {
  config: Config;
  relational: RelationalService;
  providers: ProviderHealth[];
  /** Deletes every row of the project, in every store; 404 when it holds nothing. */
  deleteProject(projectId: string): Promise<void>;
  close(): Promise<void>;
}

/** Where the providers report what happens outside any request (a lost idle connection, a deferred migration). */
export type ServiceLog = Pick<FastifyBaseLogger, 'warn' | 'error'>;

export async function createServices(config: Config, log?: ServiceLog): Promise<Services> {
  const store = await openRelationalStore(config, log);
  try {
    await store.migrate();
  } catch (error) {
    // PostgreSQL down at start-up is an outage like any other: the service starts, /ready says 503, and the
    // store migrates before its first statement once PostgreSQL answers. Any other failure stops start-up.
    const deferred = store.provider === 'postgres' && error instanceof AppError && error.code === 'PROVIDER_UNAVAILABLE';
    if (!deferred) {
      await store.close();
      throw error;
    }
    log?.warn({ err: error }, 'PostgreSQL is unavailable at start-up; migrations will run when it answers');
  }
  const relational = createRelationalService(store);
  return {
    config,
    relational,
    async deleteProject(projectId) {
      if (!(await relational.deleteProject(projectId))) throw new AppError('PROJECT_NOT_FOUND', `project ${JSON.stringify(projectId)} not found`);
    },
    providers: [{ name: 'relational', provider: store.provider, check: () => store.health() }],
    close: () => store.close(),
  };
}

async function openRelationalStore(config: Config, log?: ServiceLog): Promise<RelationalStore> {
  const relational = config.relational;
  if (config.vectors.provider === 'qdrant') {
    throw new ConfigError(`mode ${config.mode} needs the qdrant vector provider, which this version does not include yet; use IN_MEMORIA_STORAGE_MODE=local or hybrid with VECTOR_PROVIDER=embedded`);
  }
  if (relational.provider === 'postgres') {
    const { createPostgresStore } = await import('./relational/postgres.js');
    return createPostgresStore({ settings: relational, onIdleError: (error) => log?.warn({ err: error }, 'PostgreSQL closed an idle connection') });
  }
  const { createSqliteStore } = await import('./relational/sqlite.js');
  return createSqliteStore({ file: relational.file });
}
