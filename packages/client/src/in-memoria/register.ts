/**
 * `node --import @in-memoria-storage/client/in-memoria dist/index.js ...`:
 * In-Memoria's storage served by the storage service. Checks the settings and
 * that the service answers to the key before In-Memoria starts; any problem is
 * one line on stderr and a non-zero exit (2 for a missing or malformed
 * setting, 1 for a service that cannot be used), never a fallback to local files.
 */
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { StorageClient } from '../client.js';
import { StorageError } from '../errors.js';
import { BridgeSettingsError, accessProblem, databaseDirectory, projectFor, readSettings, type BridgeSettings } from './settings.js';

function fail(message: string, code: number): never {
  process.stderr.write(`in-memoria-remote: ${message}\n`);
  process.exit(code);
}

/** The project In-Memoria's default database (`./in-memoria.db`) maps to, checked once with a read. */
async function checkService(settings: BridgeSettings): Promise<void> {
  const projectId = projectFor(databaseDirectory(undefined), settings);
  const client = new StorageClient({ baseUrl: settings.url, apiKey: settings.apiKey, timeoutMs: 10_000, retries: 1 });
  try {
    await client.projects.get(projectId);
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    const problem = accessProblem(error, settings, projectId);
    if (problem) fail(problem, 1);
  }
}

// The bridge's own worker threads load nothing of this.
if (isMainThread) {
  let settings: BridgeSettings;
  try {
    settings = readSettings();
  } catch (error) {
    if (error instanceof BridgeSettingsError) fail(error.message, 2);
    throw error;
  }
  await checkService(settings);
  register('./hooks.js', import.meta.url);
}
