/**
 * The OpenAPI document, generated from the route schemas of an app built over
 * a throwaway in-memory SQLite store (the document does not depend on data).
 */
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createRelationalService } from './relational/service.js';
import { createSqliteStore } from './relational/sqlite.js';
import type { Services } from './services.js';

export async function renderOpenApi(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'test', IN_MEMORIA_STORAGE_MODE: 'local', DATA_DIR: '/nonexistent' }, { dockerEnvFile: '/nonexistent' });
  const store = createSqliteStore({ file: ':memory:' });
  await store.migrate();
  const services: Services = {
    config,
    relational: createRelationalService(store),
    providers: [],
    deleteProject: async () => undefined,
    close: () => store.close(),
  };
  const app = await buildApp({ services });
  try {
    return app.swagger({ yaml: true });
  } finally {
    await app.close();
    await services.close();
  }
}
