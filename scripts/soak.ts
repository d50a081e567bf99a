/**
 * `npm run soak`: the service in a child process (local mode: SQLite + embedded store) under mixed
 * reads and writes for SOAK_SECONDS (default 60) after a warm-up, then its RSS growth. Writes reuse a
 * bounded set of ids, so the data stops growing after the warm-up and any RSS growth is a leak.
 * Exits 1 on any error answer or an RSS growth of 10% or more (median of the last three samples
 * against the median of the first three after the warm-up). `npm test` runs it (test/reliability/soak.test.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const warmupSeconds = Number(process.env.SOAK_WARMUP_SECONDS ?? 15);
const workers = Number(process.env.SOAK_WORKERS ?? 8);
const ID_SPACE = 300;

const dataDir = mkdtempSync(path.join(tmpdir(), 'ims-soak-'));
const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
  env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', DATA_DIR: dataDir, IN_MEMORIA_STORAGE_MODE: 'local', HOST: '127.0.0.1' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
// The port comes from the "Server listening" line; later request lines are read and dropped (a full pipe would stall the service).
const base = await new Promise<string>((resolve, reject) => {
  let buffered: string | undefined = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    if (buffered === undefined) return;
    buffered += chunk.toString('utf8');
    const match = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(buffered);
    if (match) {
      buffered = undefined;
      resolve(match[1]!);
    }
  });
  child.once('exit', (code) => reject(new Error(`service exited ${code}`)));
  setTimeout(() => reject(new Error('service did not start')), 60_000).unref();
});

function rssMiB(): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

const statuses: Record<string, number> = {};
let stop = false;
const random = (n: number) => Math.floor(Math.random() * n);
const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function one(): Promise<void> {
  const id = random(ID_SPACE);
  const project = `/v1/projects/soak-${id % 3}`;
  const calls: Array<() => Promise<Response>> = [
    () =>
      fetch(`${base}${project}/concepts/c${id}`, {
        method: 'PUT',
        ...json({ conceptName: `Concept${id}`, conceptType: ['class', 'function'][id % 2], confidenceScore: Math.random() }),
      }),
    () => fetch(`${base}${project}/concepts/c${id}`),
    () => fetch(`${base}${project}/concepts?conceptType=class&q=concept&limit=50`),
    () => fetch(`${base}${project}/concepts/count?groupBy=conceptType`),
    () =>
      fetch(`${base}${project}/concepts/batch`, {
        method: 'POST',
        ...json({ items: Array.from({ length: 20 }, (_, i) => ({ id: `b${(id + i) % ID_SPACE}`, conceptName: `B${i}`, conceptType: 'class' })) }),
      }),
    () =>
      fetch(`${base}${project}/collections/code/documents/batch`, {
        method: 'POST',
        ...json({
          items: Array.from({ length: 5 }, (_, i) => ({
            id: `d${(id + i) % ID_SPACE}`,
            content: `export function f${id}_${i}(user) { return user.id + ${i}; }`,
            metadata: { filePath: `src/f${id % 20}.ts` },
          })),
        }),
      }),
    () =>
      fetch(`${base}${project}/collections/code/search`, {
        method: 'POST',
        ...json({ query: `function user ${id}`, mode: ['vector', 'keyword', 'hybrid'][id % 3], limit: 10 }),
      }),
    () => fetch(`${base}${project}/stats`),
  ];
  const response = await calls[random(calls.length)]!();
  await response.arrayBuffer();
  const key = String(response.status);
  statuses[key] = (statuses[key] ?? 0) + 1;
}

async function worker(): Promise<void> {
  while (!stop) {
    try {
      await one();
    } catch (error) {
      statuses.network = (statuses.network ?? 0) + 1;
      console.error(error);
    }
  }
}

// Every id a read may ask for exists, so any non-2xx answer is an error.
for (let project = 0; project < 3; project++) {
  const items = Array.from({ length: ID_SPACE }, (_, id) => ({ id: `c${id}`, conceptName: `Concept${id}`, conceptType: 'class' }));
  const seeded = await fetch(`${base}/v1/projects/soak-${project}/concepts/batch`, { method: 'POST', ...json({ items }) });
  if (seeded.status !== 200) throw new Error(`seeding failed: ${seeded.status} ${await seeded.text()}`);
  // Searches of a collection that does not exist yet would be 404s.
  const documents = await fetch(`${base}/v1/projects/soak-${project}/collections/code/documents/batch`, {
    method: 'POST',
    ...json({ items: [{ id: 'seed', content: 'export function seed() {}' }] }),
  });
  if (documents.status !== 200) throw new Error(`seeding failed: ${documents.status} ${await documents.text()}`);
}

const started = Date.now();
const running = Array.from({ length: workers }, () => worker());
await new Promise((resolve) => setTimeout(resolve, warmupSeconds * 1000));
const warm = rssMiB();
const warmCount = Object.values(statuses).reduce((sum, count) => sum + count, 0);
// RSS saws up and down with garbage collection (±10 % here): growth compares the median of the
// first three samples after the warm-up with the median of the last three, not two single moments.
const samples: number[] = [warm];
const sampler = setInterval(() => samples.push(rssMiB()), 5000);
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
stop = true;
await Promise.all(running);
clearInterval(sampler);
const end = rssMiB();
const total = Object.values(statuses).reduce((sum, count) => sum + count, 0);
child.kill('SIGTERM');
const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
rmSync(dataDir, { recursive: true, force: true });

const errors = Object.entries(statuses)
  .filter(([status]) => !/^2\d\d$/.test(status))
  .reduce((sum, [, count]) => sum + count, 0);
samples.push(end);
const median3 = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;
const [early, late] = [median3(samples.slice(0, 3)), median3(samples.slice(-3))];
const growth = (late - early) / early;
const report = {
  seconds: Math.round((Date.now() - started) / 1000),
  measuredSeconds: seconds,
  workers,
  requests: total,
  requestsMeasured: total - warmCount,
  perSecond: Math.round((total - warmCount) / seconds),
  statuses,
  errors,
  rssMiB: {
    afterWarmup: Math.round(warm * 10) / 10,
    end: Math.round(end * 10) / 10,
    earlyMedian: Math.round(early * 10) / 10,
    lateMedian: Math.round(late * 10) / 10,
    samples: samples.map((value) => Math.round(value)),
  },
  rssGrowthPercent: Math.round(growth * 1000) / 10,
  exitCode,
};
console.log(JSON.stringify(report, null, 2));
process.exit(errors === 0 && growth < 0.1 && exitCode === 0 ? 0 : 1);
