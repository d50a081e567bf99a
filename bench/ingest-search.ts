/**
 * Search while ingesting, over HTTP (issue 14):
 *   npx tsx bench/ingest-search.ts [--n 100000] [--dims 384] [--encoding base64|arrays] [--no-searcher]
 * The built service in a child process (local mode, production settings). One
 * client ingests N documents in batches of 1,000 while a second client (a
 * worker thread, so the ingesting client's JSON work never delays its clock)
 * searches without pause; then 200 searches right after the last batch. It
 * prints search p50/p99 per second during the ingest and after it, recall@10
 * of the searches after it against an exact scan, whether each batch's first
 * document is found right after its write, and the service's RSS then and over
 * the next 32 s (while the last index build runs, and after). `--no-searcher`
 * leaves the second client out: the ingest alone, then the 200 searches, as
 * issue 14 first measured it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { encodeVector } from '../src/shared/vector-encoding.js';
import { jsonHeaders, npmStartEnv, productionEnv, startChild } from './support.js';
import { createVectorData, percentile, recall } from './vector-data.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dims: { type: 'string', default: '384' },
    encoding: { type: 'string', default: 'base64' },
    'no-searcher': { type: 'boolean', default: false },
  },
});
// How the ingesting client sends vectors: `base64` (float32 bytes, what the typed client offers) or `arrays` (JSON numbers).
const encode = values.encoding === 'arrays' ? (vector: Float32Array) => Array.from(vector) : encodeVector;
const data = createVectorData({ n: Number(values.n), dims: Number(values.dims), queries: 200 });
const BATCH = 1000;
/** RSS samples, 2 s apart, after the searches right after the ingest: long enough for the last build of 100,000 x 384 here (~20 s). */
const RSS_SAMPLES = 16;
const base = '/v1/projects/bench/collections/code';

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
/** Anonymous (heap, malloc) and file-backed (mapped index files, code) parts of the RSS, in MB. */
function rssParts(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return `anonymous ${(kb('RssAnon') / 1000).toFixed(0)} MB, file-backed ${(kb('RssFile') / 1000).toFixed(0)} MB`;
}

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: jsonHeaders, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** The searching client: one request at a time, each timed, until told to stop. */
const searcherSource = `
const { parentPort, workerData } = require('node:worker_threads');
let running = !workerData.idle;
parentPort.on('message', () => { running = false; });
(async () => {
  const bodies = workerData.queries.map((vector) => JSON.stringify({ vector, limit: 10, includeContent: false }));
  for (let i = 0; running; i++) {
    const started = performance.now();
    const response = await fetch(workerData.url, { method: 'POST', headers: workerData.headers, body: bodies[i % bodies.length] });
    await response.arrayBuffer();
    if (!response.ok) throw new Error('search answered ' + response.status);
    parentPort.postMessage({ at: Date.now(), ms: performance.now() - started });
  }
  parentPort.postMessage({ done: true });
})();
`;

function summarize(latencies: number[]): { p50: number; p99: number; count: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), count: sorted.length };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ims-ingest-search-'));
  const service = await startChild(['dist/cli/main.js', 'serve'], { DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...productionEnv, ...npmStartEnv });
  try {
    await fetch(`${service.url}${base}`, { method: 'PUT', headers: jsonHeaders, body: JSON.stringify({ dimensions: data.D, model: 'bench-clustered' }) });
    const queries = data.queryVectors();
    const samples: Array<{ at: number; ms: number }> = [];
    const searcher = new Worker(searcherSource, {
      eval: true,
      workerData: {
        idle: values['no-searcher'],
        url: `${service.url}${base}/search`,
        headers: jsonHeaders,
        queries: queries.slice(0, 50).map((q) => Array.from(q)),
      },
    });
    const searcherDone = new Promise<void>((resolve, reject) => {
      searcher.on('message', (message: { at: number; ms: number } | { done: true }) => ('done' in message ? resolve() : samples.push(message)));
      searcher.on('error', reject);
    });

    const started = Date.now();
    let freshMissed = 0;
    for (let start = 0; start < data.N; start += BATCH) {
      const documents = data.documentsOf(start, Math.min(BATCH, data.N - start));
      await post(`${service.url}${base}/documents/batch`, {
        items: documents.map((d) => ({ id: d.id, content: d.content, metadata: d.metadata, embedding: encode(d.vector) })),
      });
      const probe = (await post(`${service.url}${base}/search`, { vector: Array.from(documents[0]!.vector), limit: 1, includeContent: false })) as {
        results: Array<{ id: string }>;
      };
      if (probe.results[0]?.id !== documents[0]!.id) freshMissed++;
    }
    const ingestEnd = Date.now();
    searcher.postMessage('stop');
    await searcherDone;
    await searcher.terminate();

    // Right after the last batch: the 200 queries, one at a time.
    const after: Array<{ at: number; ms: number }> = [];
    const results: string[][] = [];
    for (const query of queries) {
      const begun = performance.now();
      const answer = (await post(`${service.url}${base}/search`, { vector: Array.from(query), limit: 10, includeContent: false })) as {
        results: Array<{ id: string }>;
      };
      after.push({ at: Date.now(), ms: performance.now() - begun });
      results.push(answer.results.map((hit) => hit.id));
    }
    const truth = data.groundTruth(queries);
    const rss = rssOf(service.process.pid!);
    const parts = rssParts(service.process.pid!);
    // Then while the index worker builds what the ingest left unindexed (its memory peaks then) and once it is done.
    const trail: number[] = [];
    for (let i = 0; i < RSS_SAMPLES; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      trail.push(rssOf(service.process.pid!));
    }

    const during = summarize(samples.map((s) => s.ms));
    const right = summarize(after.map((s) => s.ms));
    const clients = values['no-searcher'] ? 'no searching client' : 'one searching client';
    console.log(`\n## Search while ingesting ${data.N} x ${data.D} over HTTP (batches of ${BATCH}), ${clients}\n`);
    console.log(`ingest: ${((ingestEnd - started) / 1000).toFixed(1)} s (${Math.round(data.N / ((ingestEnd - started) / 1000))} docs/s)`);
    if (during.count > 0) console.log(`search during the ingest: p50 ${during.p50.toFixed(2)} ms, p99 ${during.p99.toFixed(2)} ms (${during.count} searches)`);
    console.log(
      `200 searches right after the last batch (${((after[after.length - 1]!.at - ingestEnd) / 1000).toFixed(1)} s): p50 ${right.p50.toFixed(2)} ms, p99 ${right.p99.toFixed(2)} ms`,
    );
    console.log(`recall@10 of those 200 against exact: ${recall(results, truth).toFixed(4)}`);
    console.log(`each batch's first document found at once (top-1 of its own vector): ${data.N / BATCH - freshMissed} of ${data.N / BATCH}`);
    console.log(`service RSS after: ${(rss / 1e6).toFixed(0)} MB (${parts}; raw vectors ${((data.N * data.D * 4) / 1e6).toFixed(0)} MB)`);
    console.log(
      `service RSS every 2 s for ${RSS_SAMPLES * 2} s more (the last index build): highest ${(Math.max(...trail) / 1e6).toFixed(0)} MB, last ${(trail[trail.length - 1]! / 1e6).toFixed(0)} MB (${trail.map((bytes) => (bytes / 1e6).toFixed(0)).join(' ')})`,
    );
    console.log('\nthe curve: search p50 / p99 (ms) per 2 s, by time since the ingest began (then since the last batch)\n');
    console.log('| seconds | phase | searches | p50 | p99 |\n|---|---|---|---|---|');
    const buckets = new Map<string, number[]>();
    for (const sample of samples) {
      const key = `${Math.floor((sample.at - started) / 2000) * 2}|during`;
      buckets.set(key, [...(buckets.get(key) ?? []), sample.ms]);
    }
    for (const sample of after) {
      const key = `${Math.floor((sample.at - ingestEnd) / 2000) * 2}|after`;
      buckets.set(key, [...(buckets.get(key) ?? []), sample.ms]);
    }
    for (const [key, latencies] of buckets) {
      const [seconds, phase] = key.split('|');
      const { p50, p99, count } = summarize(latencies);
      console.log(`| ${seconds}-${Number(seconds) + 2} | ${phase} | ${count} | ${p50.toFixed(2)} | ${p99.toFixed(2)} |`);
    }
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
