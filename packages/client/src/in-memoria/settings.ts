/**
 * The bridge's settings, read from the environment once: where the service is,
 * the key, and which project and checkout root a database maps to.
 */
import path from 'node:path';
import type { StorageError } from '../errors.js';

export interface BridgeSettings {
  /** IN_MEMORIA_STORAGE_URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** IN_MEMORIA_STORAGE_API_KEY; never printed. */
  apiKey?: string;
  /** IN_MEMORIA_STORAGE_PROJECT: one project for every database the process opens. */
  project?: string;
  /** IN_MEMORIA_STORAGE_ROOT: the checkout root that paths are stored relative to. */
  root?: string;
}

/** Settings the service cannot be used with: the message is the one line users see before the process stops. */
export class BridgeSettingsError extends Error {
  override name = 'BridgeSettingsError';
}

/** Stops the process with one line on stderr: a storage that cannot be used never falls back to local files. */
export function fatal(message: string, exitCode: number): never {
  process.stderr.write(`in-memoria-remote: ${message}\n`);
  process.exit(exitCode);
}

const PROJECT_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;

export function readSettings(env: NodeJS.ProcessEnv = process.env): BridgeSettings {
  const url = env.IN_MEMORIA_STORAGE_URL?.trim();
  if (!url) {
    throw new BridgeSettingsError('IN_MEMORIA_STORAGE_URL is not set: set it to the storage service, e.g. IN_MEMORIA_STORAGE_URL=http://127.0.0.1:8080');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BridgeSettingsError(`IN_MEMORIA_STORAGE_URL is not a URL: expected http(s)://host:port`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BridgeSettingsError(`IN_MEMORIA_STORAGE_URL must be http or https, not ${parsed.protocol}`);
  }
  const project = env.IN_MEMORIA_STORAGE_PROJECT?.trim() || undefined;
  if (project !== undefined && !PROJECT_ID.test(project)) {
    throw new BridgeSettingsError(`IN_MEMORIA_STORAGE_PROJECT must match ${PROJECT_ID.source}, got "${project}"`);
  }
  const root = env.IN_MEMORIA_STORAGE_ROOT?.trim() || undefined;
  return { url, apiKey: env.IN_MEMORIA_STORAGE_API_KEY || undefined, project, root: root === undefined ? undefined : path.resolve(root) };
}

/** The directory a database file stands for: its folder (In-Memoria keeps `in-memoria.db` in the project), or the working directory for `:memory:`. */
export function databaseDirectory(dbPath: string | undefined, cwd = process.cwd()): string {
  return !dbPath || dbPath === ':memory:' ? cwd : path.dirname(path.resolve(cwd, dbPath));
}

/**
 * The project a database maps to: IN_MEMORIA_STORAGE_PROJECT, else the name of
 * the directory the database is in, lower-cased, other characters as `-`
 * (`/home/a/My App/in-memoria.db` -> `my-app`). Two checkouts of one project
 * share a directory name, so they share one memory.
 */
export function projectFor(directory: string, settings: BridgeSettings): string {
  if (settings.project) return settings.project;
  const slug = path
    .basename(directory)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 128);
  return slug || 'default';
}

/** The root paths are stored relative to: IN_MEMORIA_STORAGE_ROOT, else the database's directory. */
export function rootFor(directory: string, settings: BridgeSettings): string {
  return settings.root ?? directory;
}

/** The innermost cause's code or message: `ECONNREFUSED` rather than fetch's "fetch failed". */
function rootCause(error: unknown): string {
  let current = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  let found = String(current?.message ?? error);
  while (current) {
    if (typeof current.code === 'string' && /^E[A-Z]+$/.test(current.code)) return current.code;
    if (typeof current.message === 'string' && current.message) found = current.message;
    current = current.cause as typeof current;
  }
  return found;
}

/**
 * Why the service cannot be used with these settings, in one line, or
 * undefined when it answered and may be used (an absent project is fine).
 */
export function accessProblem(error: StorageError, settings: BridgeSettings, projectId: string): string | undefined {
  if (error.status === 404) return undefined;
  if (error.status === 401) return `the storage service at ${settings.url} refused the key (401 ${error.code}): check IN_MEMORIA_STORAGE_API_KEY`;
  if (error.status === 403) return `the key may not use project "${projectId}" (403 ${error.code}): use a key for it, or set IN_MEMORIA_STORAGE_PROJECT`;
  if (error.status === undefined) return `cannot reach the storage service at ${settings.url} (${rootCause(error)})`;
  return `the storage service at ${settings.url} answered ${error.status} ${error.code}: ${error.message}`;
}
