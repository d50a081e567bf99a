/**
 * The production image's steps, run outside Docker (no engine here): a clean
 * copy of what the Dockerfile's build stage COPYs, `npm ci`, then its
 * build-and-prune RUN verbatim, then start `serve` with NODE_ENV=production.
 *
 * Two shortcuts, both about time, neither about what is tested:
 * - `npm ci --prefer-offline` reuses this machine's npm cache.
 * - `--ignore-scripts`, then better-sqlite3's compiled binary is copied from
 *   this checkout's node_modules (same Node, same platform) instead of
 *   compiling it again for two minutes; usearch loads its shipped prebuild.
 *
 * Settings: the image runs remote mode, as compose starts it: a real
 * PostgreSQL started by the test, and the Qdrant 1.19 test server.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../support/postgres.js';
import { startQdrantTestServer } from '../support/qdrant-test-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const buildStage = readFileSync(path.join(root, 'Dockerfile.production'), 'utf8').split(/^FROM /m)[1]!;

/** The sources the build stage copies from the build context (`COPY a b ./`, not `--from`). */
function buildStageSources(): string[] {
  return [...buildStage.matchAll(/^COPY (?!--)(.+)$/gm)].flatMap((match) => match[1]!.trim().split(/\s+/).slice(0, -1));
}

/** The final stage's HEALTHCHECK command (exec form), to run against the started service. */
function healthcheckCommand(): string[] {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile.production'), 'utf8').replace(/\\\n/g, ' ');
  const match = /^HEALTHCHECK .*?CMD (\[.*\])$/m.exec(dockerfile);
  assert.ok(match, 'HEALTHCHECK in exec form');
  return JSON.parse(match[1]!) as string[];
}

function healthcheckExitCode(port: string): number | null {
  const [command, ...args] = healthcheckCommand();
  return spawnSync(command === 'node' ? process.execPath : command!, args, { env: { PATH: process.env.PATH ?? '', PORT: port }, timeout: 10_000 }).status;
}

/** The build stage's RUN that builds and prunes, continuation lines joined: run here verbatim. */
function buildAndPruneCommand(): string {
  const runs = [...buildStage.replace(/\\\n/g, ' ').matchAll(/^RUN (.+)$/gm)].map((match) => match[1]!);
  const command = runs.find((run) => run.includes('npm run build'));
  assert.ok(command && command.includes('npm prune --omit=dev'), `the build stage builds and prunes: ${runs.join(' | ')}`);
  return command;
}

function run(command: string, args: string[], cwd: string): void {
  // Bounded: a step that never returns must fail the test (and let it stop its servers), not hang the run.
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 150_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
  });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${result.stderr}\n${result.stdout}`);
}

test('clean copy -> npm ci -> build -> prune --omit=dev -> serve with NODE_ENV=production: /ready is 200', { timeout: 240_000 }, async () => {
  const app = mkdtempSync(path.join(tmpdir(), 'ims-image-'));
  const dataDir = path.join(app, 'data');
  const qdrant = await startQdrantTestServer({ apiKey: 'image-test-key' });
  const postgres = await startPostgres();
  try {
    const databaseUrl = await postgres.createDatabase('image');
    const sources = buildStageSources();
    assert.ok(sources.includes('package-lock.json') && sources.includes('src'), `the build stage copies ${sources.join(', ')}`);
    for (const source of sources) cpSync(path.join(root, source), path.join(app, source), { recursive: true });

    run('npm', ['ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
    const binary = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    mkdirSync(path.dirname(path.join(app, binary)), { recursive: true });
    cpSync(path.join(root, binary), path.join(app, binary));
    run('sh', ['-c', buildAndPruneCommand()], app);

    for (const devOnly of ['typescript', 'tsx', 'playwright-core', 'autocannon', '@types/node']) {
      assert.ok(!existsSync(path.join(app, 'node_modules', devOnly)), `${devOnly} pruned`);
    }
    for (const runtime of ['fastify', 'prom-client', 'better-sqlite3', '@qdrant/js-client-rest']) {
      assert.ok(existsSync(path.join(app, 'node_modules', runtime)), `${runtime} kept`);
    }

    const child = spawn(process.execPath, ['dist/cli/main.js', 'serve'], {
      cwd: app,
      // Only what the image sets and compose passes: nothing inherited from the test runner (no tsx loader).
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dataDir,
        IN_MEMORIA_STORAGE_MODE: 'remote',
        DATABASE_URL: databaseUrl,
        QDRANT_URL: qdrant.url,
        QDRANT_API_KEY: 'image-test-key',
        TRUST_PROXY: '127.0.0.1',
        STORAGE_API_KEYS: 'image-admin-key-0123456789abcdef:admin',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let port = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    try {
      const startedAt = Date.now();
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match) {
            clearInterval(timer);
            resolve(match[1]!);
          } else if (child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`serve exited ${child.exitCode}: ${output}`));
          } else if (Date.now() - startedAt > 60_000) {
            clearInterval(timer);
            reject(new Error(`serve did not listen within 60 s: ${output}`));
          }
        }, 50);
      });
      port = new URL(url).port;
      assert.match(output, /environment production, mode remote, relational postgres, vectors qdrant/);

      const ready = await fetch(`${url}/ready`);
      const body = (await ready.json()) as { status: string; providers: Array<{ name: string; provider: string; ok: boolean }> };
      assert.equal(ready.status, 200, JSON.stringify(body));
      assert.deepEqual(
        body.providers.map((provider) => [provider.name, provider.provider, provider.ok]),
        [
          ['relational', 'postgres', true],
          ['vectors', 'qdrant', true],
        ],
      );
      const put = await fetch(`${url}/v1/projects/image/collections/code/documents/a`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: 'Bearer image-admin-key-0123456789abcdef' },
        body: JSON.stringify({ content: 'export function loadUser() {}' }),
      });
      assert.equal(put.status, 200, await put.text());
      const anonymous = await fetch(`${url}/v1/projects/image/collections/code/documents/a`);
      assert.equal(anonymous.status, 401, 'production answers nothing without a key');
      assert.equal((await fetch(`${url}/metrics`)).status, 200);
      assert.equal(healthcheckExitCode(port), 0, "the image's HEALTHCHECK passes");
      assert.ok(!output.includes('image-test-key') && !output.includes('image-admin-key'), 'no secret logged');
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
    assert.equal(child.exitCode, 0, `graceful exit: ${output.slice(-500)}`);
    assert.equal(healthcheckExitCode(port), 1, 'and fails once the service is gone');
    assert.deepEqual(qdrant.invalid(), []);
  } finally {
    postgres.destroy();
    await qdrant.stop();
    rmSync(app, { recursive: true, force: true });
  }
});
