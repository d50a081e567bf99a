/** The real service over real HTTP: start, serve, log, drain on SIGTERM, keep data across restarts. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { makeDataDir } from './support/app.js';
import { startChildService } from './support/child-service.js';

test('a listening service keeps data across a restart and exits 0 on SIGTERM', async () => {
  const dataDir = makeDataDir();
  const env = { DATA_DIR: dataDir, IN_MEMORIA_STORAGE_MODE: 'local', OPENAI_API_KEY: 'sk-never-logged-123' };
  try {
    const first = await startChildService(env);
    const health = await fetch(`${first.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${first.url}/ready`);
    assert.equal(ready.status, 200);
    const readyBody = (await ready.json()) as { providers: Array<{ name: string; ok: boolean; latencyMs: number }> };
    assert.equal(readyBody.providers[0]!.name, 'relational');
    assert.equal(readyBody.providers[0]!.ok, true);

    const id = encodeURIComponent('src/a dir/ü.ts');
    const put = await fetch(`${first.url}/v1/projects/restart/files/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token-456' },
      body: JSON.stringify({ fileHash: 'abc', dependencies: ['x'] }),
    });
    assert.equal(put.status, 200, await put.text());
    const config = (await (await fetch(`${first.url}/v1/config`)).json()) as { embeddings: { openaiApiKey: string } };
    assert.equal(config.embeddings.openaiApiKey, '[redacted]');
    assert.equal(await first.stop('SIGTERM'), 0, 'graceful exit');

    const requestLines = first.output.filter((line) => line.includes('"msg":"request"'));
    assert.equal(requestLines.length, 4, 'one log line per request');
    const log = first.output.join('\n');
    assert.ok(!log.includes('sk-never-logged-123'), 'OpenAI key not logged');
    assert.ok(!log.includes('secret-token-456'), 'authorization not logged');
    assert.match(log, /environment (development|production), mode local, relational sqlite/);

    const second = await startChildService(env);
    const back = await fetch(`${second.url}/v1/projects/restart/files/${id}`);
    assert.equal(back.status, 200);
    const item = (await back.json()) as { filePath: string; dependencies: string[] };
    assert.equal(item.filePath, 'src/a dir/ü.ts');
    assert.deepEqual(item.dependencies, ['x']);
    assert.equal(await second.stop('SIGTERM'), 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('remote mode starts with PostgreSQL and Qdrant unreachable, and /ready names both', async () => {
  const dataDir = makeDataDir();
  try {
    const service = await startChildService({
      DATA_DIR: dataDir,
      IN_MEMORIA_STORAGE_MODE: 'remote',
      DATABASE_URL: 'postgres://nobody:secret-pw-789@127.0.0.1:1/none',
      POSTGRES_TIMEOUT: '1000',
      QDRANT_URL: 'http://127.0.0.1:1',
      QDRANT_TIMEOUT: '1000',
      QDRANT_RETRY_ATTEMPTS: '0',
    });
    assert.equal((await fetch(`${service.url}/health`)).status, 200);
    const ready = await fetch(`${service.url}/ready`);
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as { providers: Array<{ name: string; provider: string; ok: boolean }> };
    assert.deepEqual(
      body.providers.map((provider) => [provider.name, provider.provider, provider.ok]),
      [
        ['relational', 'postgres', false],
        ['vectors', 'qdrant', false],
      ],
    );
    const write = await fetch(`${service.url}/v1/projects/p/concepts/c`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ conceptName: 'a', conceptType: 'b' }),
    });
    assert.equal(write.status, 503);
    assert.ok(Number(write.headers.get('retry-after')) > 0);
    assert.equal(await service.stop('SIGTERM'), 0);
    assert.ok(!service.output.join('\n').includes('secret-pw-789'), 'the database password is never logged');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a second service process on a data directory in use stops at start, naming the directory; the first keeps serving', async () => {
  const dataDir = makeDataDir();
  // Local mode (SQLite holds in-memoria.db), and PostgreSQL beside the embedded vector store (nothing
  // but the vector store's directory claim stands between two such processes).
  const local = { DATA_DIR: dataDir, IN_MEMORIA_STORAGE_MODE: 'local' };
  const hybrid = {
    DATA_DIR: dataDir,
    IN_MEMORIA_STORAGE_MODE: 'hybrid',
    RELATIONAL_PROVIDER: 'postgres',
    VECTOR_PROVIDER: 'embedded',
    DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    POSTGRES_TIMEOUT: '1000',
  };
  try {
    for (const [env, inUse] of [
      [local, `${dataDir}/in-memoria.db`],
      [hybrid, `${dataDir}/vectors`],
    ] as const) {
      const first = await startChildService(env);
      try {
        await assert.rejects(startChildService(env), (error: Error) => {
          assert.match(error.message, /exited with 1/);
          assert.ok(error.message.includes(`PROVIDER_UNAVAILABLE: ${inUse} is in use by another service process`), error.message);
          assert.equal(error.message.trim().split('\n').length, 1, 'one line, no stack');
          return true;
        });
        assert.equal((await fetch(`${first.url}/health`)).status, 200);
      } finally {
        assert.equal(await first.stop('SIGTERM'), 0);
      }
      // The claim ends with its process: the next one starts.
      const next = await startChildService(env);
      assert.equal(await next.stop('SIGKILL'), null);
    }
    const after = await startChildService(hybrid);
    assert.equal(await after.stop('SIGTERM'), 0, 'a claim held by a killed process is no claim');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
