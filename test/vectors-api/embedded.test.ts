/** The vector API over HTTP on the embedded store (local mode), plus persistence across a restart. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contractEnv, runVectorApiContract } from '../contracts/vector-api.js';
import { makeDataDir, startTestService } from '../support/app.js';

runVectorApiContract('embedded', () => startTestService({ env: contractEnv }));

test('vectors survive a restart of the service on the same data directory', async () => {
  const dataDir = makeDataDir();
  const first = await startTestService({ dataDir });
  const put = await first.app.inject({
    method: 'PUT',
    url: '/v1/projects/keep/collections/code/documents/a',
    payload: { content: 'function keepMe() {}', metadata: { language: 'js' } },
  });
  assert.equal(put.statusCode, 200, put.body);
  await first.stop();
  const second = await startTestService({ dataDir });
  try {
    const results = JSON.parse(
      (await second.app.inject({ method: 'POST', url: '/v1/projects/keep/collections/code/search', payload: { query: 'keep me', limit: 1 } })).body,
    ).results;
    assert.equal(results[0].id, 'a');
    assert.deepEqual(results[0].metadata, { language: 'js' });
  } finally {
    await second.destroy();
  }
});
