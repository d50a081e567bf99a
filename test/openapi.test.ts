/** openapi.yaml is generated from the route schemas; this fails when the committed file is stale. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { entities } from '../src/entities/registry.js';
import { renderOpenApi } from '../src/openapi.js';

test('openapi.yaml is current (run `npm run openapi` after changing routes)', async () => {
  const committed = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');
  assert.equal(committed, await renderOpenApi(), 'openapi.yaml is stale: run `npm run openapi`');
});

test('every route is documented with a tag, a summary and responses', async () => {
  const document = parse(await renderOpenApi()) as { paths: Record<string, Record<string, { tags?: string[]; summary?: string; responses?: object }>> };
  const paths = Object.keys(document.paths);
  for (const entity of entities) {
    for (const suffix of ['', '/count', '/batch', '/{id}']) {
      assert.ok(paths.includes(`/v1/projects/{projectId}/${entity.name}${suffix}`), `${entity.name}${suffix}`);
    }
  }
  for (const path of [
    '/health',
    '/ready',
    '/v1/config',
    '/v1/projects',
    '/v1/projects/{projectId}',
    '/v1/projects/{projectId}/stats',
    '/v1/projects/{projectId}/intelligence',
    '/v1/projects/{projectId}/work-sessions/current',
  ]) {
    assert.ok(paths.includes(path), path);
  }
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      assert.ok(operation.tags?.length, `${method} ${path} has tags`);
      assert.ok(operation.summary, `${method} ${path} has a summary`);
      assert.ok(operation.responses && Object.keys(operation.responses).length, `${method} ${path} has responses`);
    }
  }
});

test('Swagger UI is served at /docs with the generated document', async () => {
  const { startTestService } = await import('./support/app.js');
  const service = await startTestService();
  try {
    const page = await service.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /swagger-ui/i);
    const spec = await service.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(spec.statusCode, 200);
    assert.equal(JSON.parse(spec.body).info.title, 'in-memoria-storage');
  } finally {
    await service.destroy();
  }
});
