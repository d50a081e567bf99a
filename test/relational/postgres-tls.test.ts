/**
 * TLS modes against a server whose certificate (for `localhost` only) this
 * test signs with its own CA: each mode does what libpq's mode of that name
 * does, which is not what node-postgres does by default.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { createPostgresStore } from '../../src/relational/postgres.js';
import type { PostgresSettings } from '../../src/relational/postgres-connection.js';
import { startTestService } from '../support/app.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let server: TestPostgres;
let dir: string;
const files = { ca: '', wrongCa: '', cert: '', key: '' };

function openssl(...args: string[]) {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/** A CA, a second unrelated CA, and a server certificate for DNS:localhost signed by the first. */
function makeCertificates(): void {
  const file = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=ims test CA');
  openssl('req', '-x509', ...ec, '-keyout', file('wrong.key'), '-out', file('wrong.crt'), '-days', '2', '-subj', '/CN=ims other CA');
  openssl('req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(file('ext.cnf'), 'subjectAltName=DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '2',
    '-extfile',
    file('ext.cnf'),
  );
  Object.assign(files, { ca: file('ca.crt'), wrongCa: file('wrong.crt'), cert: file('server.crt'), key: file('server.key') });
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ims-tls-'));
  makeCertificates();
  server = await startPostgres({ ssl: { certFile: files.cert, keyFile: files.key } });
});
after(() => {
  server?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function settings(overrides: Partial<PostgresSettings>): PostgresSettings {
  return {
    provider: 'postgres',
    host: 'localhost',
    port: server.port,
    user: server.user,
    database: 'postgres',
    sslMode: 'disable',
    poolSize: 1,
    timeoutMs: 3000,
    ...overrides,
  };
}

/** Connects with the settings and says whether the session is encrypted. */
async function sessionUsesTls(overrides: Partial<PostgresSettings>): Promise<boolean> {
  const store = createPostgresStore({ settings: settings(overrides) });
  try {
    const [row] = await store.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return row!.ssl;
  } finally {
    await store.close();
  }
}

async function connectionError(overrides: Partial<PostgresSettings>): Promise<AppError> {
  const store = createPostgresStore({ settings: settings(overrides) });
  try {
    await store.health();
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, 'PROVIDER_UNAVAILABLE');
    return error;
  } finally {
    await store.close();
  }
  return assert.fail('connected although it should not have');
}

describe('POSTGRES_SSL_MODE', () => {
  test('disable connects without TLS', async () => {
    assert.equal(await sessionUsesTls({ sslMode: 'disable' }), false);
  });

  test('require connects over TLS without verifying the certificate', async () => {
    assert.equal(await sessionUsesTls({ sslMode: 'require' }), true);
    assert.equal(await sessionUsesTls({ sslMode: 'require', host: '127.0.0.1' }), true, 'nor the host name');
  });

  test('require with a CA file verifies the chain, as libpq does', async () => {
    assert.equal(await sessionUsesTls({ sslMode: 'require', sslCaFile: files.ca, host: '127.0.0.1' }), true);
    assert.match((await connectionError({ sslMode: 'require', sslCaFile: files.wrongCa })).message, /TLS failed \(TLS require\)/);
  });

  test('verify-ca checks the chain but not the host name', async () => {
    assert.equal(await sessionUsesTls({ sslMode: 'verify-ca', sslCaFile: files.ca, host: '127.0.0.1' }), true);
    const wrong = await connectionError({ sslMode: 'verify-ca', sslCaFile: files.wrongCa });
    assert.match(wrong.message, /^PostgreSQL is unavailable: TLS failed \(TLS verify-ca\): .*(self-signed|unable to verify|certificate)/i);
  });

  // verify-ca without a CA file never reaches the store: loadConfig refuses it (test/config.test.ts).

  test('verify-full checks the chain and the host name', async () => {
    assert.equal(await sessionUsesTls({ sslMode: 'verify-full', sslCaFile: files.ca }), true);
    const wrongCa = await connectionError({ sslMode: 'verify-full', sslCaFile: files.wrongCa });
    assert.match(wrongCa.message, /TLS failed \(TLS verify-full\): .*(self-signed|unable to verify|certificate)/i);
    const wrongHost = await connectionError({ sslMode: 'verify-full', sslCaFile: files.ca, host: '127.0.0.1' });
    assert.match(wrongHost.message, /TLS failed \(TLS verify-full\): .*(altnames|Hostname\/IP does not match)/i);
  });

  test('a missing CA file is a configuration error naming the variable', () => {
    assert.throws(
      () => createPostgresStore({ settings: settings({ sslMode: 'verify-full', sslCaFile: path.join(dir, 'absent.crt') }) }),
      (error: unknown) => error instanceof ConfigError && /^Invalid POSTGRES_SSL_CERT=.*ENOENT/.test(error.message),
    );
  });
});

describe('through the service configuration', () => {
  const base = () => ({ IN_MEMORIA_STORAGE_MODE: 'hybrid', RELATIONAL_PROVIDER: 'postgres', VECTOR_PROVIDER: 'embedded' });

  test('POSTGRES_* with verify-full and the right CA: ready', async () => {
    const service = await startTestService({
      env: {
        ...base(),
        POSTGRES_HOST: 'localhost',
        POSTGRES_PORT: String(server.port),
        POSTGRES_USER: server.user,
        POSTGRES_DB: 'postgres',
        POSTGRES_SSL: 'true',
        POSTGRES_SSL_CERT: files.ca,
      },
    });
    try {
      const ready = await service.app.inject({ method: 'GET', url: '/ready' });
      assert.equal(ready.statusCode, 200, ready.body);
    } finally {
      await service.destroy();
    }
  });

  test("sslmode=require in DATABASE_URL means require, not node-postgres's verify-full", async () => {
    const service = await startTestService({ env: { ...base(), DATABASE_URL: `postgres://${server.user}@127.0.0.1:${server.port}/postgres?sslmode=require` } });
    try {
      const ready = await service.app.inject({ method: 'GET', url: '/ready' });
      assert.equal(ready.statusCode, 200, ready.body);
    } finally {
      await service.destroy();
    }
  });

  test('the wrong CA: the service starts, /ready says why it is not ready', async () => {
    const service = await startTestService({
      env: {
        ...base(),
        DATABASE_URL: `postgres://${server.user}@localhost:${server.port}/postgres`,
        POSTGRES_SSL_MODE: 'verify-full',
        POSTGRES_SSL_CERT: files.wrongCa,
        POSTGRES_TIMEOUT: '2000',
      },
    });
    try {
      const ready = await service.app.inject({ method: 'GET', url: '/ready' });
      assert.equal(ready.statusCode, 503);
      assert.match(JSON.parse(ready.body).providers[0].error, /TLS failed \(TLS verify-full\)/);
    } finally {
      await service.destroy();
    }
  });
});
