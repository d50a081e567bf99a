/**
 * What users install: `npm pack -w @in-memoria-storage/client` (after the
 * build `npm test` runs first), installed alone into an empty folder from
 * npm's cache. It brings none of the server's dependencies, its typed client
 * loads, and its bin explains what is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

// Without the node_modules/.bin folders npm puts on PATH for its scripts: this checkout's `in-memoria` is not the user's.
const PATH = (process.env.PATH ?? '')
  .split(path.delimiter)
  .filter((entry) => !entry.includes('node_modules'))
  .join(path.delimiter);

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { PATH, HOME: process.env.HOME ?? '/root', ...env }, timeout: 120_000 });
}

test('the packed client installs without the server, loads, and its bin needs only its settings and In-Memoria', { timeout: 180_000 }, () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'ims-client-pack-'));
  try {
    const pack = run('npm', ['pack', '-w', '@in-memoria-storage/client', '--pack-destination', folder, '--json'], root);
    assert.equal(pack.status, 0, pack.stderr);
    const [packResult] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    assert.ok(packResult, pack.stdout);
    const { filename, files } = packResult;
    const packed = files.map((file) => file.path);
    assert.ok(packed.includes('dist/packages/client/src/in-memoria/bin.js') && packed.includes('dist/packages/client/src/index.d.ts'), packed.join('\n'));
    assert.ok(
      packed.every((file) => file === 'package.json' || file.startsWith('dist/')),
      'only the build and the manifest',
    );

    const app = path.join(folder, 'app');
    run('mkdir', ['-p', app], folder);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const install = run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(folder, filename)], app);
    assert.equal(install.status, 0, install.stderr);
    const installed = readdirSync(path.join(app, 'node_modules')).flatMap((name) =>
      name.startsWith('@') ? readdirSync(path.join(app, 'node_modules', name)).map((scoped) => `${name}/${scoped}`) : [name],
    );
    for (const server of ['better-sqlite3', 'usearch', 'pg', 'fastify', 'openai', '@qdrant/js-client-rest', 'pino']) {
      assert.ok(!installed.includes(server), `${server} is not installed with the client: ${installed.join(', ')}`);
    }
    assert.ok(installed.length <= 8, `a light install: ${installed.join(', ')}`);

    const load = run(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('@in-memoria-storage/client'); console.log(typeof m.StorageClient, typeof m.RemoteSQLiteDatabase)"],
      app,
    );
    assert.equal(load.stdout.trim(), 'function function', load.stderr);

    const bin = path.join(app, 'node_modules', '.bin', 'in-memoria-remote');
    assert.ok(existsSync(bin));
    const withoutInMemoria = run(bin, ['learn', '.'], app, { IN_MEMORIA_STORAGE_URL: 'http://127.0.0.1:1' });
    assert.equal(withoutInMemoria.status, 2);
    assert.match(withoutInMemoria.stderr, /^in-memoria-remote: In-Memoria is not installed beside it nor on PATH/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
