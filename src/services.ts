/**
 * Composition root: the providers chosen by the configuration. Heavy adapters
 * are imported only when their provider is chosen.
 */
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

export async function createServices(config: Config): Promise<Services> {
  const store = await openRelationalStore(config);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
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

async function openRelationalStore(config: Config): Promise<RelationalStore> {
  const relational = config.relational;
  if (relational.provider === 'postgres') {
    throw new ConfigError(`mode ${config.mode} needs the postgres relational provider, which this version does not include yet; use IN_MEMORIA_STORAGE_MODE=local`);
  }
  if (config.vectors.provider === 'qdrant') {
    throw new ConfigError(`mode ${config.mode} needs the qdrant vector provider, which this version does not include yet; use IN_MEMORIA_STORAGE_MODE=local`);
  }
  const { createSqliteStore } = await import('./relational/sqlite.js');
  return createSqliteStore({ file: relational.file });
}
