/**
 * In-Memoria 0.4.1 learning one corpus on its own SQLite file and through the
 * service (local mode, production configuration with an API key, same machine,
 * same run), alternated, three runs each:
 *
 *   in-memoria learn <corpus>          against   in-memoria-remote learn <corpus>
 *
 * Wall time is from spawn to the process's end: at "Learning complete!" the
 * learn gets SIGTERM (In-Memoria 0.4.1 may stay alive after it); its storage is
 * closed by then (the bridge has sent its buffered writes), as close() runs in
 * the same synchronous step. Also: the service requests one learn makes (the
 * service's own request counter), and the rows each stores.
 *
 * The corpus is the JavaScript and TypeScript sources of five installed
 * dependencies (fastify, pino, pg, ajv, undici), copied under the home directory
 * (In-Memoria skips any path with a directory named tmp).
 *
 *   npm run bench:in-memoria
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { bridgeBin, inMemoriaDirectory, installPackedClient } from '../test/in-memoria/support.js';
import { BENCH_API_KEY, authHeaders, npmStartEnv, productionEnv, startChild, table } from './support.js';

const RUNS = 3;
const require = createRequire(import.meta.url);
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
// In-Memoria as users install it, with the packed client beside it (as the tests install it).
const inMemoriaBin = path.join(inMemoriaDirectory, 'dist/index.js');
const SOURCES = ['fastify/lib', 'pino/lib', 'pg/lib', 'ajv/lib', 'undici/lib'];

function countFiles(directory: string): number {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((file) => /\.(js|ts)$/.test(file) && !file.endsWith('.d.ts')).length;
}

function makeCorpus(parent: string, name: string): string {
  const corpus = path.join(parent, name);
  for (const source of SOURCES) {
    const [pkg, sub] = source.split('/') as [string, string];
    cpSync(path.join(packageDir(pkg), sub), path.join(corpus, pkg, sub), { recursive: true, filter: (file) => !file.endsWith('.d.ts') });
  }
  return corpus;
}

/** Spawns a learn, SIGTERMs it at "Learning complete!", answers the wall time in ms. */
function timeLearn(args: string[], cwd: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: homedir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let complete = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (!complete && stdout.includes('Learning complete!')) {
        complete = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('exit', () => {
      if (!complete || stderr.includes('in-memoria-remote:')) reject(new Error(`learn failed:\n${stdout}\n${stderr}`));
      else resolve(performance.now() - started);
    });
  });
}

async function requestCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: authHeaders })).text();
  let total = 0;
  for (const match of text.matchAll(/^ims_http_request_duration_seconds_count\{[^}]*\} (\d+)/gm)) total += Number(match[1]);
  return total;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

installPackedClient();
const work = mkdtempSync(path.join(homedir(), 'in-memoria-bench-'));
const dataDir = mkdtempSync(path.join(tmpdir(), 'ims-bench-im-'));
const service = await startChild(['dist/cli/main.js', 'serve'], { ...productionEnv, ...npmStartEnv, DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
try {
  const native: number[] = [];
  const remote: number[] = [];
  const requests: number[] = [];
  const nativeRows: number[][] = [];
  const remoteRows: number[][] = [];
  const files = countFiles(makeCorpus(work, 'probe'));
  for (let run = 1; run <= RUNS; run++) {
    const nativeCorpus = makeCorpus(path.join(work, `native-${run}`), 'corpus');
    native.push(await timeLearn([inMemoriaBin, 'learn', nativeCorpus], nativeCorpus, {}));
    const db = new Database(path.join(nativeCorpus, 'in-memoria.db'), { readonly: true });
    nativeRows.push(['semantic_concepts', 'developer_patterns'].map((table) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n));
    db.close();

    const project = `corpus-${run}`;
    const remoteCorpus = makeCorpus(path.join(work, `remote-${run}`), project);
    const before = await requestCount(service.url);
    remote.push(
      await timeLearn([bridgeBin, 'learn', remoteCorpus], remoteCorpus, { IN_MEMORIA_STORAGE_URL: service.url, IN_MEMORIA_STORAGE_API_KEY: BENCH_API_KEY }),
    );
    requests.push((await requestCount(service.url)) - before - 1);
    if (existsSync(path.join(remoteCorpus, 'in-memoria.db'))) throw new Error('the bridged learn wrote a local database');
    const stats = (await (await fetch(`${service.url}/v1/projects/${project}/stats`, { headers: authHeaders })).json()) as {
      entities: Record<string, { count: number }>;
      vectors: { documents: number };
    };
    remoteRows.push([stats.entities.concepts!.count, stats.entities.patterns!.count, stats.vectors.documents]);
  }
  console.log(`\nIn-Memoria 0.4.1 learn of ${files} source files (${SOURCES.join(', ')}), ${RUNS} runs each, alternated; median wall time\n`);
  console.log(
    table([
      {
        storage: 'own SQLite file',
        'wall ms (median)': median(native).toFixed(0),
        runs: native.map((ms) => ms.toFixed(0)).join(' / '),
        'rows (concepts, patterns)': nativeRows.map((rows) => rows.join(', ')).join(' / '),
      },
      {
        storage: 'service (bridge)',
        'wall ms (median)': median(remote).toFixed(0),
        runs: remote.map((ms) => ms.toFixed(0)).join(' / '),
        'rows (concepts, patterns)': remoteRows.map((rows) => `${rows[0]}, ${rows[1]} (+${rows[2]} chunks)`).join(' / '),
      },
    ]),
  );
  console.log(`\nratio service / own SQLite: ${(median(remote) / median(native)).toFixed(2)} (goal <= 1.5)`);
  console.log(`service requests per learn: ${requests.join(' / ')}`);
} finally {
  await service.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}
