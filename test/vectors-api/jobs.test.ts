/** Ingest jobs never stall the service, and one key cannot run more of them than its share (real HTTP). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startListeningService } from '../client/listening.js';

const items = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, content: `export function handler${i}(request) { return request.user${i % 7}; }` }));

async function submit(url: string, key: string, count: number, prefix: string): Promise<Response> {
  return fetch(`${url}/v1/projects/jobs/collections/code/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ items: items(count, prefix) }),
  });
}

async function waitFor(url: string, key: string, jobId: string): Promise<{ status: string; processed: number; total: number }> {
  for (;;) {
    const job = (await (await fetch(`${url}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      status: string;
      processed: number;
      total: number;
    };
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a running job of 30,000 items leaves the service answering: /health and reads come back while it is still under way', { timeout: 120_000 }, async () => {
  const target = await startListeningService({ STORAGE_API_KEYS: 'writer-key-0123456789abcdef:write' });
  try {
    const accepted = await submit(target.url, 'writer-key-0123456789abcdef', 30_000, 'big');
    assert.equal(accepted.status, 202);
    const { jobId } = (await accepted.json()) as { jobId: string };
    const started = performance.now();
    const health = await fetch(`${target.url}/health`);
    const healthMs = performance.now() - started;
    assert.equal(health.status, 200);
    const during = (await (await fetch(`${target.url}/v1/jobs/${jobId}`, { headers: { authorization: 'Bearer writer-key-0123456789abcdef' } })).json()) as {
      status: string;
      processed: number;
      total: number;
    };
    // Before jobs yielded between batches, /health waited for the whole job: processed was the total by then.
    assert.equal(during.status, 'running', `after /health answered in ${healthMs.toFixed(0)} ms the job is still running`);
    assert.ok(during.processed < during.total, `${during.processed} of ${during.total} processed when /health answered`);
    const done = await waitFor(target.url, 'writer-key-0123456789abcdef', jobId);
    assert.deepEqual({ status: done.status, processed: done.processed }, { status: 'succeeded', processed: 30_000 });
  } finally {
    await target.destroy();
  }
});

test(
  'concurrent jobs are bounded per key (JOBS_MAX_RUNNING_PER_KEY) and per service (JOBS_MAX_RUNNING): 429 with Retry-After beyond',
  { timeout: 120_000 },
  async () => {
    const keys = { a: 'key-a-0123456789abcdefghij', b: 'key-b-0123456789abcdefghij', c: 'key-c-0123456789abcdefghij' };
    const target = await startListeningService({
      STORAGE_API_KEYS: Object.values(keys)
        .map((key) => `${key}:write`)
        .join(','),
      JOBS_MAX_RUNNING_PER_KEY: '1',
      JOBS_MAX_RUNNING: '2',
    });
    try {
      const first = await submit(target.url, keys.a, 20_000, 'a1');
      assert.equal(first.status, 202);
      const again = await submit(target.url, keys.a, 10, 'a2');
      assert.equal(again.status, 429);
      assert.equal(again.headers.get('retry-after'), '10');
      const body = (await again.json()) as { code: string; message: string };
      assert.equal(body.code, 'RATE_LIMITED');
      assert.match(body.message, /JOBS_MAX_RUNNING_PER_KEY/);
      const other = await submit(target.url, keys.b, 20_000, 'b1');
      assert.equal(other.status, 202, 'another key has its own share');
      const third = await submit(target.url, keys.c, 10, 'c1');
      assert.equal(third.status, 429, 'the service runs its most');
      assert.match(((await third.json()) as { message: string }).message, /JOBS_MAX_RUNNING\b/);
      await waitFor(target.url, keys.a, ((await first.json()) as { jobId: string }).jobId);
      await waitFor(target.url, keys.b, ((await other.json()) as { jobId: string }).jobId);
      assert.equal((await submit(target.url, keys.a, 10, 'a3')).status, 202, 'a finished job frees its place');
    } finally {
      await target.destroy();
    }
  },
);
