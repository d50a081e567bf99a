/**
 * PostgreSQL benchmark: the built service in hybrid mode (PostgreSQL relational
 * store, embedded vectors) over real HTTP, against a throw-away PostgreSQL server
 * it starts itself, compared with a bare Fastify hello-world route.
 *
 *   npx tsx bench/postgres.ts            (also: npm run bench:postgres)
 *
 * Figures: hello-world req/s; GET concept by id req/s and its ratio to hello-world
 * (goal >= 50%); batch upsert of 100,000 concepts in batches of 1,000 (goal
 * >= 20,000 rows/s), one client and four; name search (`q`) latency at 100,000 rows.
 * For scale, GET by id on the same service over SQLite (local mode) is measured too:
 * it is the ceiling of the HTTP stack with an in-process database.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { startPostgres } from '../test/support/postgres.js';
import { authHeaders, benchConcept, jsonHeaders, load, npmStartEnv, productionEnv, startChild, type Child } from './support.js';

const ROWS = 100_000;
const BATCH = 1_000;
const DURATION_SECONDS = 10;
const CONNECTIONS = 10;

async function requestsPerSecond(url: string, paths?: string[]): Promise<number> {
  const result = await load(url, { paths, seconds: DURATION_SECONDS, connections: CONNECTIONS });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result.requestsPerSecond;
}

/** Upserts ROWS concepts in batches of BATCH with `clients` requests in flight; returns rows/s. */
async function batchUpsert(url: string, project: string, clients: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const start = next;
        next += BATCH;
        if (start >= ROWS) return;
        const items = Array.from({ length: BATCH }, (_unused, offset) => benchConcept(start + offset));
        const response = await fetch(`${url}/v1/projects/${project}/concepts/batch`, { method: 'POST', headers: jsonHeaders, body: JSON.stringify({ items }) });
        if (response.status !== 200) throw new Error(`batch at ${start}: ${response.status} ${await response.text()}`);
      }
    }),
  );
  return ROWS / ((performance.now() - started) / 1000);
}

async function searchMilliseconds(url: string, project: string): Promise<number> {
  const samples = 50;
  const started = performance.now();
  for (let index = 0; index < samples; index++) {
    const response = await fetch(`${url}/v1/projects/${project}/concepts?q=${encodeURIComponent(`cept${(index * 1999) % ROWS}serv`)}&limit=10`, {
      headers: authHeaders,
    });
    if (response.status !== 200) throw new Error(`search: ${response.status}`);
    await response.arrayBuffer();
  }
  return (performance.now() - started) / samples;
}

async function main(): Promise<void> {
  console.error('building the service (npm run build)...');
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const postgres = await startPostgres();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ims-bench-'));
  const children: Child[] = [];
  try {
    const databaseUrl = await postgres.createDatabase('bench');
    const hello = await startChild(['bench/hello.mjs']);
    children.push(hello);
    const service = await startChild(
      ['dist/cli/main.js', 'serve'],
      {
        ...productionEnv,
        IN_MEMORIA_STORAGE_MODE: 'hybrid',
        RELATIONAL_PROVIDER: 'postgres',
        VECTOR_PROVIDER: 'embedded',
        DATABASE_URL: databaseUrl,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
      '/ready',
    );
    children.push(service);
    const sqlite = await startChild(
      ['dist/cli/main.js', 'serve'],
      { ...productionEnv, ...npmStartEnv, DATA_DIR: path.join(dataDir, 'sqlite'), LOG_LEVEL: 'warn' },
      '/ready',
    );
    children.push(sqlite);

    console.error(`upserting ${ROWS} concepts in batches of ${BATCH}...`);
    const upsertOne = await batchUpsert(service.url, 'bench', 1);
    const upsertFour = await batchUpsert(service.url, 'bench-4', 4);
    const search = await searchMilliseconds(service.url, 'bench');
    const sqliteRows = 10 * BATCH;
    for (let start = 0; start < sqliteRows; start += BATCH) {
      const items = Array.from({ length: BATCH }, (_unused, offset) => benchConcept(start + offset));
      await fetch(`${sqlite.url}/v1/projects/bench/concepts/batch`, { method: 'POST', headers: jsonHeaders, body: JSON.stringify({ items }) });
    }

    console.error(`measuring for ${DURATION_SECONDS} s each with ${CONNECTIONS} connections...`);
    const helloRate = await requestsPerSecond(`${hello.url}/`);
    const ids = (rows: number) => Array.from({ length: 1000 }, (_unused, request) => `/v1/projects/bench/concepts/concept_${(request * 7919) % rows}`);
    const getRate = await requestsPerSecond(service.url, ids(ROWS));
    const sqliteRate = await requestsPerSecond(sqlite.url, ids(sqliteRows));

    const ratio = getRate / helloRate;
    const met = (ok: boolean) => (ok ? 'MET' : 'MISSED');
    const lines = [
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, PostgreSQL on the same machine`,
      ['hello-world (bare Fastify)', `${helloRate.toFixed(0)} req/s`],
      ['GET concept by id, PostgreSQL', `${getRate.toFixed(0)} req/s = ${(ratio * 100).toFixed(1)}% of hello-world (goal >= 50%) ${met(ratio >= 0.5)}`],
      ['GET concept by id, SQLite', `${sqliteRate.toFixed(0)} req/s = ${((sqliteRate / helloRate) * 100).toFixed(1)}% of hello-world (for scale)`],
      ['batch upsert, 1 client', `${upsertOne.toFixed(0)} rows/s (goal >= 20,000) ${met(upsertOne >= 20_000)}`],
      ['batch upsert, 4 clients', `${upsertFour.toFixed(0)} rows/s`],
      [`name search q= at ${ROWS} rows`, `${search.toFixed(2)} ms per request (one client)`],
    ].map((line) => (typeof line === 'string' ? line : `${line[0]!.padEnd(32)}${line[1]}`));
    console.log(lines.join('\n'));
  } finally {
    for (const child of children.reverse()) await child.stop();
    postgres.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
