/**
 * The bridge fails loudly: a missing setting, a wrong key, a key limited to
 * another project, an unreachable service, a service stopped mid-learn. Each
 * is a line naming the cause on stderr and a non-zero exit, and never a local
 * in-memoria.db in its place.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../support/ports.js';
import { KEYS, exitWithin, installPackedClient, makeCheckout, makeWorkDirectory, runBridge, startBridgeService } from './support.js';

let service: Awaited<ReturnType<typeof startBridgeService>>;
let work: string;
let checkout: string;
before(async () => {
  installPackedClient();
  service = await startBridgeService();
  work = makeWorkDirectory();
  checkout = makeCheckout(work);
});
after(async () => {
  await service.close();
  rmSync(work, { recursive: true, force: true });
});

/** The bridge's own lines on stderr. */
const bridgeLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('in-memoria-remote: '));

/**
 * The learn stops with `code` and one bridge line matching `pattern`, having stored nothing anywhere.
 * `stage`: the bridge stops before In-Memoria starts, or when In-Memoria opens its database (the
 * project comes from the database's folder, so a key without it is found out there).
 */
async function refused(
  env: Record<string, string>,
  code: number,
  pattern: RegExp,
  stage: 'before In-Memoria' | 'at open' = 'before In-Memoria',
): Promise<void> {
  const run = runBridge(['learn', checkout], checkout, env);
  assert.equal(await run.exited, code, run.stderr);
  const lines = bridgeLines(run.stderr);
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, pattern);
  if (stage === 'before In-Memoria') assert.doesNotMatch(run.stdout, /Learning from codebase/, 'In-Memoria did not start');
  else assert.doesNotMatch(run.stdout, /Extracting semantic concepts/, 'In-Memoria stopped at its database');
  assert.equal(existsSync(path.join(checkout, 'in-memoria.db')), false, 'no fallback to a local file');
}

test('no IN_MEMORIA_STORAGE_URL: exit 2 saying so', async () => {
  await refused({}, 2, /IN_MEMORIA_STORAGE_URL is not set/);
  await refused({ IN_MEMORIA_STORAGE_URL: 'not a url' }, 2, /IN_MEMORIA_STORAGE_URL is not a URL/);
  await refused({ IN_MEMORIA_STORAGE_URL: service.url, IN_MEMORIA_STORAGE_PROJECT: 'Bad Name' }, 2, /IN_MEMORIA_STORAGE_PROJECT must match/);
});

test('a wrong key, a key for another project, a service that does not answer: exit 1 naming the cause, the key never printed', async () => {
  await refused(
    { IN_MEMORIA_STORAGE_URL: service.url, IN_MEMORIA_STORAGE_API_KEY: 'wrong-key-0123456789abcdef' },
    1,
    /refused the key \(401 UNAUTHORIZED\): check IN_MEMORIA_STORAGE_API_KEY/,
  );
  await refused(
    { IN_MEMORIA_STORAGE_URL: service.url, IN_MEMORIA_STORAGE_API_KEY: KEYS.other },
    1,
    /may not use project "fastify-app" \(403 FORBIDDEN\)/,
    'at open',
  );
  await refused(
    { IN_MEMORIA_STORAGE_URL: service.url, IN_MEMORIA_STORAGE_API_KEY: KEYS.other, IN_MEMORIA_STORAGE_PROJECT: 'fastify-app' },
    1,
    /may not use project "fastify-app" \(403 FORBIDDEN\)/,
  );
  const projects = await fetch(`${service.url}/v1/projects`, { headers: { authorization: `Bearer ${KEYS.writer}` } });
  assert.deepEqual(((await projects.json()) as { items: unknown[] }).items, [], 'nothing was written for any project');
  const closed = await freePort();
  await refused(
    { IN_MEMORIA_STORAGE_URL: `http://127.0.0.1:${closed}`, IN_MEMORIA_STORAGE_API_KEY: KEYS.writer },
    1,
    new RegExp(`cannot reach the storage service at http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\)`),
  );
  const run = runBridge(['learn', checkout], checkout, { IN_MEMORIA_STORAGE_URL: service.url, IN_MEMORIA_STORAGE_API_KEY: 'wrong-key-0123456789abcdef' });
  await run.exited;
  assert.doesNotMatch(run.stdout + run.stderr, /wrong-key-0123456789abcdef/);
});

test('the service stopped mid-learn: the learn exits non-zero and says what was not stored', { timeout: 120_000 }, async () => {
  const doomed = await startBridgeService();
  try {
    const run = runBridge(['learn', checkout], checkout, { IN_MEMORIA_STORAGE_URL: doomed.url, IN_MEMORIA_STORAGE_API_KEY: KEYS.writer });
    await run.waitFor(/Extracting semantic concepts/);
    await doomed.stop('SIGKILL');
    const exit = await exitWithin(run, 60_000);
    if (exit === 'running') run.process.kill('SIGKILL');
    assert.notEqual(exit, 'running', `the learn ended by itself:\n${run.stdout}\n${run.stderr}`);
    assert.notEqual(exit, 0, `non-zero exit:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /in-memoria-remote: \d+ writes were not stored: the storage service is unreachable/);
    assert.equal(existsSync(path.join(checkout, 'in-memoria.db')), false, 'no fallback to a local file');
  } finally {
    await doomed.close();
  }
});
