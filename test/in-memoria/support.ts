/**
 * What the In-Memoria bridge tests share: the built client package (npm test
 * builds it first), In-Memoria as npm installed it, a real service in a child
 * process, and work folders outside any directory named `tmp` (In-Memoria's
 * file walk skips such paths).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { makeDataDir } from '../support/app.js';
import { startChildService, type ChildService } from '../support/child-service.js';

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
/** In-Memoria as its users install it (npm install's postinstall puts it here), with the packed client beside it. */
export const installation = path.join(repositoryRoot, 'test/in-memoria/installation');
export const inMemoriaDirectory = path.join(installation, 'node_modules/in-memoria');
assert.ok(existsSync(path.join(inMemoriaDirectory, 'dist/index.js')), `In-Memoria is installed in ${installation} (npm install does it)`);
const clientBuild = path.join(repositoryRoot, 'packages/client/dist/packages/client/src/in-memoria');
assert.ok(existsSync(path.join(clientBuild, 'bin.js')), `the client package is built (npm run build -w @in-memoria-storage/client): ${clientBuild}`);
/** The facades, for tests that call them directly: the build in this checkout. */
export const facadeModules = { database: path.join(clientBuild, 'sqlite-db.js'), vectors: path.join(clientBuild, 'vector-db.js') };

const installedBridge = path.join(installation, 'node_modules/@in-memoria-storage/client/dist/packages/client/src/in-memoria');
/** The `in-memoria-remote` bin, as npm links it beside In-Memoria. */
export const bridgeBin = path.join(installation, 'node_modules/.bin/in-memoria-remote');
/** For `node --import`. */
export const bridgeRegister = pathToFileURL(path.join(installedBridge, 'register.js')).href;

/**
 * Packs the client (`npm pack -w @in-memoria-storage/client`) and installs the tarball beside
 * In-Memoria, from npm's cache, as a user would: the tests run what users install.
 */
export function installPackedClient(): void {
  const folder = mkdtempSync(path.join(tmpdir(), 'ims-client-tarball-'));
  try {
    const pack = spawnSync('npm', ['pack', '-w', '@in-memoria-storage/client', '--pack-destination', folder, '--loglevel=error'], {
      cwd: repositoryRoot,
      encoding: 'utf8',
    });
    assert.equal(pack.status, 0, pack.stderr);
    const tarball = path.join(folder, pack.stdout.trim().split('\n').pop()!);
    const install = spawnSync('npm', ['install', '--offline', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
      cwd: installation,
      encoding: 'utf8',
    });
    assert.equal(install.status, 0, install.stderr);
    assert.ok(existsSync(bridgeBin) && existsSync(inMemoriaDirectory), 'the bridge is installed beside In-Memoria');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

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
export function runBridge(args: string[], cwd: string, env: Record<string, string>, bin = bridgeBin): Run {
  const child = spawn(bin, args, {
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
        child.once('exit', () =>
          setImmediate(() => (pattern.test(run.stdout) ? resolve() : reject(new Error(`exited before ${pattern}:\n${run.stdout}\n${run.stderr}`)))),
        );
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
export async function learn(checkout: string, env: Record<string, string>, bin = bridgeBin): Promise<{ run: Run; exit: number | string }> {
  const run = runBridge(['learn', checkout], checkout, env, bin);
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

/** In-Memoria's MCP server (`in-memoria-remote server`) in `cwd`, connected over stdio, and its stderr so far. */
export async function connectMcpServer(cwd: string, env: Record<string, string>, bin = bridgeBin): Promise<{ client: Client; log: () => string }> {
  const transport = new StdioClientTransport({
    command: bin,
    args: ['server'],
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? homedir(), ...env },
    stderr: 'pipe',
  });
  let log = '';
  transport.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const client = new Client({ name: 'in-memoria-storage-tests', version: '1.0.0' });
  await client.connect(transport);
  return { client, log: () => log };
}

/** A tool's JSON answer (In-Memoria answers one text part holding JSON). */
export async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const result = (await client.callTool({ name, arguments: args })) as { content: Array<{ type: string; text: string }>; isError?: boolean };
  assert.notEqual(result.isError, true, `${name}: ${JSON.stringify(result)}`);
  return JSON.parse(result.content[0]!.text) as Record<string, any>;
}
