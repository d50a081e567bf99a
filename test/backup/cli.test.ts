/** The export, import and migrate commands, run as the real CLI in child processes. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { verificationReport } from '../../src/cli/backup.js';
import { makeDataDir, startTestService, testEnv } from '../support/app.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { startQdrantTestServer, type QdrantTestServer } from '../support/qdrant-test-server.js';
import { contentOf, seed, trailerOf } from './support.js';

const run = promisify(execFile);
const main = path.resolve('src/cli/main.ts');

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', main, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let postgres: TestPostgres;
let qdrant: QdrantTestServer;
let sourceDir: string;

before(async () => {
  [postgres, qdrant] = await Promise.all([startPostgres(), startQdrantTestServer()]);
  sourceDir = makeDataDir();
  const source = await startTestService({ dataDir: sourceDir });
  await seed(source.services);
  await source.stop();
});
after(async () => {
  await qdrant?.stop();
  postgres?.destroy();
});

test('export to a file, import it elsewhere: the same content; a cut file fails naming its last line', async () => {
  const work = makeDataDir();
  const backup = path.join(work, 'backup.ndjson');
  const exported = await cli(['export', '--output', backup, '--project', 'alpha'], testEnv(sourceDir));
  assert.equal(exported.code, 0, exported.stderr);
  assert.ok(!existsSync(`${backup}.partial`));
  assert.equal(statSync(backup).mode & 0o777, 0o600, 'only its owner may read a backup of every tenant');
  assert.match(exported.stderr, /export: \d+\/\d+/, 'plain progress lines when stderr is not a terminal');
  const text = readFileSync(backup, 'utf8');
  assert.deepEqual(
    Object.keys(trailerOf(text).summary).filter((key) => key.startsWith('beta')),
    [],
  );

  const targetDir = makeDataDir();
  const imported = await cli(['import', '--input', backup], testEnv(targetDir));
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(JSON.parse(imported.stdout).documents, 12);
  const again = await cli(['export', '--output', '-'], testEnv(targetDir));
  assert.deepEqual(contentOf(again.stdout), contentOf(text));

  const cut = path.join(work, 'cut.ndjson');
  writeFileSync(cut, text.slice(0, Math.floor(text.length / 2)));
  const failed = await cli(['import', '--input', cut], testEnv(makeDataDir()));
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /BACKUP_TRUNCATED: the backup stops after line \d+ \(the last complete line\)/);
});

test('migrate from SQLite + embedded to PostgreSQL + Qdrant verifies counts and checksums', async () => {
  const work = makeDataDir();
  const from = path.join(work, 'from.env');
  const to = path.join(work, 'to.env');
  writeFileSync(from, `# local\nNODE_ENV=test\nIN_MEMORIA_STORAGE_MODE=local\nDATA_DIR=${sourceDir}\nLOG_LEVEL=silent\n`);
  const databaseUrl = await postgres.createDatabase('migrated');
  writeFileSync(
    to,
    `NODE_ENV=test\nIN_MEMORIA_STORAGE_MODE=remote\nDATABASE_URL="${databaseUrl}"\nQDRANT_URL=${qdrant.url}\nLOG_LEVEL=silent\nDATA_DIR=${work}\n`,
  );
  const migrated = await cli(['migrate', '--from', from, '--to', to], {});
  assert.equal(migrated.code, 0, migrated.stderr + migrated.stdout);
  assert.match(migrated.stdout, /alpha\/concepts\s+3 [0-9a-f]{16}\s+3 [0-9a-f]{16}\s+ok/);
  assert.match(migrated.stdout, /beta\/collections\/code\s+12 .* ok/);
  assert.match(migrated.stdout, /verified: \d+ keys, counts and checksums equal/);

  // Migrating back again is idempotent and verifies too.
  const back = await cli(['migrate', '--from', to, '--to', from], {});
  assert.equal(back.code, 0, back.stderr + back.stdout);
});

test('the verification report marks every key that differs', () => {
  const source = { 'a/concepts': { count: 3, checksum: '00000000000000aa' }, 'a/collections/code': { count: 2, checksum: '00000000000000bb' } };
  const target = { 'a/concepts': { count: 3, checksum: '00000000000000ab' } };
  const { text, differing } = verificationReport(source, target);
  assert.equal(differing, 2);
  assert.match(text, /a\/concepts .* DIFFERS/);
  assert.match(text, /FAILED: 2 of 2 keys differ/);
});
