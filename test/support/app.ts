/** A real service (real SQLite file in a temporary data directory) for tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';

export interface TestService {
  app: FastifyInstance;
  services: Services;
  dataDir: string;
  /** Closes the app and stores; keeps the data directory. */
  stop(): Promise<void>;
  /** Stops and removes the data directory. */
  destroy(): Promise<void>;
}

export function makeDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'ims-test-'));
}

export function testEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { NODE_ENV: 'test', IN_MEMORIA_STORAGE_MODE: 'local', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...extra };
}

export async function startTestService(
  options: { dataDir?: string; env?: Record<string, string>; onRoute?: AppOptions['onRoute'] } = {},
): Promise<TestService> {
  const dataDir = options.dataDir ?? makeDataDir();
  const config = loadConfig(testEnv(dataDir, options.env));
  const services = await createServices(config);
  const app = await buildApp({ services, onRoute: options.onRoute });
  const stop = async () => {
    await app.close();
    await services.close();
  };
  return {
    app,
    services,
    dataDir,
    stop,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
