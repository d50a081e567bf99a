/**
 * What the In-Memoria bridge tests share: the built client package (npm test
 * builds it first), In-Memoria as npm installed it, a real service in a child
 * process, and work folders outside any directory named `tmp` (In-Memoria's
 * file walk skips such paths).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeDataDir } from '../support/app.js';
import { startChildService, type ChildService } from '../support/child-service.js';

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const bridgeBuild = path.join(repositoryRoot, 'packages/client/dist/packages/client/src/in-memoria');
/** The `in-memoria-remote` bin, as npm links it. */
export const bridgeBin = path.join(bridgeBuild, 'bin.js');
/** For `node --import`. */
export const bridgeRegister = pathToFileURL(path.join(bridgeBuild, 'register.js')).href;
/** The facades, for tests that call them directly. */
export const facadeModules = { database: path.join(bridgeBuild, 'sqlite-db.js'), vectors: path.join(bridgeBuild, 'vector-db.js') };
assert.ok(existsSync(bridgeBin), `the client package is built (npm run build -w @in-memoria-storage/client): ${bridgeBin}`);

export const inMemoriaDirectory = path.dirname(createRequire(import.meta.url).resolve('in-memoria/package.json'));

export const KEYS = { writer: 'bridge-writer-key-0123456789', other: 'bridge-other-project-key-01' };

/** A local-mode service with a write key for every project and one limited to `elsewhere`. */
export async function startBridgeService(): Promise<ChildService & { dataDir: string; close(): Promise<void> }> {
  const dataDir = makeDataDir();
  const service = await startChildService({
    DATA_DIR: dataDir,
    IN_MEMORIA_STORAGE_MODE: 'local',
    STORAGE_API_KEYS: `${KEYS.writer}:write,${KEYS.other}:write:elsewhere`,
    RATE_LIMIT_MAX: '0',
  });
  return Object.assign(service, {
    dataDir,
    async close() {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** A folder for checkouts: under the home directory, never under a `tmp` directory. */
export function makeWorkDirectory(): string {
  const base = path.join(homedir(), 'in-memoria-storage-tests');
  mkdirSync(base, { recursive: true });
  const directory = mkdtempSync(path.join(base, 'work-'));
  assert.ok(!directory.split(path.sep).includes('tmp'), `${directory} has no tmp segment`);
  return directory;
}

/** A checkout of a real codebase the project did not write: Fastify's own JavaScript sources, as npm installed them. */
export function makeCheckout(parent: string, name = 'fastify-app'): string {
  const checkout = path.join(parent, name);
  const fastify = path.dirname(createRequire(import.meta.url).resolve('fastify/package.json'));
  cpSync(path.join(fastify, 'lib'), path.join(checkout, 'lib'), { recursive: true });
  cpSync(path.join(fastify, 'fastify.js'), path.join(checkout, 'fastify.js'));
  return checkout;
}

export interface Run {
  process: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Resolves when stdout has a line matching. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** `in-memoria-remote ...args` in `cwd`, with the bridge settings given (nothing else of this process's environment but PATH and HOME). */
export function runBridge(args: string[], cwd: string, env: Record<string, string>): Run {
  const child = spawn(process.execPath, [bridgeBin, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? homedir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = {
    process: child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1))),
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(run.stdout)) {
            clearTimeout(timer);
            child.stdout!.off('data', check);
            resolve();
          }
        };
        const timer = setTimeout(() => reject(new Error(`no ${pattern} in ${timeoutMs} ms:\n${run.stdout}\n${run.stderr}`)), timeoutMs);
        child.stdout!.on('data', check);
        child.once('exit', () => setImmediate(() => (pattern.test(run.stdout) ? resolve() : reject(new Error(`exited before ${pattern}:\n${run.stdout}\n${run.stderr}`)))));
        check();
      });
    },
  };
  child.stdout!.on('data', (chunk: Buffer) => (run.stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (run.stderr += chunk.toString('utf8')));
  return run;
}

/**
 * `in-memoria-remote learn <checkout>` from the checkout, to the end. In-Memoria
 * 0.4.1 may stay alive after "Learning complete!" (its storage is closed by
 * then): a process still running a few seconds later gets SIGTERM.
 */
export async function learn(checkout: string, env: Record<string, string>): Promise<{ run: Run; exit: number | string }> {
  const run = runBridge(['learn', checkout], checkout, env);
  await run.waitFor(/Learning complete!/);
  if ((await exitWithin(run, 3_000)) === 'running') run.process.kill('SIGTERM');
  return { run, exit: await run.exited };
}

/** The exit code, or 'running' if the process has not exited within `ms`. */
export async function exitWithin(run: Run, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([run.exited, new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), ms)))]);
  clearTimeout(timer);
  return result;
}

export async function json<T>(url: string, key = KEYS.writer): Promise<T> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(response.status, 200, `${url}: ${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}
