/**
 * The OpenAPI document, generated from the route schemas of an app built over
 * throwaway local stores in a temporary directory (the document does not depend on data).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createServices } from './services.js';

export async function renderOpenApi(): Promise<string> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ims-openapi-'));
  const config = loadConfig(
    { NODE_ENV: 'test', IN_MEMORIA_STORAGE_MODE: 'local', DATA_DIR: dataDir, EMBEDDING_PROVIDER: 'local' },
    { dockerEnvFile: '/nonexistent' },
  );
  const services = await createServices(config);
  const app = await buildApp({ services });
  try {
    return app.swagger({ yaml: true });
  } finally {
    await app.close();
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
