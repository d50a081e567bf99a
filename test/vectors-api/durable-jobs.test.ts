/**
 * Ingest jobs live in the relational store: a job survives the process that accepted it. Real processes
 * (the CLI), killed with SIGKILL mid-job: a restarted local-mode service finishes its own job; with three
 * replicas on one PostgreSQL and one Qdrant test server behind Debian's nginx running deploy/nginx.conf,
 * every replica answers for the job and another takes a killed replica's job over once its lease has run
 * out. Exact counts, every document once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { makeDataDir } from '../support/app.js';
import { startChildService, type ChildService } from '../support/child-service.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
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

/** Reads the job's report (`read`) until `done` holds for it, or the time runs out. */
async function waitFor(read: () => Promise<JobReport>, done: (job: JobReport) => boolean, seconds: number): Promise<JobReport> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const job = await read();
    if (done(job)) return job;
    assert.ok(Date.now() < deadline, `the job after ${seconds} s: ${JSON.stringify(job)}`);
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
    const cut = await waitFor(
      () => report(service, jobId),
      (job) => job.processed >= 1_000,
      60,
    );
    await service.stop('SIGKILL');
    assert.ok(cut.processed < total, `killed mid-job: ${cut.processed} of ${total} recorded`);

    service = await startChildService(env);
    const done = await waitFor(() => report(service, jobId), finished, 120);
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

/** One HTTPS request through nginx, verified against the test's own certificate. */
function viaNginx(nginx: RunningNginx, method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: '127.0.0.1',
        port: nginx.httpsPort,
        servername: 'localhost',
        ca: nginx.ca,
        method,
        path: url,
        headers: payload ? { 'content-type': 'application/json' } : {},
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as unknown }));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

test(
  'three replicas on one PostgreSQL and Qdrant behind deploy/nginx.conf: every replica answers for a job, and a killed replica’s job finishes on another',
  { timeout: 240_000 },
  async () => {
    const postgres = await startPostgres();
    const qdrant = await startQdrantTestServer({ apiKey: 'durable-jobs-qdrant-key' });
    const nginxDir = mkdtempSync(path.join(tmpdir(), 'ims-nginx-jobs-'));
    const dataDirs = [makeDataDir(), makeDataDir(), makeDataDir()];
    const databaseUrl = await postgres.createDatabase('durable_jobs');
    const replicas: ChildService[] = [];
    let nginx: RunningNginx | undefined;
    try {
      for (const dataDir of dataDirs) {
        replicas.push(
          await startChildService({
            DATA_DIR: dataDir,
            IN_MEMORIA_STORAGE_MODE: 'remote',
            DATABASE_URL: databaseUrl,
            QDRANT_URL: qdrant.url,
            QDRANT_API_KEY: 'durable-jobs-qdrant-key',
            JOBS_LEASE_SECONDS: '2',
          }),
        );
      }
      nginx = await startNginx(
        nginxDir,
        replicas.map((replica) => Number(new URL(replica.url).port)),
      );
      const via = nginx;
      const total = 3_000;
      const accepted = await viaNginx(via, 'POST', `${collectionPath}/jobs`, { items: items(total) });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.json));
      const { jobId } = accepted.json as { jobId: string };
      const poll = async () => {
        const answer = await viaNginx(via, 'GET', `/v1/jobs/${jobId}`);
        assert.equal(answer.status, 200, JSON.stringify(answer.json));
        return answer.json as JobReport;
      };
      const answered = (replica: ChildService) => replica.output.some((line) => line.includes(`/v1/jobs/${jobId}`));
      // Round robin spreads the polls: each replica reads the job from the database, whichever works on it.
      const cut = await waitFor(
        poll,
        (job) => {
          assert.ok(job.processed < total, `the job finished before every replica had answered for it: ${JSON.stringify(job)}`);
          return job.processed >= 200 && replicas.every(answered);
        },
        120,
      );
      const holder = replicas.find((replica) => replica.output.some((line) => line.includes(`${collectionPath}/jobs`)));
      assert.ok(holder, 'the replica that accepted the job logged it');
      await holder.stop('SIGKILL');
      assert.ok(cut.processed < total, `killed mid-job: ${cut.processed} of ${total} recorded`);

      const done = await waitFor(poll, finished, 180);
      assert.deepEqual(
        { status: done.status, processed: done.processed, total: done.total, failed: done.failed },
        { status: 'succeeded', processed: total, total, failed: 0 },
      );
      // Point ids derive from the document ids: a batch done twice (by the killed replica, then by the next) is one copy.
      const collection = await viaNginx(via, 'GET', collectionPath);
      assert.equal((collection.json as { count: number }).count, total);
      assert.deepEqual(qdrant.invalid(), [], 'every Qdrant request was valid');
    } finally {
      await nginx?.stop();
      for (const replica of replicas) await replica.stop('SIGKILL');
      await qdrant.stop();
      postgres.destroy();
      for (const dataDir of [...dataDirs, nginxDir]) rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
