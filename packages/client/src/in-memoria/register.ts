/**
 * `node --import @in-memoria-storage/client/in-memoria dist/index.js ...`:
 * In-Memoria's storage served by the storage service. Checks the settings and
 * that the service answers to the key before In-Memoria starts; any problem is
 * one line on stderr and a non-zero exit (2 for a missing or malformed
 * setting, 1 for a service that cannot be used), never a fallback to local
 * files. A key without the project stops the process the same way when
 * In-Memoria opens that project's database.
 */
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { StorageClient } from '../client.js';
import { StorageError } from '../errors.js';
import { BridgeSettingsError, accessProblem, fatal, readSettings, type BridgeSettings } from './settings.js';

/**
 * The service answers, and to this key: the project itself is checked when In-Memoria opens its
 * database (its folder names the project), unless IN_MEMORIA_STORAGE_PROJECT names it now.
 */
async function checkService(settings: BridgeSettings): Promise<void> {
  const client = new StorageClient({ baseUrl: settings.url, apiKey: settings.apiKey, timeoutMs: 10_000, retries: 1 });
  const projectId = settings.project;
  try {
    await (projectId ? client.projects.get(projectId) : client.projects.list({ limit: 1 }));
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    const problem = accessProblem(error, settings, projectId ?? '');
    if (problem) fatal(problem, 1);
  }
}

// The bridge's own worker threads load nothing of this.
if (isMainThread) {
  let settings: BridgeSettings;
  try {
    settings = readSettings();
  } catch (error) {
    if (error instanceof BridgeSettingsError) fatal(error.message, 2);
    throw error;
  }
  await checkService(settings);
  register('./hooks.js', import.meta.url);
}
