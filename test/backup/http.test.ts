/** GET /v1/export and POST /v1/import over HTTP, through app.inject and through the typed client on a real socket. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { StorageClient, StorageError } from '../../packages/client/src/index.js';
import { canonicalJson } from '../../src/backup/format.js';
import { startTestService } from '../support/app.js';
import { startListeningService } from '../client/listening.js';
import { contentOf, exportText, records, seed } from './support.js';

test('export streams NDJSON of the projects named; import reports counts; a cut stream is a 400', async () => {
  const source = await startTestService();
  const target = await startTestService();
  try {
    await seed(source.services);
    const response = await source.app.inject({ method: 'GET', url: '/v1/export?projects=beta' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/x-ndjson/);
    const exported = records(response.body);
    assert.equal(exported[0]!.type, 'header');
    assert.deepEqual(
      new Set(exported.filter((r) => r.type === 'project').map((r) => (r as { project: { projectId: string } }).project.projectId)),
      new Set(['beta']),
    );

    const bad = await source.app.inject({ method: 'GET', url: '/v1/export?projects=Not%20Valid' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'INVALID_PROJECT_ID');

    const imported = await target.app.inject({
      method: 'POST',
      url: '/v1/import',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: response.body,
    });
    assert.equal(imported.statusCode, 200, imported.body);
    const report = imported.json();
    assert.equal(report.projects, 1);
    assert.equal(report.documents, 12);
    assert.equal(report.summary['beta/collections/code'].count, 12);
    assert.deepEqual(contentOf(await exportText(target.services)), contentOf(response.body));

    const cut = await target.app.inject({
      method: 'POST',
      url: '/v1/import',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: response.body.slice(0, response.body.length - 50),
    });
    assert.equal(cut.statusCode, 400);
    assert.equal(cut.json().code, 'BACKUP_TRUNCATED');

    const json = await target.app.inject({ method: 'POST', url: '/v1/import', payload: { type: 'header' } });
    assert.equal(json.statusCode, 415);
    assert.equal(json.json().code, 'UNSUPPORTED_MEDIA_TYPE');
  } finally {
    await source.destroy();
    await target.destroy();
  }
});

test('the typed client exports from one service and imports into another', async () => {
  const source = await startListeningService();
  const target = await startListeningService();
  try {
    await seed(source.service.services, ['gamma']);
    const from = new StorageClient({ baseUrl: source.url });
    const to = new StorageClient({ baseUrl: target.url });
    const seen: string[] = [];
    async function* tee() {
      for await (const record of from.exportStream()) {
        seen.push(canonicalJson(record));
        yield record;
      }
    }
    const report = await to.importStream(tee());
    assert.equal(report.documents, 12);
    assert.equal(report.projects, 1);
    const again: string[] = [];
    for await (const record of to.exportStream({ projects: 'gamma' })) {
      if (record.type !== 'header' && record.type !== 'trailer') again.push(canonicalJson(record));
    }
    assert.deepEqual(again.sort(), seen.filter((line) => !line.includes('"type":"header"') && !line.includes('"type":"trailer"')).sort());

    await assert.rejects(to.importStream([{ type: 'header', format: 'in-memoria-storage-backup', version: 7 }]), (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.code, 'UNSUPPORTED_BACKUP_VERSION');
      return true;
    });
  } finally {
    await source.destroy();
    await target.destroy();
  }
});

test('POST /v1/import on a real socket: a hostile row is a 400 and the project stays readable; over IMPORT_MAX_BYTES a 413 the client receives', async () => {
  const source = await startTestService();
  const target = await startListeningService({ IMPORT_MAX_BYTES: String(2 * 1024 * 1024) });
  const post = (body: string) => fetch(`${target.url}/v1/import`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
  try {
    await seed(source.services);
    const backup = await exportText(source.services, ['beta']);
    const hostile = backup.replace(/"confidenceScore":[0-9.]+/, '"confidenceScore":"not-a-number"');
    assert.notEqual(hostile, backup);
    const refused = await post(hostile);
    assert.equal(refused.status, 400);
    const error = (await refused.json()) as { code: string; message: string };
    assert.equal(error.code, 'INVALID_BACKUP');
    assert.match(error.message, /concepts row: confidenceScore must be number or null; nothing was imported/);
    const concepts = await fetch(`${target.url}/v1/projects/beta/concepts`);
    assert.equal(concepts.status, 200);
    assert.deepEqual(((await concepts.json()) as { items: unknown[] }).items, [], 'nothing was written');

    const imported = await post(backup);
    assert.equal(imported.status, 200, await imported.clone().text());
    const after = (await (await fetch(`${target.url}/v1/projects/beta/concepts`)).json()) as { items: unknown[] };
    assert.equal(after.items.length, 3, 'the valid backup imports whole and reads back');

    const huge = await post(backup + ' '.repeat(3 * 1024 * 1024));
    assert.equal(huge.status, 413);
    assert.equal(((await huge.json()) as { code: string }).code, 'BODY_TOO_LARGE');
    assert.deepEqual(
      readdirSync(tmpdir()).filter((name) => name.startsWith('ims-import-')),
      [],
      'the staged file is removed',
    );
  } finally {
    await source.destroy();
    await target.destroy();
  }
});
