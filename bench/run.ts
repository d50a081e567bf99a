/**
 * `npm run bench` (first part; alone: `npm run bench:relational`): the request path (issue 16), side by side
 * in one run. A bare Fastify hello-world, the service on SQLite and the service on PostgreSQL (hybrid mode,
 * a throw-away server started here) run as child processes from dist/, all in the production configuration
 * with an API key and the per-key rate limiter on (its budget set above what the load sends, so it counts
 * every request and refuses none). The loads go in rounds, each target a few seconds right after a
 * hello-world load, and a ratio is a target's rate over that hello-world's: this VM's speed drifts by half
 * from one minute to the next, so only figures taken seconds apart compare. Medians over the rounds are reported.
 * Beside each measure runs its ceiling (bench/ceiling.ts): bare Fastify and the database driver doing the
 * same read with none of the service, and better-sqlite3 alone writing the same rows, so the table shows
 * how much of a goal the stack itself leaves on this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { startPostgres } from '../test/support/postgres.js';
import {
  jsonHeaders,
  load,
  loadGenerator,
  pinned,
  npmStartEnv,
  productionEnv,
  requestPathConcept,
  startChild,
  table,
  type Child,
  type LoadResult,
} from './support.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const BATCH = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 32;
/** The production configuration, the rate limiter included, with a budget no bench load reaches. */
const serviceEnv = { ...productionEnv, RATE_LIMIT_MAX: '1000000000', LOG_LEVEL: 'warn' };

/** Upserts ROWS concepts in batches of BATCH, `clients` requests in flight; bodies are serialised before the clock starts, so the figure is the service's. */
async function seed(url: string, project: string, clients: number): Promise<number> {
  const bodies: string[] = [];
  for (let start = 0; start < ROWS; start += BATCH) {
    bodies.push(
      JSON.stringify({ items: Array.from({ length: Math.min(BATCH, ROWS - start) }, (_unused, offset) => requestPathConcept(start + offset, ROWS)) }),
    );
  }
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const response = await fetch(`${url}/v1/projects/${project}/concepts/batch`, { method: 'POST', headers: jsonHeaders, body });
        if (response.status !== 200) throw new Error(`batch failed: ${response.status} ${await response.text()}`);
      }
    }),
  );
  return ROWS / ((performance.now() - started) / 1000);
}

interface Target {
  measure: string;
  url: string;
  paths?: string[];
  /** The least ratio to hello-world issue 16 asks for. */
  goal?: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ims-bench-'));
  const postgres = await startPostgres();
  const children: Child[] = [];
  const rows: Array<Record<string, string | number>> = [];
  try {
    const hello = await startChild(['bench/hello.mjs']);
    children.push(hello);
    const sqlite = await startChild(['dist/cli/main.js', 'serve'], { ...serviceEnv, ...npmStartEnv, DATA_DIR: path.join(dataDir, 'sqlite') }, '/ready');
    children.push(sqlite);
    const databaseUrl = await postgres.createDatabase('bench');
    const pg = await startChild(
      ['dist/cli/main.js', 'serve'],
      {
        ...serviceEnv,
        DATA_DIR: path.join(dataDir, 'pg'),
        IN_MEMORIA_STORAGE_MODE: 'hybrid',
        RELATIONAL_PROVIDER: 'postgres',
        VECTOR_PROVIDER: 'embedded',
        DATABASE_URL: databaseUrl,
      },
      '/ready',
    );
    children.push(pg);

    console.error(`upserting ${ROWS} concepts in batches of ${BATCH} into SQLite (1 client, then 2) and PostgreSQL...`);
    for (const clients of [1, 2]) {
      const rowsPerSecond = await seed(sqlite.url, clients === 1 ? 'bench' : 'bench-2', clients);
      rows.push({
        measure: `SQLite batch upsert, ${ROWS} concepts in batches of ${BATCH}, ${clients} client${clients > 1 ? 's' : ''}`,
        'req/s': `${Math.round(rowsPerSecond)} rows/s`,
        'vs hello': '-',
        'p50 ms': '-',
        'p99 ms': '-',
        goal: clients === 1 ? '>= 70,000 rows/s' : '',
      });
    }
    await seed(pg.url, 'bench', 1);
    // After the seeds: the ceiling fills its own SQLite file (the batch floor) and reads the PostgreSQL rows just written.
    const ceiling = await startChild(['--import', 'tsx', 'bench/ceiling.ts'], {
      DATA_DIR: path.join(dataDir, 'ceiling'),
      DATABASE_URL: databaseUrl,
      BENCH_ROWS: String(ROWS),
    });
    children.push(ceiling);
    const floor = ((await (await fetch(`${ceiling.url}/floor`)).json()) as { rowsPerSecond: number }).rowsPerSecond;
    rows.push({
      measure: `  ceiling: better-sqlite3 alone, the same rows and statements, 1 fsync per batch`,
      'req/s': `${Math.round(floor)} rows/s`,
      'vs hello': '-',
      'p50 ms': '-',
      'p99 ms': '-',
      goal: '',
    });

    const ids = Array.from({ length: 1000 }, (_unused, index) => `/concepts/concept_${(index * 7919) % ROWS}`);
    const lists = ['class', 'function', 'variable', 'interface'].map((type) => `/concepts?conceptType=${type}&limit=100`);
    const targets: Target[] = [
      { measure: 'hello-world (bare Fastify)', url: `${hello.url}/` },
      { measure: 'GET concept by id, SQLite', url: sqlite.url, paths: ids.map((id) => `/v1/projects/bench${id}`), goal: 0.6 },
      { measure: '  ceiling: bare Fastify + better-sqlite3, the same row', url: ceiling.url, paths: ids.map((id) => `/sqlite/bench${id}`) },
      { measure: 'GET concept by id, PostgreSQL', url: pg.url, paths: ids.map((id) => `/v1/projects/bench${id}`), goal: 0.5 },
      { measure: '  ceiling: bare Fastify + pg, the same row', url: ceiling.url, paths: ids.map((id) => `/postgres/bench${id}`) },
      { measure: 'GET filtered list of 100 concepts, SQLite', url: sqlite.url, paths: lists.map((list) => `/v1/projects/bench${list}`), goal: 0.15 },
      { measure: '  ceiling: bare Fastify + better-sqlite3, the same lists', url: ceiling.url, paths: lists.map((list) => `/sqlite/bench${list}`) },
      { measure: 'GET /health, SQLite', url: `${sqlite.url}/health`, goal: 0.85 },
    ];
    console.error(`${ROUNDS} rounds of ${targets.length - 1} pairs of loads, ${SECONDS} s each, ${CONNECTIONS} connections (${loadGenerator})...`);
    const run = async (target: Target) => {
      const result = await load(target.url, { paths: target.paths, seconds: SECONDS, connections: CONNECTIONS });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target.measure}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
      return result;
    };
    // Hello-world runs right before each target and the ratio is taken against that load: this VM's speed
    // moves within half a minute, so one hello-world load per round was a stale reference for the later targets.
    const results = targets.map(() => [] as LoadResult[]);
    const ratios = targets.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (let index = 1; index < targets.length; index++) {
        const reference = await run(targets[0]!);
        const result = await run(targets[index]!);
        results[0]!.push(reference);
        ratios[0]!.push(1);
        results[index]!.push(result);
        ratios[index]!.push(result.requestsPerSecond / reference.requestsPerSecond);
      }
    }
    for (const [index, target] of targets.entries()) {
      const runs = results[index]!;
      const ratio = median(ratios[index]!);
      rows.push({
        measure: target.measure,
        'req/s': Math.round(median(runs.map((run) => run.requestsPerSecond))),
        'vs hello': `${(100 * ratio).toFixed(1)}%`,
        'p50 ms': median(runs.map((run) => run.p50)),
        'p99 ms': median(runs.map((run) => run.p99)),
        goal: target.goal === undefined ? '' : `>= ${target.goal * 100}%: ${ratio >= target.goal ? 'met' : 'missed'}`,
      });
    }
  } finally {
    for (const child of children.reverse()) await child.stop();
    postgres.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.stdout.write(
    `\nin-memoria-storage request path: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, ${loadGenerator}${pinned ? ' on core 0, servers on core 1' : ''}, ` +
      `${ROUNDS} rounds x ${SECONDS} s per load, ${CONNECTIONS} connections; ratios (each against the hello-world load just before it) and figures are medians over the rounds\n\n${table(rows)}\n`,
  );
}

await main();
