/** Configuration: one schema over the environment, detection, modes, redaction, clear errors. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, redactConfig } from '../src/config.js';

const noContainer = { dockerEnvFile: '/nonexistent/.dockerenv' };
const withContainer = { dockerEnvFile: process.argv[1]! }; // any file that exists stands in for /.dockerenv

describe('environment and mode detection', () => {
  test('development by default, local mode, SQLite under ./data on 127.0.0.1:8080', () => {
    const config = loadConfig({}, noContainer);
    assert.equal(config.environment, 'development');
    assert.equal(config.container, false);
    assert.equal(config.mode, 'local');
    assert.equal(config.relational.provider, 'sqlite');
    assert.equal(config.vectors.provider, 'embedded');
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 8080);
    assert.ok(config.dataDir.endsWith('/data'));
  });

  test('test environment from NODE_ENV', () => {
    assert.equal(loadConfig({ NODE_ENV: 'test' }, noContainer).environment, 'test');
  });

  const remoteStores = { DATABASE_URL: 'postgres://u:p@db/x', QDRANT_URL: 'http://qdrant:6333' };

  test('production from NODE_ENV or any container marker, and then remote mode', () => {
    for (const [env, probe] of [
      [{ NODE_ENV: 'production' }, noContainer],
      [{ DOCKER_ENV: 'true' }, noContainer],
      [{ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, noContainer],
      [{}, withContainer],
    ] as const) {
      const config = loadConfig({ ...env, ...remoteStores }, probe);
      assert.equal(config.environment, 'production', JSON.stringify(env));
      assert.equal(config.mode, 'remote');
      assert.equal(config.relational.provider, 'postgres');
      assert.equal(config.vectors.provider, 'qdrant');
    }
    assert.equal(loadConfig(remoteStores, withContainer).container, true);
  });

  test('remote mode chosen by detection, without its stores: one line naming the signal, the variable and the way to local', () => {
    for (const [env, probe, signal, missing] of [
      [{}, withContainer, `a container was detected \\(${withContainer.dockerEnvFile} exists\\)`, 'DATABASE_URL \\(or POSTGRES_HOST\\)'],
      [{ DOCKER_ENV: 'true', POSTGRES_HOST: 'db' }, noContainer, 'a container was detected \\(DOCKER_ENV is set\\)', 'QDRANT_URL'],
      [
        { KUBERNETES_SERVICE_HOST: '10.0.0.1', QDRANT_URL: 'http://q:6333' },
        noContainer,
        'a container was detected \\(KUBERNETES_SERVICE_HOST is set\\)',
        'DATABASE_URL \\(or POSTGRES_HOST\\)',
      ],
      [{ NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db/x' }, noContainer, 'NODE_ENV=production', 'QDRANT_URL'],
    ] as const) {
      assert.throws(
        () => loadConfig(env, probe),
        (error: Error) => {
          assert.ok(error instanceof ConfigError);
          assert.match(
            error.message,
            new RegExp(`^remote mode was chosen because ${signal}, but ${missing} is not set: set it, or set IN_MEMORIA_STORAGE_MODE=local `),
          );
          assert.equal(error.message.includes('\n'), false);
          return true;
        },
      );
    }
    // Asked for explicitly, remote mode keeps libpq's defaults (PGHOST, a local socket).
    assert.equal(loadConfig({ IN_MEMORIA_STORAGE_MODE: 'remote' }, withContainer).mode, 'remote');
  });

  test('the CLI in a container without PostgreSQL settings: exit 2 and that line, before touching any store', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'import-in-memoria', '--db', '../shared/fixtures/in-memoria-0.4.1.db', '--project', 'p'],
      {
        env: { PATH: process.env.PATH ?? '', DOCKER_ENV: 'true', DATA_DIR: '/nonexistent/data' },
        encoding: 'utf8',
      },
    );
    assert.equal(result.status, 2, result.stderr);
    assert.match(
      result.stderr,
      /^in-memoria-storage: configuration error: remote mode was chosen because a container was detected \(DOCKER_ENV is set\), but DATABASE_URL \(or POSTGRES_HOST\) is not set: .*IN_MEMORIA_STORAGE_MODE=local/m,
    );
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  });

  test('IN_MEMORIA_STORAGE_MODE overrides detection; hybrid picks each provider', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production', IN_MEMORIA_STORAGE_MODE: 'local' }, noContainer).mode, 'local');
    const hybrid = loadConfig({ IN_MEMORIA_STORAGE_MODE: 'hybrid', RELATIONAL_PROVIDER: 'postgres', VECTOR_PROVIDER: 'embedded' }, noContainer);
    assert.equal(hybrid.relational.provider, 'postgres');
    assert.equal(hybrid.vectors.provider, 'embedded');
  });

  test("TLS settings: POSTGRES_SSL_* win over the URL's sslmode and sslrootcert, which win over POSTGRES_SSL", () => {
    const tls = (env: Record<string, string>) => {
      const relational = loadConfig({ IN_MEMORIA_STORAGE_MODE: 'remote', ...env }, noContainer).relational;
      assert.equal(relational.provider, 'postgres');
      return [relational.sslMode, relational.sslCaFile];
    };
    const url = 'postgres://u@db/x?sslmode=verify-ca&sslrootcert=/url/ca.pem';
    assert.deepEqual(tls({}), ['disable', undefined]);
    assert.deepEqual(tls({ POSTGRES_SSL: 'true' }), ['verify-full', undefined]);
    assert.deepEqual(tls({ DATABASE_URL: url, POSTGRES_SSL: 'true' }), ['verify-ca', '/url/ca.pem']);
    assert.deepEqual(tls({ DATABASE_URL: url, POSTGRES_SSL_MODE: 'require', POSTGRES_SSL_CERT: '/env/ca.pem' }), ['require', '/env/ca.pem']);
  });

  test('values are converted to their types', () => {
    const config = loadConfig({ PORT: '9090', POSTGRES_PORT: '5433', IN_MEMORIA_STORAGE_MODE: 'remote', POSTGRES_SSL: 'true' }, noContainer);
    assert.equal(config.server.port, 9090);
    assert.equal(config.relational.provider === 'postgres' && config.relational.port, 5433);
    assert.equal(config.relational.provider === 'postgres' && config.relational.sslMode, 'verify-full');
  });

  test('collection limits: VECTOR_MODELS as model:dimensions (a model may hold colons), 100 collections per project', () => {
    assert.deepEqual(loadConfig({}, noContainer).collections, { allowedModels: [], maxPerProject: 100 });
    const config = loadConfig({ VECTOR_MODELS: 'text-embedding-3-large:3072, org/model:v2:768', MAX_COLLECTIONS_PER_PROJECT: '7' }, noContainer);
    assert.deepEqual(config.collections, {
      allowedModels: [
        { model: 'text-embedding-3-large', dimensions: 3072 },
        { model: 'org/model:v2', dimensions: 768 },
      ],
      maxPerProject: 7,
    });
  });
});

describe('bad values stop start-up with one line naming the variable', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /^Invalid PORT="eighty": expected an integer in \[0, 65535\]$/],
    [{ PORT: '70000' }, /^Invalid PORT=/],
    [{ IN_MEMORIA_STORAGE_MODE: 'cloud' }, /^Invalid IN_MEMORIA_STORAGE_MODE="cloud": expected one of local, remote, hybrid$/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid LOG_LEVEL=.*expected one of fatal, error/],
    [{ POSTGRES_SSL_MODE: 'prefer' }, /^Invalid POSTGRES_SSL_MODE=.*disable, require, verify-ca, verify-full$/],
    [
      { IN_MEMORIA_STORAGE_MODE: 'remote', DATABASE_URL: 'postgres://u:pw@db/x?sslmode=prefer' },
      /^Invalid DATABASE_URL sslmode="prefer": expected one of disable, require, verify-ca, verify-full$/,
    ],
    [{ IN_MEMORIA_STORAGE_MODE: 'remote', DATABASE_URL: 'not a url' }, /^Invalid DATABASE_URL: expected postgres:\/\//],
    [{ EMBEDDING_DIMENSIONS: '3' }, /^Invalid EMBEDDING_DIMENSIONS=/],
    [{ VECTOR_MODELS: 'text-embedding-3-large' }, /^VECTOR_MODELS: "text-embedding-3-large" is not model:dimensions/],
    [{ VECTOR_MODELS: 'm:0' }, /^VECTOR_MODELS: "m:0" is not model:dimensions/],
    [{ MAX_COLLECTIONS_PER_PROJECT: '0' }, /^Invalid MAX_COLLECTIONS_PER_PROJECT=/],
    // Rules across variables are checked when the configuration is built, not when a provider opens.
    [{ EMBEDDING_PROVIDER: 'openai' }, /^EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY \(or OPENAI_BASE_URL/],
    [
      { OPENAI_API_KEY: 'sk-test', EMBEDDING_MODEL: 'my-model' },
      /^Invalid EMBEDDING_MODEL \/ EMBEDDING_DIMENSIONS: embedding model "my-model" has no known size/,
    ],
    [{ OPENAI_API_KEY: 'sk-test', EMBEDDING_MODEL: 'text-embedding-ada-002', EMBEDDING_DIMENSIONS: '512' }, /only produces 1536 dimensions, not 512/],
    [
      { IN_MEMORIA_STORAGE_MODE: 'remote', DATABASE_URL: 'postgres://u@db/x', QDRANT_URL: 'http://q:6333', POSTGRES_SSL_MODE: 'verify-ca' },
      /^Invalid POSTGRES_SSL_MODE="verify-ca": needs POSTGRES_SSL_CERT/,
    ],
  ];
  for (const [env, message] of cases) {
    test(JSON.stringify(env), () => {
      assert.throws(
        () => loadConfig(env, noContainer),
        (error: unknown) => error instanceof ConfigError && message.test(error.message) && !error.message.includes('\n'),
      );
    });
  }
});

test('redaction hides every secret', () => {
  const secrets = {
    POSTGRES_PASSWORD: 'pg-secret-1',
    QDRANT_API_KEY: 'qd-secret-2',
    OPENAI_API_KEY: 'sk-secret-3',
    STORAGE_API_KEYS: 'k1:admin',
    DATABASE_URL: 'postgres://u:url-secret-4@db/x',
  };
  const remote = JSON.stringify(redactConfig(loadConfig({ ...secrets, IN_MEMORIA_STORAGE_MODE: 'remote' }, noContainer)));
  for (const secret of ['pg-secret-1', 'qd-secret-2', 'sk-secret-3', 'k1:admin', 'url-secret-4']) assert.ok(!remote.includes(secret), secret);
  assert.ok(remote.includes('[redacted]'));
});

test('redaction: userinfo and credential parameters of every URL (DATABASE_URL, QDRANT_URL, OPENAI_BASE_URL)', () => {
  const env = {
    IN_MEMORIA_STORAGE_MODE: 'remote',
    DATABASE_URL: 'postgres://app-user-1@db.internal:5432/app?password=url-pass-2&sslmode=require&application_name=ims',
    QDRANT_URL: 'https://qd-user-3:qd-pass-4@qdrant.internal:6333/?api_key=qd-key-5',
    OPENAI_BASE_URL: 'https://llm.internal/v1?access_token=oa-token-6&Secret=oa-secret-7',
  };
  const redacted = redactConfig(loadConfig(env, noContainer)) as {
    relational: { connectionString: string };
    vectors: { url: string };
    embeddings: { openaiBaseUrl: string };
  };
  const printed = JSON.stringify(redacted);
  for (const secret of ['app-user-1', 'url-pass-2', 'qd-user-3', 'qd-pass-4', 'qd-key-5', 'oa-token-6', 'oa-secret-7']) {
    assert.ok(!printed.includes(secret), secret);
  }
  assert.equal(redacted.relational.connectionString, 'postgres://redacted@db.internal:5432/app?password=redacted&sslmode=require&application_name=ims');
  assert.equal(redacted.vectors.url, 'https://redacted:redacted@qdrant.internal:6333/?api_key=redacted');
  assert.equal(redacted.embeddings.openaiBaseUrl, 'https://llm.internal/v1?access_token=redacted&Secret=redacted');
});

test('the CLI names a bad variable in one line, exit 2', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: { PATH: process.env.PATH, PORT: 'x' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 2);
  assert.equal(result.stderr.trim(), 'in-memoria-storage: configuration error: Invalid PORT="x": expected an integer in [0, 65535]');
});
