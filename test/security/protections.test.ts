/** Secure defaults: start-up without keys, security headers, CORS, per-key rate limits, load shedding. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { makeDataDir, startTestService, type TestService } from '../support/app.js';
import { startChildService } from '../support/child-service.js';

const key = 'protect-key-0123456789abcdef0123';
const other = 'protect-other-0123456789abcdef01';

test('production without keys refuses to start, in one line, exit 2', () => {
  const dataDir = makeDataDir();
  try {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', IN_MEMORIA_STORAGE_MODE: 'local', DATA_DIR: dataDir, PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr.trim(), /^in-memoria-storage: configuration error: STORAGE_API_KEYS \(or STORAGE_API_KEYS_FILE\) is required in production/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('without keys the API is served on loopback only; declared or reachable production refuses', async () => {
  const { loadConfig } = await import('../../src/config.js');
  const { listenHost } = await import('../../src/server.js');
  const outside = { dockerEnvFile: '/nonexistent' };
  const inside = { dockerEnvFile: process.execPath }; // any file that exists: "inside a container"
  const warnings: string[] = [];
  const log = { warn: (message: string) => warnings.push(message) };

  assert.equal(listenHost(loadConfig({ HOST: '0.0.0.0' }, outside), log), '127.0.0.1');
  assert.match(warnings.pop()!, /no API keys configured.*127\.0\.0\.1 only \(HOST=0\.0\.0\.0 ignored\)/);
  const local = { IN_MEMORIA_STORAGE_MODE: 'local' };
  assert.equal(listenHost(loadConfig(local, inside), log), '127.0.0.1', 'a container on loopback is reachable from nowhere else');
  assert.match(warnings.pop()!, /listens on 127\.0\.0\.1 only$/);
  assert.throws(
    () => loadConfig({ ...local, HOST: '0.0.0.0' }, inside, { serving: true }),
    /STORAGE_API_KEYS \(or STORAGE_API_KEYS_FILE\) is required in production/,
  );
  assert.throws(
    () => loadConfig({ ...local, NODE_ENV: 'production' }, outside, { serving: true }),
    /STORAGE_API_KEYS \(or STORAGE_API_KEYS_FILE\) is required in production/,
  );
  assert.equal(listenHost(loadConfig({ ...local, NODE_ENV: 'production', HOST: '0.0.0.0', STORAGE_API_KEYS: `${key}:admin` }, outside), log), '0.0.0.0');
  assert.equal(loadConfig({ ...local, NODE_ENV: 'production' }, outside).environment, 'production', 'the CLI (export, import) serves nothing: no keys needed');
  assert.deepEqual(warnings, []);
});

test('production refuses keys shorter than 24 characters, naming which entry; elsewhere they are a warning', async () => {
  const { loadConfig, ConfigError } = await import('../../src/config.js');
  const { listenHost } = await import('../../src/server.js');
  const outside = { dockerEnvFile: '/nonexistent' };
  const warnings: string[] = [];
  const log = { warn: (message: string) => warnings.push(message) };
  const keys = `${key}:admin,short-key-23-characters:read`;
  assert.throws(
    () => loadConfig({ NODE_ENV: 'production', IN_MEMORIA_STORAGE_MODE: 'local', STORAGE_API_KEYS: keys }, outside, { serving: true }),
    (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(
        error.message,
        'STORAGE_API_KEYS: key 2 is shorter than 24 characters, which production refuses: use long random keys (openssl rand -hex 32)',
      );
      return true;
    },
  );
  assert.equal(listenHost(loadConfig({ IN_MEMORIA_STORAGE_MODE: 'local', STORAGE_API_KEYS: keys }, outside), log), '127.0.0.1');
  assert.match(warnings.pop()!, /1 API key\(s\) shorter than 24 characters/);
  assert.doesNotMatch(JSON.stringify(warnings), /short-key-23-characters/, 'the key itself is never printed');
});

test('a local service started without keys in a child process listens on loopback and logs why', async () => {
  const dataDir = makeDataDir();
  try {
    const service = await startChildService({ DATA_DIR: dataDir, IN_MEMORIA_STORAGE_MODE: 'local' });
    assert.match(service.url, /^http:\/\/127\.0\.0\.1:/);
    assert.ok(
      service.output.some((line) => /"level":40.*no API keys configured/.test(line)),
      service.output.join('\n'),
    );
    assert.equal(await service.stop('SIGTERM'), 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a bad key entry stops start-up naming its position, never the key', async () => {
  const { loadConfig, ConfigError } = await import('../../src/config.js');
  for (const [value, message] of [
    ['secret-value-1:root', /STORAGE_API_KEYS entry 1: role must be one of read, write, admin/],
    ['ok-key-000000000001:read,secret-value-2:write:Bad Project', /STORAGE_API_KEYS entry 2: projects must be project ids/],
    ['secret-value-3:read,secret-value-3:admin', /entry 2: the same key appears twice/],
  ] as const) {
    assert.throws(
      () => loadConfig({ STORAGE_API_KEYS: value }, { dockerEnvFile: '/nonexistent' }),
      (error: unknown) => {
        return error instanceof ConfigError && message.test(error.message) && !/secret-value/.test(error.message);
      },
    );
  }
});

test('security headers on every answer; CORS off unless configured, then only for its origins', async () => {
  const closed = await startTestService();
  try {
    const response = await closed.app.inject({ method: 'GET', url: '/v1/projects', headers: { origin: 'https://evil.example' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  } finally {
    await closed.destroy();
  }
  const open = await startTestService({ env: { CORS_ORIGINS: 'https://app.example.com' } });
  try {
    const preflight = await open.app.inject({
      method: 'OPTIONS',
      url: '/v1/projects',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example.com');
    const evil = await open.app.inject({ method: 'GET', url: '/v1/projects', headers: { origin: 'https://evil.example' } });
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
  } finally {
    await open.destroy();
  }
});

test('rate limits are per key: 429 with Retry-After, other keys and probes unaffected', async () => {
  const service = await startTestService({ env: { STORAGE_API_KEYS: `${key}:read,${other}:read`, RATE_LIMIT_MAX: '5' } });
  try {
    const get = (token: string) => service.app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 5; i++) assert.equal((await get(key)).statusCode, 200);
    const limited = await get(key);
    assert.equal(limited.statusCode, 429);
    assert.equal(JSON.parse(limited.body).code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After is set');
    assert.equal((await get(other)).statusCode, 200, 'another key has its own budget');
    for (let i = 0; i < 10; i++) assert.equal((await service.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  } finally {
    await service.destroy();
  }
});

test('rate limits are counted per replica, as the scaling guide says: two replicas give a key twice the budget', async () => {
  const env = { STORAGE_API_KEYS: `${key}:read`, RATE_LIMIT_MAX: '3' };
  const first = await startTestService({ env });
  const second = await startTestService({ env, dataDir: makeDataDir() });
  try {
    const get = (replica: TestService) => replica.app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${key}` } });
    const statuses: number[] = [];
    // Round robin, as Nginx spreads one key's requests.
    for (let i = 0; i < 4; i++) for (const replica of [first, second]) statuses.push((await get(replica)).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429, 429]);
  } finally {
    await first.destroy();
    await second.destroy();
  }
});

/** Blocks the event loop for `ms` (synchronous work, as a large parse would), lets timers run, then asks for a route that can be shed. */
async function stallThenRequest(service: TestService, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {}
  await new Promise((resolve) => setTimeout(resolve, 1));
  return service.app.inject({ method: 'GET', url: '/v1/projects' });
}

test('start-up is not an overload: the first requests after start are served, not shed', async () => {
  // Building the app (compiling every route's schemas) stalls the loop across a whole sample window,
  // which under-pressure reads as an infinite delay; the requests run past the start-up grace too.
  const service = await startTestService({ env: { LOAD_SHED_EVENT_LOOP_DELAY_MS: '300' } });
  try {
    for (let i = 0; i < 20; i++) {
      const response = await service.app.inject({ method: 'GET', url: '/v1/projects' });
      assert.equal(response.statusCode, 200, `request ${i}: ${response.body}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await service.destroy();
  }
});

test('stalls shorter than the limit never shed: a large batch parsed in 150 ms is not an overload', async () => {
  const service = await startTestService({ env: { LOAD_SHED_EVENT_LOOP_DELAY_MS: '300' } });
  try {
    await new Promise((resolve) => setTimeout(resolve, 700));
    // Before the fix, a 150 ms stall covering a whole 100 ms sample window read as an infinite delay.
    for (let round = 0; round < 15; round++) {
      const response = await stallThenRequest(service, 150);
      assert.equal(response.statusCode, 200, `round ${round}: ${response.body}`);
    }
  } finally {
    await service.destroy();
  }
});

test('an event loop that falls behind sheds requests with 503 OVERLOADED and Retry-After, then recovers', async () => {
  const service = await startTestService({ env: { LOAD_SHED_EVENT_LOOP_DELAY_MS: '100' } });
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await service.app.inject({ method: 'GET', url: '/v1/projects' })).statusCode, 200);
    // Sustained stalls, as a flood of synchronous work would cause: the sampled mean delay exceeds the limit.
    let shed: Awaited<ReturnType<typeof stallThenRequest>> | undefined;
    for (let round = 0; round < 20 && !shed; round++) {
      const response = await stallThenRequest(service, 200);
      if (response.statusCode !== 200) shed = response;
    }
    assert.ok(shed, 'some request was shed');
    assert.equal(shed.statusCode, 503, shed.body);
    assert.equal(JSON.parse(shed.body).code, 'OVERLOADED');
    assert.ok(Number(shed.headers['retry-after']) > 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await service.app.inject({ method: 'GET', url: '/v1/projects' })).statusCode, 200, 'recovers once the loop keeps up');
  } finally {
    await service.destroy();
  }
});

test('without keys only loopback Host names are served (DNS rebinding); with keys any Host is', async () => {
  const keyless = await startTestService();
  const keyed = await startTestService({ env: { STORAGE_API_KEYS: `${key}:admin` } });
  try {
    const put = { method: 'PUT' as const, url: '/v1/projects/p/concepts/c1', payload: { conceptName: 'A', conceptType: 'class' } };
    for (const host of ['rebind.attacker.example', 'rebind.attacker.example:8080', '127.0.0.1.nip.example', '10.0.0.1:8080']) {
      for (const request of [
        put,
        { method: 'GET' as const, url: '/v1/export' },
        { method: 'DELETE' as const, url: '/v1/projects/p' },
        { method: 'GET' as const, url: '/health' },
      ]) {
        const response = await keyless.app.inject({ ...request, headers: { host } });
        assert.equal(response.statusCode, 403, `${host} ${request.method} ${request.url}`);
        assert.equal(JSON.parse(response.body).code, 'UNTRUSTED_HOST');
      }
    }
    assert.equal((await keyless.app.inject({ method: 'GET', url: '/v1/projects/p/concepts/count' })).body, '{"count":0}', 'nothing was written');
    for (const host of ['localhost', 'LOCALHOST:8080', '127.0.0.1', '127.0.0.1:1234', '[::1]', '[::1]:8080']) {
      const response = await keyless.app.inject({ ...put, headers: { host } });
      assert.equal(response.statusCode, 200, `${host}: ${response.body}`);
    }
    const proxied = await keyed.app.inject({ ...put, headers: { host: 'storage.example.com', authorization: `Bearer ${key}` } });
    assert.equal(proxied.statusCode, 200, 'with keys, a real domain behind a proxy is fine');
  } finally {
    await keyless.destroy();
    await keyed.destroy();
  }
});

test('failed authentications are limited per client address: 429 with Retry-After, other addresses unaffected', async () => {
  const service = await startTestService({ env: { STORAGE_API_KEYS: `${key}:read`, AUTH_FAILURE_LIMIT: '5' } });
  try {
    const get = (remoteAddress: string, authorization?: string) =>
      service.app.inject({ method: 'GET', url: '/v1/projects', remoteAddress, headers: authorization ? { authorization } : {} });
    for (let attempt = 0; attempt < 5; attempt++) assert.equal((await get('203.0.113.7', `Bearer wrong-key-${attempt}`)).statusCode, 401);
    const limited = await get('203.0.113.7', 'Bearer wrong-key-6');
    assert.equal(limited.statusCode, 429);
    assert.equal(JSON.parse(limited.body).code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60, String(limited.headers['retry-after']));
    assert.equal((await get('203.0.113.7', `Bearer ${key}`)).statusCode, 429, 'a right guess after the limit does not get in either');
    assert.equal((await get('203.0.113.8', `Bearer ${key}`)).statusCode, 200, 'another address is not limited');
    assert.equal((await get('203.0.113.8')).statusCode, 401, 'nor counted with the first');
    assert.equal((await service.app.inject({ method: 'GET', url: '/health', remoteAddress: '203.0.113.7' })).statusCode, 200, 'open routes stay open');
  } finally {
    await service.destroy();
  }
});

test('/ready, open to anyone, says what kind of failure and never an internal address; the log has the details', async () => {
  const { publicReason } = await import('../../src/routes/health.js');
  const { freePort } = await import('../support/ports.js');
  const port = await freePort();
  const service = await startTestService({
    env: {
      IN_MEMORIA_STORAGE_MODE: 'hybrid',
      RELATIONAL_PROVIDER: 'sqlite',
      VECTOR_PROVIDER: 'qdrant',
      QDRANT_URL: `http://127.0.0.1:${port}`,
      QDRANT_RETRY_ATTEMPTS: '0',
    },
  });
  try {
    const ready = await service.app.inject({ method: 'GET', url: '/ready' });
    assert.equal(ready.statusCode, 503);
    const vectors = (JSON.parse(ready.body) as { providers: Array<{ name: string; error?: string }> }).providers.find(
      (provider) => provider.name === 'vectors',
    )!;
    assert.equal(vectors.error, 'Qdrant is unavailable');
    assert.doesNotMatch(ready.body, new RegExp(`127\\.0\\.0\\.1|${port}|ECONNREFUSED`));
  } finally {
    await service.destroy();
  }
  assert.equal(publicReason(new Error('PostgreSQL is unavailable: connect ECONNREFUSED 10.0.3.7:5432')), 'PostgreSQL is unavailable');
  assert.equal(
    publicReason(new Error('PostgreSQL is unavailable: TLS failed (TLS verify-full): self-signed certificate')),
    'PostgreSQL is unavailable: TLS failed (TLS verify-full)',
  );
  assert.equal(publicReason(new Error('SQLite is unavailable (SQLITE_BUSY)')), 'SQLite is unavailable (SQLITE_BUSY)');
  assert.equal(
    publicReason(new Error('Qdrant at https://qd.internal:6333 is unavailable: authentication failed (401); check QDRANT_API_KEY')),
    'Qdrant is unavailable: authentication failed (401)',
  );
  assert.equal(publicReason(new Error('no answer within 2000 ms')), 'no answer within 2000 ms');
  assert.equal(publicReason(new Error('getaddrinfo ENOTFOUND db.internal')), 'unavailable');
});
