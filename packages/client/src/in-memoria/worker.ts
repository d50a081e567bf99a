/**
 * The bridge's worker thread. In-Memoria calls its storage synchronously; the
 * facades (sqlite-db.ts, vector-db.ts) block on this worker through synckit,
 * and here the async adapters talk HTTP over kept-alive connections. Every
 * request runs one after another, background sends included, so writes reach
 * the service in the order In-Memoria made them.
 */
import { runAsWorker } from 'synckit';
import { StorageClient } from '../client.js';
import { StorageError } from '../errors.js';
import { RemoteSQLiteDatabase } from '../in-memoria.js';
import { RemoteSemanticVectorDB } from '../in-memoria-vectors.js';
import { BUFFERED_WRITES, DATABASE_METHODS, VECTOR_METHODS, defaultPatternLimit } from './methods.js';
import { rootedPaths } from './paths.js';
import { BridgeSettingsError, accessProblem, databaseDirectory, projectFor, readSettings, rootFor } from './settings.js';
import { WriteBuffer } from './write-buffer.js';

export type BridgeRequest =
  | { op: 'open-database'; dbPath?: string; cwd: string; inMemoriaVersion?: string }
  | { op: 'open-vectors'; cwd: string; collection: string }
  | { op: 'call'; handle: number; method: string; args: unknown[] }
  | { op: 'close'; handle: number }
  | { op: 'flush' }
  | { op: 'status' };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  status?: number;
}

export type BridgeReply = { ok: true; value: unknown } | { ok: false; error: SerializedError };

export interface BridgeStatus {
  /** Rows still waiting to be sent. */
  pending: number;
  /** Rows the service refused, and why. */
  refused: number;
  refusal?: string;
  /** The last failure to reach the service, if the last send failed. */
  unreachable?: string;
}

/** How long a sent row may wait for company before it goes alone. */
const SEND_DELAY_MS = 200;

const settings = readSettings();
const client = new StorageClient({ baseUrl: settings.url, apiKey: settings.apiKey, timeoutMs: 15_000, retries: 2 });
let queue: Promise<unknown> = Promise.resolve();
/** Every request and background send, one at a time. */
function exclusive<T>(work: () => Promise<T>): Promise<T> {
  const result = queue.then(work);
  queue = result.catch(() => undefined);
  return result;
}

let unreachable: string | undefined;
const buffer = new WriteBuffer(client, {
  schedule: () =>
    setTimeout(() => {
      exclusive(() => send()).catch(() => undefined);
    }, SEND_DELAY_MS),
});

async function send(): Promise<void> {
  try {
    await buffer.flush();
    unreachable = undefined;
  } catch (error) {
    if (!(error instanceof StorageError && error.status !== undefined && error.status < 500)) unreachable = (error as Error).message;
    throw error;
  }
}

interface Handle {
  target: Record<string, (...args: unknown[]) => Promise<unknown>>;
  methods: ReadonlySet<string>;
}
const handles = new Map<number, Handle>();
let nextHandle = 1;
/** The project of the database opened last: In-Memoria opens its SQLiteDatabase, then its SemanticVectorDB. */
let lastOpened: { projectId: string; root: string } | undefined;

/** Checks the service answers and the key may use the project, so a wrong setting fails at open, in one line. */
async function checkAccess(projectId: string): Promise<void> {
  try {
    await client.projects.get(projectId);
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    const problem = accessProblem(error, settings, projectId);
    if (problem) throw new BridgeSettingsError(problem);
  }
}

async function handle(request: BridgeRequest): Promise<unknown> {
  switch (request.op) {
    case 'open-database': {
      const directory = databaseDirectory(request.dbPath, request.cwd);
      const projectId = projectFor(directory, settings);
      const root = rootFor(directory, settings);
      await checkAccess(projectId);
      lastOpened = { projectId, root };
      const adapter = new RemoteSQLiteDatabase(client, projectId, {
        paths: rootedPaths(root),
        writes: buffer.entities(projectId),
        defaultPatternLimit: defaultPatternLimit(request.inMemoriaVersion),
      });
      return open(adapter, DATABASE_METHODS);
    }
    case 'open-vectors': {
      const root = lastOpened?.root ?? rootFor(request.cwd, settings);
      const projectId = lastOpened?.projectId ?? projectFor(request.cwd, settings);
      if (!lastOpened) await checkAccess(projectId);
      const adapter = new RemoteSemanticVectorDB(client, projectId, {
        collection: request.collection,
        paths: rootedPaths(root),
        writes: buffer.documents(projectId),
      });
      return open(adapter, VECTOR_METHODS);
    }
    case 'call': {
      const target = handles.get(request.handle);
      if (!target || !target.methods.has(request.method)) throw new TypeError(`no storage method ${request.method}`);
      if (!BUFFERED_WRITES.has(request.method)) await send();
      return target.target[request.method]!(...request.args);
    }
    case 'close':
      handles.delete(request.handle);
      return send();
    case 'flush':
      return send();
    case 'status':
      return { pending: buffer.pending, refused: buffer.refused, refusal: buffer.refusal, unreachable } satisfies BridgeStatus;
  }
}

function open(adapter: object, methods: readonly string[]): number {
  const id = nextHandle++;
  handles.set(id, { target: adapter as Handle['target'], methods: new Set(methods) });
  return id;
}

function serialize(error: unknown): SerializedError {
  if (error instanceof StorageError) return { name: 'StorageError', message: error.message, code: error.code, status: error.status };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

runAsWorker(async (request: BridgeRequest): Promise<BridgeReply> => {
  try {
    return { ok: true, value: await exclusive(() => handle(request)) };
  } catch (error) {
    return { ok: false, error: serialize(error) };
  }
});
