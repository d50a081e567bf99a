/**
 * The deployment files, checked where no Docker engine runs: the compose files
 * parse and are health-gated, every variable is documented, secrets fail fast,
 * and the Dockerfile keeps to its promises (see production-image.test.ts for its steps run for real).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { EnvSchema, loadConfig } from '../../src/config.js';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  restart?: string;
  profiles?: string[];
  healthcheck?: { test?: string[] | string };
  depends_on?: Record<string, { condition?: string }>;
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  stdin_open?: boolean;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const production = parse(read('docker-compose.production.yml')) as Compose;
const development = parse(read('docker-compose.dev.yml')) as Compose;
const REQUIRED_SECRETS = ['POSTGRES_PASSWORD', 'QDRANT_API_KEY', 'STORAGE_API_KEYS'];

/** Every ${VAR...} reference with its operator (`:-`, `:?`, ...) and text; `$$` escapes are not references. */
function references(text: string): Array<{ name: string; operator: string; rest: string }> {
  return [...text.replaceAll('$$', '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g)].map((match) => ({
    name: match[1]!,
    operator: match[2] ?? '',
    rest: match[3] ?? '',
  }));
}

describe('compose files', () => {
  for (const [file, compose] of [
    ['docker-compose.production.yml', production],
    ['docker-compose.dev.yml', development],
  ] as const) {
    test(`${file}: every service has a health check and a restart policy`, () => {
      assert.ok(Object.keys(compose.services).length >= 2);
      for (const [name, service] of Object.entries(compose.services)) {
        assert.ok(service.healthcheck?.test && service.healthcheck.test.length > 0, `${name} has a health check`);
        // A stdio process (In-Memoria's MCP server) is started per session by its client and must not be restarted.
        if (service.stdin_open) assert.equal(service.restart, 'no', `${name} is one-shot`);
        else assert.match(service.restart ?? '', /^(unless-stopped|always)$/, `${name} restarts`);
      }
    });

    test(`${file}: every \${VAR} is documented in env.production.example; named volumes are declared`, () => {
      const example = read('env.production.example');
      const documented = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
      const used = references(read(file));
      assert.ok(used.length > 0);
      for (const { name } of used) assert.ok(documented.has(name), `${name} is in env.production.example`);
      for (const [name, service] of Object.entries(compose.services)) {
        for (const volume of service.volumes ?? []) {
          const source = volume.split(':')[0]!;
          if (!source.startsWith('.') && !source.startsWith('/') && !source.startsWith('$')) {
            assert.ok(compose.volumes && source in compose.volumes, `${name}: volume ${source} declared`);
          }
        }
      }
    });
  }

  test('required secrets fail fast with a message; the example leaves them empty', () => {
    const used = references(read('docker-compose.production.yml'));
    const example = read('env.production.example');
    for (const secret of REQUIRED_SECRETS) {
      const uses = used.filter((reference) => reference.name === secret);
      assert.ok(uses.length > 0, `${secret} is used`);
      for (const use of uses) {
        assert.equal(use.operator, ':?', `${secret} fails when unset or empty`);
        assert.match(use.rest, /set \w+ in \.env/, `${secret} says what to do`);
      }
      assert.match(example, new RegExp(`^${secret}=$`, 'm'), `${secret} has no value in the example`);
    }
  });

  test('production: the service runs remote mode, gated on healthy PostgreSQL and Qdrant, behind Nginx', () => {
    const { postgres, qdrant, storage, nginx } = production.services;
    assert.ok(postgres && qdrant && storage && nginx);
    assert.deepEqual(storage.depends_on, { postgres: { condition: 'service_healthy' }, qdrant: { condition: 'service_healthy' } });
    assert.equal(nginx.depends_on?.storage?.condition, 'service_healthy');
    assert.equal(storage.environment?.IN_MEMORIA_STORAGE_MODE, 'remote');
    assert.equal(storage.restart, 'unless-stopped');
    assert.equal(storage.ports, undefined, 'the service is reached through Nginx only');

    // Every variable given to the service is one its config schema reads (a typo would be silently ignored).
    const known = new Set(Object.keys(EnvSchema.properties));
    for (const name of Object.keys(storage.environment ?? {})) assert.ok(known.has(name), `${name} is read by src/config.ts`);
    // The literal settings are valid for the service's own schema.
    const literal = Object.fromEntries(
      Object.entries(storage.environment ?? {})
        .filter(([, value]) => !String(value).includes('${'))
        .map(([key, value]) => [key, String(value)]),
    );
    const config = loadConfig({ ...literal, TRUST_PROXY: '172.28.0.0/24' });
    assert.equal(config.mode, 'remote');
    assert.equal(config.server.host, '0.0.0.0');
    assert.match(read('deploy/nginx.conf'), new RegExp(`client_max_body_size ${config.server.bodyLimit / 1024 / 1024}m;`), 'BODY_LIMIT equals nginx');

    assert.match(String(postgres.environment?.POSTGRES_INITDB_ARGS), /--auth-host=scram-sha-256/);
    assert.equal(postgres.environment?.POSTGRES_HOST_AUTH_METHOD, 'scram-sha-256');
    assert.match(JSON.stringify(postgres.healthcheck?.test), /pg_isready/);
    assert.match(qdrant.image ?? '', /^qdrant\/qdrant:v1\.19\.\d+$/, 'Qdrant pinned to 1.19.x');
    assert.match(String(qdrant.environment?.QDRANT__SERVICE__API_KEY), /QDRANT_API_KEY/);
    assert.match(JSON.stringify(qdrant.healthcheck?.test), /readyz/);
    assert.ok(
      (nginx.volumes ?? []).some((volume) => volume.startsWith('./deploy/nginx.conf:/etc/nginx/nginx.conf')),
      'Nginx runs deploy/nginx.conf',
    );
    assert.ok(
      (nginx.volumes ?? []).some((volume) => volume.endsWith(':/etc/nginx/certs:ro')),
      'certificates mounted from a folder',
    );
  });

  test('development: PostgreSQL and Qdrant only under profiles, on ports that do not clash with production defaults', () => {
    const productionPorts = new Set(['80', '443', '5432', '6333', '6334', '8080']);
    for (const [name, service] of Object.entries(development.services)) {
      assert.ok(service.profiles?.length, `${name} starts only with a profile`);
      for (const port of service.ports ?? []) {
        const defaultPort = /:?\$\{[A-Z_]+:-(\d+)\}:\d+$/.exec(port)?.[1] ?? port.split(':').at(-2);
        assert.ok(defaultPort && !productionPorts.has(defaultPort), `${name}: host port ${defaultPort} is free of production's`);
      }
    }
  });
});

describe('Dockerfile.production', () => {
  const dockerfile = read('Dockerfile.production');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const final = stages.at(-1) ?? '';

  test('multi-stage: builds with dev dependencies, runs with production ones only', () => {
    assert.equal(stages.length, 2);
    assert.match(stages[0]!, /RUN npm ci\b/);
    assert.match(stages[0]!, /npm run build/);
    assert.match(stages[0]!, /npm prune --omit=dev/);
    assert.match(stages[0]!, /rm -rf node_modules\/typescript/, 'TypeScript, a peer of the Qdrant client, removed too');
    // Node 24, the current LTS, in both stages (development and CI here run Node 20, past its end of life).
    assert.match(stages[0]!, /^node:24-bookworm\b/);
    assert.match(final, /^node:24-bookworm-slim\b/, 'a slim base: no compilers');
    assert.doesNotMatch(final, /apt-get|build-essential|g\+\+|python3|npm (ci|install)/, 'no toolchain installed in the final stage');
    assert.match(final, /COPY --from=build .*\/app\/node_modules/);
  });

  test('non-root user owning a data volume, NODE_ENV=production, HEALTHCHECK on /health, starts serve', () => {
    assert.match(final, /^USER storage$/m);
    assert.match(final, /chown storage:storage \/data/);
    assert.match(final, /VOLUME \["\/data"\]/);
    assert.match(final, /NODE_ENV=production/);
    assert.match(final, /HEALTHCHECK [^\n]*\\\n\s+CMD .*\/health/);
    assert.match(final, /CMD \["node", "dist\/cli\/main.js", "serve"\]/);
  });

  test('glibc returns large freed blocks to the system under npm start (local mode), not in the remote-mode image; two arenas in both (README, "Memory")', () => {
    assert.doesNotMatch(final, /^(ENV|\s)[^#\n]*MALLOC_MMAP_THRESHOLD_/m);
    assert.match(final, /^\s+MALLOC_ARENA_MAX=2\b/m);
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!;
    assert.match(
      start,
      /MALLOC_MMAP_THRESHOLD_=\$\{MALLOC_MMAP_THRESHOLD_:-131072\} MALLOC_ARENA_MAX=\$\{MALLOC_ARENA_MAX:-2\} node dist\/cli\/main\.js serve/,
    );
  });

  test('no secrets baked in; .dockerignore keeps env files and certificates out', () => {
    assert.doesNotMatch(dockerfile, /^(ENV|ARG)\b[^\n]*(PASSWORD|API_KEY|SECRET|TOKEN|STORAGE_API_KEYS)/m);
    const ignore = read('.dockerignore').split('\n');
    for (const entry of ['.env', 'deploy/certs', 'data', 'node_modules']) assert.ok(ignore.includes(entry), `.dockerignore has ${entry}`);
  });
});
