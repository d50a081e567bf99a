/**
 * The auth matrix: every route the app registers (enumerated, so a new route is covered without
 * editing this file) x no key / wrong key / read / write / admin / a key of another project.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import type { Role } from '../../src/config.js';
import { createKeyring } from '../../src/auth.js';
import { startTestService, type TestService } from '../support/app.js';

const keys = {
  admin: 'admin-key-0123456789abcdef0123',
  write: 'write-key-0123456789abcdef0123',
  read: 'read-key-0123456789abcdef01234',
  // An admin, but only of project "beta": it must see nothing of "alpha".
  other: 'beta-admin-key-0123456789abcdef',
  // Writes to "alpha" only.
  alpha: 'alpha-write-key-0123456789abcde',
};
const apiKeys = `${keys.admin}:admin,${keys.write}:write,${keys.read}:read,${keys.other}:admin:beta,${keys.alpha}:write:alpha`;
const rank: Record<Role, number> = { read: 1, write: 2, admin: 3 };

interface Route {
  method: string;
  url: string;
  role?: Role;
}

const routes: Route[] = [];
let service: TestService;

before(async () => {
  service = await startTestService({
    // The matrix fails authentication hundreds of times from one address on purpose: the per-address limit has its own test.
    env: { STORAGE_API_KEYS: apiKeys, AUTH_FAILURE_LIMIT: '0' },
    onRoute: (route: RouteOptions) => {
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD') routes.push({ method, url: route.url, role: route.config?.role });
      }
    },
  });
});
after(() => service.destroy());

function concrete(url: string, projectId = 'alpha'): string {
  return url.replace(':projectId', projectId).replace(':collection', 'code').replace(':jobId', 'job-1').replace(':id', 'x').replace('/*', '/index.html');
}

async function call(route: Route, key: string | undefined, projectId?: string) {
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
  const response = await service.app.inject({
    method: route.method as 'GET',
    url: concrete(route.url, projectId),
    headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    ...(hasBody ? { payload: '{}' } : {}),
  });
  for (const secret of Object.values(keys)) {
    assert.ok(!response.body.includes(secret) && !JSON.stringify(response.headers).includes(secret), `${route.method} ${route.url} echoes no key`);
  }
  return response;
}

test('every route is enumerated and every /v1 route declares a role', () => {
  assert.ok(routes.length >= 90, `found ${routes.length} routes`);
  const open = routes.filter((route) => !route.role).map((route) => route.url);
  for (const url of open) assert.ok(!url.startsWith('/v1'), `${url} has no role`);
  assert.deepEqual([...new Set(open.filter((url) => !url.startsWith('/docs')))].sort(), ['/health', '/metrics', '/ready']);
  const roleOf = (method: string, url: string) => routes.find((route) => route.method === method && route.url === url)?.role;
  assert.equal(roleOf('GET', '/v1/config'), 'admin');
  assert.equal(roleOf('DELETE', '/v1/projects/:projectId'), 'admin');
  assert.equal(roleOf('GET', '/v1/export'), 'admin');
  assert.equal(roleOf('POST', '/v1/import'), 'admin');
  assert.equal(roleOf('POST', '/v1/projects/:projectId/collections/:collection/search'), 'read');
  assert.equal(roleOf('GET', '/v1/projects/:projectId/concepts/count'), 'read');
  assert.equal(roleOf('POST', '/v1/projects/:projectId/concepts/batch'), 'write');
  assert.equal(roleOf('POST', '/v1/projects/:projectId/collections/:collection/jobs'), 'write');
});

test('the matrix: every route x no key, wrong key, read, write, admin, another project', async () => {
  const counts: Record<string, number> = {};
  const count = (label: string) => (counts[label] = (counts[label] ?? 0) + 1);
  for (const route of routes) {
    const where = `${route.method} ${route.url}`;
    if (!route.role) {
      const response = await call(route, undefined);
      assert.ok(![401, 403].includes(response.statusCode), `${where} is open: ${response.statusCode}`);
      count('open');
      continue;
    }
    const none = await call(route, undefined);
    assert.equal(none.statusCode, 401, where);
    assert.equal(JSON.parse(none.body).code, 'UNAUTHORIZED');
    const wrong = await call(route, 'not-a-key-0123456789abcdef0123');
    assert.equal(wrong.statusCode, 401, where);
    // Almost a key: one character off, and a configured key with a suffix, are both wrong.
    assert.equal((await call(route, `${keys.admin.slice(0, -1)}4`)).statusCode, 401, where);
    assert.equal((await call(route, `${keys.admin}x`)).statusCode, 401, where);

    for (const role of ['read', 'write', 'admin'] as const) {
      const response = await call(route, keys[role]);
      if (rank[role] < rank[route.role]) {
        assert.equal(response.statusCode, 403, `${where} with ${role}`);
        assert.equal(JSON.parse(response.body).code, 'FORBIDDEN');
      } else {
        assert.ok(![401, 403].includes(response.statusCode), `${where} with ${role}: ${response.statusCode} ${response.body}`);
      }
      count(`${role} key`);
    }

    const other = await call(route, keys.other);
    if (route.url.includes(':projectId') || (route.role === 'admin' && !route.url.includes(':projectId'))) {
      assert.equal(other.statusCode, 403, `${where} with another project's key`);
    } else {
      assert.ok(![401, 403].includes(other.statusCode), `${where} with another project's key: ${other.statusCode}`);
    }
    if (route.url.includes(':projectId')) {
      // The same key on its own project passes the auth check.
      assert.ok(![401, 403].includes((await call(route, keys.other, 'beta')).statusCode), `${where} on its own project`);
    }
    count('protected');
  }
  assert.ok(counts.protected! >= 85, JSON.stringify(counts));
});

test("a key limited to projects lists only its projects and cannot read another project's job", async () => {
  const admin = { authorization: `Bearer ${keys.admin}` };
  for (const projectId of ['alpha', 'beta', 'gamma']) {
    const put = await service.app.inject({ method: 'PUT', url: `/v1/projects/${projectId}`, headers: admin, payload: {} });
    assert.equal(put.statusCode, 200, put.body);
  }
  const list = (key: string) => service.app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${key}` } });
  const ids = async (key: string) => JSON.parse((await list(key)).body).items.map((item: { projectId: string }) => item.projectId);
  assert.deepEqual(await ids(keys.read), ['alpha', 'beta', 'gamma']);
  assert.deepEqual(await ids(keys.other), ['beta']);
  assert.deepEqual(await ids(keys.alpha), ['alpha']);

  const submitted = await service.app.inject({
    method: 'POST',
    url: '/v1/projects/alpha/collections/code/jobs',
    headers: { authorization: `Bearer ${keys.alpha}` },
    payload: { items: [{ id: 'd1', content: 'export function a() {}' }] },
  });
  assert.equal(submitted.statusCode, 202, submitted.body);
  const { jobId } = JSON.parse(submitted.body);
  const job = (key: string) => service.app.inject({ method: 'GET', url: `/v1/jobs/${jobId}`, headers: { authorization: `Bearer ${key}` } });
  assert.equal((await job(keys.alpha)).statusCode, 200);
  assert.equal((await job(keys.read)).statusCode, 200);
  const hidden = await job(keys.other);
  assert.equal(hidden.statusCode, 404);
  assert.equal(JSON.parse(hidden.body).code, 'JOB_NOT_FOUND');
});

test('the bearer scheme is strict: other schemes, empty and malformed headers are 401', async () => {
  for (const authorization of [keys.admin, `Basic ${keys.admin}`, 'Bearer', 'Bearer ', `Bearer ${keys.admin} extra`, `Token ${keys.admin}`]) {
    const response = await service.app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization } });
    assert.equal(response.statusCode, 401, authorization.replace(keys.admin, '<key>'));
  }
  const lower = await service.app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `bearer ${keys.read}` } });
  assert.equal(lower.statusCode, 200, 'the scheme name is case-insensitive (RFC 7235)');
});

test('/v1/config lists roles and projects, never a key', async () => {
  const response = await service.app.inject({ method: 'GET', url: '/v1/config', headers: { authorization: `Bearer ${keys.admin}` } });
  assert.equal(response.statusCode, 200);
  const body = JSON.parse(response.body);
  assert.deepEqual(
    body.apiKeys.map((key: { role: string; projects?: string[] }) => [key.role, key.projects ?? null]),
    [
      ['admin', null],
      ['write', null],
      ['read', null],
      ['admin', ['beta']],
      ['write', ['alpha']],
    ],
  );
});

test('the keyring remembers found keys only: near misses stay refused after the key was found, each key keeps its role', () => {
  const keyring = createKeyring([
    { key: keys.admin, role: 'admin' },
    { key: keys.alpha, role: 'write', projects: ['alpha'] },
  ]);
  const nearMisses = [keys.admin.slice(0, -1), `${keys.admin}x`, keys.admin.toUpperCase(), `${keys.admin.slice(0, -1)}4`];
  for (const round of ['before the key is found', 'after']) {
    for (const token of nearMisses) assert.equal(keyring.find(token), undefined, `${round}: a near miss is refused`);
    const admin = keyring.find(keys.admin);
    assert.equal(admin?.role, 'admin', round);
    const alpha = keyring.find(keys.alpha);
    assert.equal(alpha?.role, 'write', round);
    assert.deepEqual([...(alpha?.projects ?? [])], ['alpha'], round);
  }
  assert.equal(keyring.find(keys.admin), keyring.find(keys.admin), 'a found key answers with the one principal');
});
