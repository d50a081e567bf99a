/**
 * Embedded vector store benchmark, in process (no HTTP):
 *   npx tsx bench/vectors.ts [--n 100000] [--dims 384] [--queries 200] [--threads 1]
 *
 * Data: clustered vectors (2,000 Gaussian clusters), which is how real code
 * embeddings look; uniform random vectors have no neighbourhood structure, so
 * no ANN index (nor the notion of a nearest neighbour) means much on them.
 * Queries are stored vectors plus noise. Ground truth is usearch's exact scan
 * over the same vectors, regenerated from the seed so that the benchmark
 * itself holds no copy of the data while RSS is measured.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createEmbeddedVectorStore, type EmbeddedVectorStore } from '../src/vectors/embedded.js';
import type { Filter } from '../src/vectors/port.js';
import { createVectorData, percentile, recall } from './vector-data.js';

// Collect garbage before reading RSS, so that it measures what the store holds, not ingest's litter.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dims: { type: 'string', default: '384' },
    queries: { type: 'string', default: '200' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '1000' },
    // Internal: the restart phase runs in a fresh process, as a real restart would.
    'reopen-dir': { type: 'string' },
  },
});
const N = Number(values.n);
const D = Number(values.dims);
const Q = Number(values.queries);
const BATCH = Number(values.batch);
const PROJECT = 'bench';
const COLLECTION = 'code';
const { FILTER, documentsOf, queryVectors, groundTruth } = createVectorData({ n: N, dims: D, queries: Q });

async function timeSearches(
  store: EmbeddedVectorStore,
  queries: Float32Array[],
  filter?: Filter | ((q: number) => Filter),
): Promise<{ latencies: number[]; results: string[][] }> {
  const latencies: number[] = [];
  const results: string[][] = [];
  for (const [q, vector] of queries.entries()) {
    const started = performance.now();
    const hits = await store.search(PROJECT, COLLECTION, { mode: 'vector', vector, limit: 10, filter: typeof filter === 'function' ? filter(q) : filter });
    latencies.push(performance.now() - started);
    results.push(hits.map((hit) => hit.id));
  }
  return { latencies: latencies.sort((a, b) => a - b), results };
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
const rows: Array<[string, string, string]> = [];
const row = (metric: string, value: string, target = ''): void => {
  rows.push([metric, value, target]);
  console.error(`${metric}: ${value}`);
};

interface ReopenReport {
  firstSearchSeconds: number;
  rss: number;
  p50: number;
  p99: number;
  results: string[][];
}

/** The restart phase, in its own process: open the data, answer a first search, then measure. */
async function reopenPhase(dataDir: string): Promise<ReopenReport> {
  const queries = queryVectors();
  const started = performance.now();
  const store = await createEmbeddedVectorStore({ dataDir, indexThreads: Number(values.threads) });
  await store.search(PROJECT, COLLECTION, { mode: 'vector', vector: queries[0]!, limit: 10 });
  const firstSearchSeconds = (performance.now() - started) / 1000;
  await timeSearches(store, queries.slice(0, 20)); // warm-up
  const { latencies, results } = await timeSearches(store, queries);
  gc();
  const rss = process.memoryUsage().rss;
  await store.close();
  return { firstSearchSeconds, rss, p50: percentile(latencies, 50), p99: percentile(latencies, 99), results };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-vectors-'));
  const options = { dataDir, indexThreads: Number(values.threads) };
  try {
    const store = await createEmbeddedVectorStore(options);
    await store.createCollection(PROJECT, COLLECTION, { dimensions: D, model: 'bench' });

    const ingestStarted = performance.now();
    for (let start = 0; start < N; start += BATCH) {
      await store.upsert(PROJECT, COLLECTION, documentsOf(start, Math.min(BATCH, N - start)));
    }
    const ingestSeconds = (performance.now() - ingestStarted) / 1000;
    row(`ingest (vectors given, batches of ${BATCH})`, `${Math.round(N / ingestSeconds)} docs/s (${ingestSeconds.toFixed(1)} s)`, '>= 5,000 docs/s');

    const indexStarted = performance.now();
    await store.waitForIndexing();
    const status = await store.indexStatus(PROJECT, COLLECTION);
    row(
      'index complete, after ingest ended',
      `${((performance.now() - indexStarted) / 1000).toFixed(1)} s (indexed ${status.indexed}, pending ${status.pending})`,
      'background',
    );

    const queries = queryVectors();
    await timeSearches(store, queries.slice(0, 20)); // warm-up
    const plain = await timeSearches(store, queries);
    const filtered = await timeSearches(store, queries, FILTER);
    // A filter never seen before pays for packing its subset (see src/vectors/embedded/subsets.ts).
    const cold = await timeSearches(store, queries, (q) => ({ language: 'typescript', lineCount: { ne: 100000 + q } }));
    gc();
    const rss = process.memoryUsage().rss;
    const raw = N * D * 4;
    row(
      'search p50 / p99, top-10, no filter',
      `${percentile(plain.latencies, 50).toFixed(2)} / ${percentile(plain.latencies, 99).toFixed(2)} ms`,
      'p50 <= 2 ms',
    );
    row(
      'search p50 / p99, top-10, filter ~10%',
      `${percentile(filtered.latencies, 50).toFixed(2)} / ${percentile(filtered.latencies, 99).toFixed(2)} ms`,
      'p50 <= 2 ms',
    );
    row(
      'search p50 / p99, filter ~10%, new filter each query',
      `${percentile(cold.latencies, 50).toFixed(2)} / ${percentile(cold.latencies, 99).toFixed(2)} ms`,
      '(cold subset cache)',
    );
    row('RSS, ingest process, after ingest and index', `${mb(rss)} (${(rss / raw).toFixed(2)}x raw ${mb(raw)})`, '<= 3x raw');
    await store.close();

    const child = execFileSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--n', String(N), '--dims', String(D), '--queries', String(Q), '--reopen-dir', dataDir],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const reopened = JSON.parse(child) as ReopenReport;
    row('restart: new process, open to first search answered', `${reopened.firstSearchSeconds.toFixed(2)} s`, '<= 3 s');
    row('RSS, restarted process, after 200 searches', `${mb(reopened.rss)} (${(reopened.rss / raw).toFixed(2)}x raw)`, '<= 3x raw');
    row('search p50 / p99 after restart (mapped index)', `${reopened.p50.toFixed(2)} / ${reopened.p99.toFixed(2)} ms`, 'p50 <= 2 ms');

    row('recall@10 vs exact, no filter', recall(plain.results, groundTruth(queries)).toFixed(4), '>= 0.95');
    row('recall@10 vs exact, filter ~10%', recall(filtered.results, groundTruth(queries, FILTER.language)).toFixed(4), '>= 0.95');
    row('recall@10 vs exact, after restart', recall(reopened.results, groundTruth(queries)).toFixed(4), '>= 0.95');

    const width = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
    console.log(`\nembedded vector store: ${N} x ${D} dims, ${Q} queries, index threads ${values.threads}\n`);
    for (const [metric, value, target] of rows) console.log(`${metric.padEnd(width[0]!)}  ${value.padEnd(width[1]!)}  ${target}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (values['reopen-dir']) process.stdout.write(JSON.stringify(await reopenPhase(values['reopen-dir'])));
else await main();
