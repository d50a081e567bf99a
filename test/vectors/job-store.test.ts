/** The job store's leases and retention, on a real SQLite file (the PostgreSQL path runs in test/vectors-api/durable-jobs.test.ts). */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RelationalStore } from '../../src/relational/port.js';
import { createSqliteStore } from '../../src/relational/sqlite.js';
import { createJobStore, type JobStore } from '../../src/vectors/job-store.js';
import type { Job } from '../../src/vectors/jobs.js';
import { makeDataDir } from '../support/app.js';

const dataDir = makeDataDir();
let db: RelationalStore;
let jobs: JobStore;

before(async () => {
  db = createSqliteStore({ file: path.join(dataDir, 'jobs.db') });
  await db.migrate();
  jobs = createJobStore(db);
});
after(async () => {
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const newJob = (jobId: string, total: number): Job => ({
  jobId,
  projectId: 'p',
  collection: 'c',
  status: 'queued',
  processed: 0,
  total,
  failed: 0,
  etaSeconds: null,
  errors: [],
  createdAt: new Date().toISOString(),
});

test('a lease: only its holder records progress; once it runs out, one claimant wins and resumes where the progress stopped', async () => {
  const now = Date.now();
  await jobs.create(
    newJob('leased', 3),
    'owner-a',
    [[{ id: 'a', content: 'a' }], [{ id: 'b', content: 'b' }], [{ id: 'c', content: 'c' }]],
    'replica-1',
    now + 60_000,
  );
  assert.deepEqual(await jobs.unheld(now, 10), [], 'held until its lease runs out');
  assert.equal(await jobs.claim('leased', 'replica-2', now + 60_000, now), false);

  const job = { ...newJob('leased', 3), status: 'running' as const, processed: 1 };
  assert.equal(await jobs.progress(job, 'replica-2', now + 60_000), false, 'not the holder');
  assert.equal(await jobs.progress(job, 'replica-1', now - 1), true);

  const later = Date.now();
  assert.deepEqual(await jobs.unheld(later, 10), ['leased']);
  const claims = await Promise.all([jobs.claim('leased', 'replica-2', later + 60_000, later), jobs.claim('leased', 'replica-3', later + 60_000, later)]);
  assert.deepEqual(claims.sort(), [false, true], 'exactly one claimant wins');
  assert.equal(await jobs.progress({ ...job, processed: 2 }, 'replica-1', later + 60_000), false, 'the old holder lost it');
  const resumed = await jobs.get('leased');
  assert.deepEqual({ processed: resumed?.processed, owner: resumed?.owner }, { processed: 1, owner: 'owner-a' });
  assert.deepEqual(await jobs.batch('leased', 1), [{ id: 'b', content: 'b' }]);
});

test('a finished job drops its items; its report is kept until the retention passes; unfinished ones are never purged', async () => {
  const now = Date.now();
  await jobs.create(newJob('done', 1), 'owner-a', [[{ id: 'a', content: 'a' }]], 'replica-1', now + 60_000);
  await jobs.create(newJob('open', 1), 'owner-a', [[{ id: 'a', content: 'a' }]], 'replica-1', now + 60_000);
  const finishedAt = new Date(now - 10_000).toISOString();
  assert.equal(await jobs.finish({ ...newJob('done', 1), status: 'succeeded', processed: 1, finishedAt }, 'replica-1'), true);
  assert.deepEqual(await jobs.batch('done', 0), []);
  assert.equal((await jobs.get('done'))?.finishedAt, finishedAt);

  assert.equal(await jobs.purge(new Date(now - 20_000).toISOString()), 0, 'within the retention');
  assert.equal(await jobs.purge(new Date(now).toISOString()), 1);
  assert.equal(await jobs.get('done'), null);
  assert.equal((await jobs.get('open'))?.status, 'queued');
});
