/**
 * `npm run bench`: the relational API on SQLite over real HTTP, against a
 * bare Fastify hello-world as the ceiling, measured in one run on this machine.
 * The service runs from dist/ in a child process; autocannon runs here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { jsonHeaders, load, productionEnv, startChild, table } from './support.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const BATCH = 1000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const project = 'bench';

function concept(index: number) {
  return {
    id: `concept_${index}`,
    conceptName: `name${index % 5000}_${index}`,
    conceptType: ['class', 'function', 'variable', 'interface'][index % 4],
    confidenceScore: (index % 100) / 100,
    relationships: { calls: [`concept_${(index + 1) % ROWS}`] },
    filePath: `src/module${index % 500}/file${index % 50}.ts`,
    lineRange: { start: index % 400, end: (index % 400) + 20 },
  };
}

/** Upserts ROWS concepts in batches of BATCH, `clients` requests in flight; bodies are serialised before the clock starts, so the figure is the service's. */
async function seed(url: string, clients: number, project: string): Promise<number> {
  const bodies: string[] = [];
  for (let start = 0; start < ROWS; start += BATCH) {
    bodies.push(JSON.stringify({ items: Array.from({ length: Math.min(BATCH, ROWS - start) }, (_unused, offset) => concept(start + offset)) }));
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

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ims-bench-'));
  const rows: Array<Record<string, string | number>> = [];
  try {
    const hello = await startChild(['bench/hello.mjs']);
    const ceiling = await load(`${hello.url}/`, { seconds: SECONDS });
    await hello.stop();
    rows.push({ measure: 'hello-world (bare Fastify)', 'req/s': Math.round(ceiling.requestsPerSecond), 'p50 ms': ceiling.p50, 'p99 ms': ceiling.p99, 'vs hello': '100%', non2xx: ceiling.non2xx });

    for (const logLevel of ['warn', 'info']) {
      const service = await startChild(['dist/cli/main.js', 'serve'], { DATA_DIR: dataDir, IN_MEMORIA_STORAGE_MODE: 'local', LOG_LEVEL: logLevel, ...productionEnv });
      if (logLevel === 'warn') {
        for (const clients of [1, 2]) {
          const rowsPerSecond = await seed(service.url, clients, clients === 1 ? project : `${project}-${clients}`);
          rows.push({ measure: `batch upsert ${ROWS} concepts, batches of ${BATCH}, ${clients} client${clients > 1 ? 's' : ''}`, 'req/s': `${Math.round(rowsPerSecond)} rows/s`, 'p50 ms': '-', 'p99 ms': '-', 'vs hello': '-', non2xx: 0 });
        }
      }
      const ids = Array.from({ length: 1000 }, (_unused, index) => `/v1/projects/${project}/concepts/concept_${(index * 97) % ROWS}`);
      const byId = await load(service.url, { paths: ids, seconds: SECONDS });
      rows.push({ measure: `GET concept by id (LOG_LEVEL=${logLevel})`, 'req/s': Math.round(byId.requestsPerSecond), 'p50 ms': byId.p50, 'p99 ms': byId.p99, 'vs hello': `${Math.round((100 * byId.requestsPerSecond) / ceiling.requestsPerSecond)}%`, non2xx: byId.non2xx });
      if (logLevel === 'warn') {
        const lists = ['class', 'function', 'variable', 'interface'].map((type) => `/v1/projects/${project}/concepts?conceptType=${type}&limit=100`);
        const listed = await load(service.url, { paths: lists, seconds: SECONDS });
        rows.push({ measure: 'GET filtered list of 100 concepts', 'req/s': Math.round(listed.requestsPerSecond), 'p50 ms': listed.p50, 'p99 ms': listed.p99, 'vs hello': `${Math.round((100 * listed.requestsPerSecond) / ceiling.requestsPerSecond)}%`, non2xx: listed.non2xx });
      }
      await service.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.stdout.write(`\nin-memoria-storage bench: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, ${SECONDS} s per load, 10 connections\n\n${table(rows)}\n`);
}

await main();
