/**
 * Requests while an ingest job runs (issue 17):
 *   npx tsx bench/job-stall.ts [--items 100000]
 * The built service in a child process (local mode, production settings, the
 * local embedder). One client submits a job of small items to embed; another
 * sends `/health` and `GET` of a concept by id, one at a time, until the job
 * has finished, and reports their p50/p99, the first answer's wait after the
 * 202, and the job's rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { authHeaders, jsonHeaders, npmStartEnv, productionEnv, startChild } from './support.js';
import { percentile } from './vector-data.js';

const { values } = parseArgs({ options: { items: { type: 'string', default: '100000' } } });
const count = Number(values.items);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ims-job-stall-'));
  const service = await startChild(['dist/cli/main.js', 'serve'], {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    EMBEDDING_PROVIDER: 'local',
    ...productionEnv,
    ...npmStartEnv,
  });
  try {
    await fetch(`${service.url}/v1/projects/bench/concepts/c1`, {
      method: 'PUT',
      headers: jsonHeaders,
      body: JSON.stringify({ conceptName: 'Reader', conceptType: 'class' }),
    });
    const items = Array.from({ length: count }, (_, i) => ({
      id: `item-${i}`,
      content: `export function handler${i}(request) { return request.user${i % 97}.id; }`,
    }));
    const submitted = performance.now();
    const accepted = await fetch(`${service.url}/v1/projects/bench/collections/code/jobs`, {
      method: 'POST',
      headers: jsonHeaders,
      body: JSON.stringify({ items }),
    });
    if (accepted.status !== 202) throw new Error(`job refused: ${accepted.status} ${await accepted.text()}`);
    const { jobId } = (await accepted.json()) as { jobId: string };

    const health: number[] = [];
    const reads: number[] = [];
    let firstHealth = -1;
    for (let round = 0; ; round++) {
      let started = performance.now();
      const probe = await fetch(`${service.url}/health`);
      await probe.arrayBuffer();
      health.push(performance.now() - started);
      if (firstHealth < 0) firstHealth = health[0]!;
      started = performance.now();
      const read = await fetch(`${service.url}/v1/projects/bench/concepts/c1`, { headers: authHeaders });
      await read.arrayBuffer();
      reads.push(performance.now() - started);
      if (!probe.ok || !read.ok) throw new Error(`answers ${probe.status} / ${read.status} during the job`);
      if (round % 20 === 0) {
        const job = (await (await fetch(`${service.url}/v1/jobs/${jobId}`, { headers: authHeaders })).json()) as {
          status: string;
          processed: number;
          failed: number;
        };
        if (job.status !== 'running' && job.status !== 'queued') {
          const seconds = (performance.now() - submitted) / 1000;
          const sort = (list: number[]) => [...list].sort((a, b) => a - b);
          const h = sort(health);
          const r = sort(reads);
          console.log(`\n## Requests during an ingest job of ${count} items (local embedder, embedded store)\n`);
          console.log('| measure | result | goal |\n|---|---|---|');
          console.log(
            `| job: ${job.status}, ${job.processed} processed, ${job.failed} failed | ${seconds.toFixed(1)} s (${Math.round(count / seconds)} items/s) | |`,
          );
          console.log(`| first /health after the 202 | ${firstHealth.toFixed(1)} ms | |`);
          console.log(
            `| /health p50 / p99 during the job (${h.length} requests) | ${percentile(h, 50).toFixed(2)} / ${percentile(h, 99).toFixed(2)} ms | p99 <= 50 ms |`,
          );
          console.log(
            `| GET a concept by id p50 / p99 during the job (${r.length} requests) | ${percentile(r, 50).toFixed(2)} / ${percentile(r, 99).toFixed(2)} ms | p99 <= 50 ms |`,
          );
          return;
        }
      }
    }
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
