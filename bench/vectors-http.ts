/**
 * The vector API through real HTTP (the built service in a child process):
 *   npx tsx bench/vectors-http.ts [--n 100000] [--dims 384] [--queries 200]
 * Ingest rate over HTTP (vectors given), restart-to-first-search time, search
 * latency p50/p99 and recall@10 with and without a filter as a client sees
 * them, and the service's RSS with the collection loaded.
 */
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbeddedVectorStore } from '../src/vectors/embedded.js';
import { jsonHeaders, npmStartEnv, productionEnv, startChild } from './support.js';
import { createVectorData, percentile, recall } from './vector-data.js';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '100000' }, dims: { type: 'string', default: '384' }, queries: { type: 'string', default: '200' } },
});
const data = createVectorData({ n: Number(values.n), dims: Number(values.dims), queries: Number(values.queries) });
const BATCH = 1000;
const base = '/v1/projects/bench/collections/code';

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: jsonHeaders, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function searches(url: string, filter?: object): Promise<{ p50: number; p99: number; results: string[][] }> {
  const latencies: number[] = [];
  const results: string[][] = [];
  for (const query of data.queryVectors()) {
    const started = performance.now();
    const answer = (await post(`${url}${base}/search`, { vector: Array.from(query), limit: 10, includeContent: false, ...(filter ? { filter } : {}) })) as {
      results: Array<{ id: string }>;
    };
    latencies.push(performance.now() - started);
    results.push(answer.results.map((hit) => hit.id));
  }
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), results };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ims-vbench-'));
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...productionEnv, ...npmStartEnv };
  const rows: Array<[string, string, string]> = [];
  try {
    const first = await startChild(['dist/cli/main.js', 'serve'], env);
    await fetch(`${first.url}${base}`, { method: 'PUT', headers: jsonHeaders, body: JSON.stringify({ dimensions: data.D, model: 'bench-clustered' }) });
    const started = performance.now();
    for (let start = 0; start < data.N; start += BATCH) {
      const items = data
        .documentsOf(start, Math.min(BATCH, data.N - start))
        .map((document) => ({ id: document.id, content: document.content, metadata: document.metadata, embedding: Array.from(document.vector) }));
      await post(`${first.url}${base}/documents/batch`, { items });
    }
    const ingestSeconds = (performance.now() - started) / 1000;
    rows.push([
      `ingest over HTTP, ${data.N} x ${data.D}, batches of ${BATCH}`,
      `${Math.round(data.N / ingestSeconds)} docs/s (${ingestSeconds.toFixed(1)} s)`,
      '>= 5,000 docs/s',
    ]);
    await first.stop();

    // Let the background index finish (the service would do the same while serving exact scans).
    const indexStarted = performance.now();
    const store = await createEmbeddedVectorStore({ dataDir: path.join(dataDir, 'vectors') });
    await store.search('bench', 'code', { mode: 'vector', vector: data.queryVectors()[0]!, limit: 1 });
    await store.waitForIndexing();
    await store.close();
    rows.push(['ANN index build after ingest (1 thread)', `${((performance.now() - indexStarted) / 1000).toFixed(1)} s`, 'background']);

    const restartStarted = performance.now();
    const service = await startChild(['dist/cli/main.js', 'serve'], env);
    await post(`${service.url}${base}/search`, { vector: Array.from(data.queryVectors()[0]!), limit: 10 });
    rows.push(['restart: spawn to first search answered over HTTP', `${((performance.now() - restartStarted) / 1000).toFixed(2)} s`, '<= 3 s']);

    const plain = await searches(service.url);
    const filtered = await searches(service.url, data.FILTER);
    await searches(service.url, data.FILTER);
    const rss = rssOf(service.process.pid!);
    const raw = data.N * data.D * 4;
    rows.push(['search over HTTP p50 / p99, top-10, no filter', `${plain.p50.toFixed(2)} / ${plain.p99.toFixed(2)} ms`, '']);
    rows.push(['search over HTTP p50 / p99, top-10, filter ~10%', `${filtered.p50.toFixed(2)} / ${filtered.p99.toFixed(2)} ms`, '']);
    rows.push(['service RSS with the collection loaded', `${mb(rss)} (${(rss / raw).toFixed(2)}x raw ${mb(raw)})`, '<= 3x raw']);
    const truth = data.groundTruth(data.queryVectors());
    const truthFiltered = data.groundTruth(data.queryVectors(), data.FILTER.language);
    rows.push(['recall@10 over HTTP vs exact, no filter', recall(plain.results, truth).toFixed(4), '>= 0.95']);
    rows.push(['recall@10 over HTTP vs exact, filter ~10%', recall(filtered.results, truthFiltered).toFixed(4), '>= 0.95']);
    await service.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const width = Math.max(...rows.map(([metric]) => metric.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  process.stdout.write(`\nvector API over HTTP: ${data.N} x ${data.D}, ${data.Q} queries, sequential requests\n\n`);
  for (const [metric, value, target] of rows) process.stdout.write(`${metric.padEnd(width)}  ${value.padEnd(valueWidth)}  ${target}\n`);
}

await main();
