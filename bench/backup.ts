/**
 * Backup benchmark: 100,000 concepts plus 100,000 vectors (384 dimensions) in
 * local mode (SQLite + embedded), then the built CLI, each run in its own process:
 *
 *   export --output FILE           rows/s, vectors/s, peak RSS (goal <= 200 MB)
 *   import --input FILE            into PostgreSQL + embedded: rows/s, vectors/s
 *   migrate --from local --to pg   the whole copy plus its verification (goal <= 60 s)
 *
 *   npx tsx bench/backup.ts        (also: npm run bench:backup; part of npm run bench)
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createServices } from '../src/services.js';
import { startPostgres } from '../test/support/postgres.js';
import { benchConcept, table } from './support.js';

const ROWS = 100_000;
const VECTORS = 100_000;
const DIMENSIONS = 384;
const PROJECT = 'bench';

/** A concept with fixed timestamps (written with keepTimestamps, so export and import compare them too). */
function concept(index: number): Record<string, unknown> {
  return { ...benchConcept(index), evolutionHistory: {}, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z' };
}

function vector(seed: number): Float32Array {
  const values = new Float32Array(DIMENSIONS);
  let state = seed + 1;
  let norm = 0;
  for (let index = 0; index < DIMENSIONS; index++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    values[index] = state / 2147483648 - 0.5;
    norm += values[index]! * values[index]!;
  }
  for (let index = 0; index < DIMENSIONS; index++) values[index]! /= Math.sqrt(norm);
  return values;
}

async function seed(dataDir: string, env: Record<string, string>): Promise<void> {
  const services = await createServices(loadConfig({ ...env, DATA_DIR: dataDir }));
  try {
    for (let start = 0; start < ROWS; start += 5000) {
      await services.relational.batch(
        'concepts',
        PROJECT,
        Array.from({ length: 5000 }, (_unused, offset) => concept(start + offset)),
        { keepTimestamps: true },
      );
    }
    await services.vectors.importCollection(PROJECT, 'code', { dimensions: DIMENSIONS, model: services.embedder.model });
    for (let start = 0; start < VECTORS; start += 1000) {
      await services.vectors.importDocuments(
        PROJECT,
        'code',
        Array.from({ length: 1000 }, (_unused, offset) => {
          const index = start + offset;
          return {
            id: `chunk_${index}`,
            content: `export function handler${index}() { return load(${index}); }`,
            metadata: { filePath: `src/file${index % 2000}.ts`, language: 'typescript', lineCount: index % 80 },
            vector: vector(index),
          };
        }),
      );
    }
  } finally {
    await services.close();
  }
}

/** Runs the built CLI; answers its wall time, peak RSS and stdout. */
async function cli(args: string[], env: Record<string, string>): Promise<{ seconds: number; peakRssMb: number; stdout: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', './bench/report-rss.mjs', 'dist/cli/main.js', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number];
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}\n${stderr}\n${stdout}`);
  const rss = /PEAK_RSS_KB=(\d+)/.exec(stderr);
  return { seconds, peakRssMb: rss ? Number(rss[1]) / 1024 : NaN, stdout };
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);

async function main(): Promise<void> {
  if (!process.argv.includes('--no-build')) {
    console.error('building the service (npm run build)...');
    execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  }
  const work = mkdtempSync(path.join(tmpdir(), 'ims-bench-backup-'));
  const postgres = await startPostgres();
  try {
    const local = { NODE_ENV: 'test', IN_MEMORIA_STORAGE_MODE: 'local', EMBEDDING_PROVIDER: 'local', LOG_LEVEL: 'warn' };
    const sourceDir = path.join(work, 'source');
    console.error(`seeding ${ROWS} concepts and ${VECTORS} vectors...`);
    await seed(sourceDir, local);

    const file = path.join(work, 'backup.ndjson');
    console.error('export...');
    const exported = await cli(['export', '--output', file], { ...local, DATA_DIR: sourceDir });
    // The same export with a small old-generation heap: shows how much of the peak is garbage V8 had no reason to collect.
    const exportedSmallHeap = await cli(['export', '--output', `${file}.2`], { ...local, DATA_DIR: sourceDir, NODE_OPTIONS: '--max-old-space-size=64' });
    const baseline = await cli(['export', '--output', `${file}.3`, '--project', 'none'], { ...local, DATA_DIR: sourceDir });

    const pgEnv = (database: string, dir: string) => ({
      ...local,
      IN_MEMORIA_STORAGE_MODE: 'hybrid',
      RELATIONAL_PROVIDER: 'postgres',
      VECTOR_PROVIDER: 'embedded',
      DATABASE_URL: database,
      DATA_DIR: dir,
      POSTGRES_TIMEOUT: '60000',
    });
    console.error('import into PostgreSQL + embedded...');
    const imported = await cli(['import', '--input', file], pgEnv(await postgres.createDatabase('bench_import'), path.join(work, 'import')));

    const from = path.join(work, 'from.env');
    const to = path.join(work, 'to.env');
    writeFileSync(
      from,
      Object.entries({ ...local, DATA_DIR: sourceDir })
        .map(([key, value]) => `${key}=${value}`)
        .join('\n'),
    );
    writeFileSync(
      to,
      Object.entries(pgEnv(await postgres.createDatabase('bench_migrate'), path.join(work, 'migrate')))
        .map(([key, value]) => `${key}=${value}`)
        .join('\n'),
    );
    console.error('migrate SQLite + embedded -> PostgreSQL + embedded...');
    const migrated = await cli(['migrate', '--from', from, '--to', to], {});
    if (!/verified:/.test(migrated.stdout)) throw new Error(`migration not verified:\n${migrated.stdout}`);

    const sizeMb = statSync(file).size / 1024 / 1024;
    console.log(`\n## Backup (${ROWS} concepts + ${VECTORS} vectors of ${DIMENSIONS} dimensions; backup file ${fixed(sizeMb)} MB)\n`);
    console.log(
      table([
        {
          run: 'export (SQLite + embedded -> file)',
          seconds: fixed(exported.seconds, 1),
          'rows/s': fixed(ROWS / exported.seconds),
          'vectors/s': fixed(VECTORS / exported.seconds),
          'peak RSS MB': fixed(exported.peakRssMb),
          goal: 'RSS <= 200 MB',
        },
        {
          run: 'export, NODE_OPTIONS=--max-old-space-size=64',
          seconds: fixed(exportedSmallHeap.seconds, 1),
          'rows/s': fixed(ROWS / exportedSmallHeap.seconds),
          'vectors/s': fixed(VECTORS / exportedSmallHeap.seconds),
          'peak RSS MB': fixed(exportedSmallHeap.peakRssMb),
          goal: 'RSS <= 200 MB',
        },
        {
          run: 'baseline: the CLI with the stores open, nothing exported',
          seconds: fixed(baseline.seconds, 1),
          'rows/s': '',
          'vectors/s': '',
          'peak RSS MB': fixed(baseline.peakRssMb),
          goal: '',
        },
        {
          run: 'import (file -> PostgreSQL + embedded)',
          seconds: fixed(imported.seconds, 1),
          'rows/s': fixed(ROWS / imported.seconds),
          'vectors/s': fixed(VECTORS / imported.seconds),
          'peak RSS MB': fixed(imported.peakRssMb),
          goal: '',
        },
        {
          run: 'migrate + verify (SQLite + embedded -> PostgreSQL + embedded)',
          seconds: fixed(migrated.seconds, 1),
          'rows/s': fixed(ROWS / migrated.seconds),
          'vectors/s': fixed(VECTORS / migrated.seconds),
          'peak RSS MB': fixed(migrated.peakRssMb),
          goal: '<= 60 s',
        },
      ]),
    );
    console.log('\nSeconds are wall time of the whole CLI process (start-up, opening the stores, closing them) on one run.');
  } finally {
    postgres.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
