/**
 * Ingest jobs live in the relational store: a job survives the process that accepted it. Real processes
 * (the CLI), killed with SIGKILL mid-job: a restarted local-mode service finishes its own job; with two
 * replicas on one PostgreSQL and one Qdrant test server, either answers for the job and the survivor
 * takes a killed replica's job over once its lease has run out. Exact counts, every document once.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { makeDataDir } from '../support/app.js';
import { startChildService, type ChildService } from '../support/child-service.js';
import { startPostgres } from '../support/postgres.js';
import { startQdrantTestServer } from '../support/qdrant-test-server.js';

const collectionPath = '/v1/projects/durable/collections/code';

interface JobReport {
  status: string;
  processed: number;
  total: number;
  failed: number;
}

const items = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: `doc-${i}`, content: `export function handler${i}(request) { return request.user${i % 7}; }` }));

async function submit(service: ChildService, count: number): Promise<string> {
  const response = await fetch(`${service.url}${collectionPath}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: items(count) }),
  });
  assert.equal(response.status, 202, await response.clone().text());
  return ((await response.json()) as { jobId: string }).jobId;
}

async function report(service: ChildService, jobId: string): Promise<JobReport> {
  const response = await fetch(`${service.url}/v1/jobs/${jobId}`);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as JobReport;
}

/** Polls until `done` holds for the report (or the time runs out). */
async function waitFor(service: ChildService, jobId: string, done: (job: JobReport) => boolean, seconds: number): Promise<JobReport> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const job = await report(service, jobId);
    if (done(job)) return job;
    assert.ok(Date.now() < deadline, `job ${jobId} after ${seconds} s: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const finished = (job: JobReport) => job.status === 'succeeded' || job.status === 'failed';

async function documentCount(service: ChildService): Promise<number> {
  const response = await fetch(`${service.url}${collectionPath}`);
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { count: number }).count;
}

test('local mode: a service killed mid-job finishes the job after its restart, every item once', { timeout: 180_000 }, async () => {
  const dataDir = makeDataDir();
  const env = { DATA_DIR: dataDir, IN_MEMORIA_STORAGE_MODE: 'local' };
  let service = await startChildService(env);
  try {
    const total = 20_000;
    const jobId = await submit(service, total);
    const cut = await waitFor(service, jobId, (job) => job.processed >= 1_000, 60);
    await service.stop('SIGKILL');
    assert.ok(cut.processed < total, `killed mid-job: ${cut.processed} of ${total} recorded`);

    service = await startChildService(env);
    const done = await waitFor(service, jobId, finished, 120);
    assert.deepEqual(
      { status: done.status, processed: done.processed, total: done.total, failed: done.failed },
      { status: 'succeeded', processed: total, total, failed: 0 },
    );
    assert.equal(await documentCount(service), total);
  } finally {
    await service.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test(
  'two replicas on one PostgreSQL and Qdrant: either answers for a job, and a killed replica’s job finishes on the other',
  { timeout: 240_000 },
  async () => {
    const postgres = await startPostgres();
    const qdrant = await startQdrantTestServer({ apiKey: 'durable-jobs-qdrant-key' });
    const dataDirs = [makeDataDir(), makeDataDir()];
    const databaseUrl = await postgres.createDatabase('durable_jobs');
    const env = (dataDir: string) => ({
      DATA_DIR: dataDir,
      IN_MEMORIA_STORAGE_MODE: 'remote',
      DATABASE_URL: databaseUrl,
      QDRANT_URL: qdrant.url,
      QDRANT_API_KEY: 'durable-jobs-qdrant-key',
      JOBS_LEASE_SECONDS: '2',
    });
    const replicas: ChildService[] = [];
    try {
      replicas.push(await startChildService(env(dataDirs[0]!)), await startChildService(env(dataDirs[1]!)));
      const [accepting, survivor] = replicas as [ChildService, ChildService];
      const total = 3_000;
      const jobId = await submit(accepting, total);
      // The other replica answers for the job from the database, while the accepting one works on it.
      const cut = await waitFor(survivor, jobId, (job) => job.processed >= 200, 120);
      await accepting.stop('SIGKILL');
      assert.ok(cut.processed < total, `killed mid-job: ${cut.processed} of ${total} recorded`);

      const done = await waitFor(survivor, jobId, finished, 180);
      assert.deepEqual(
        { status: done.status, processed: done.processed, total: done.total, failed: done.failed },
        { status: 'succeeded', processed: total, total, failed: 0 },
      );
      // Point ids derive from the document ids: a batch done twice (by the killed replica, then by the survivor) is one copy.
      assert.equal(await documentCount(survivor), total);
      assert.deepEqual(qdrant.invalid(), [], 'every Qdrant request was valid');
    } finally {
      for (const replica of replicas) await replica.stop('SIGKILL');
      await qdrant.stop();
      postgres.destroy();
      for (const dataDir of dataDirs) rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
