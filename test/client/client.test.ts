/** The typed client against the real service listening on a loopback port: every endpoint, and its error codes. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { entities } from '../../src/entities/registry.js';
import { StorageClient, collect, decodeVector, encodeVector, orNull, type EntityName } from '../../packages/client/src/index.js';
import { sampleItem } from '../support/samples.js';
import { countingFetch, rejection, startListeningService, type ListeningService } from './listening.js';

describe('client against a listening service', () => {
  let target: ListeningService;
  let client: StorageClient;
  const counter = countingFetch();
  before(async () => {
    target = await startListeningService({ VECTOR_MODELS: 'mine:3' });
    client = new StorageClient({ baseUrl: target.url, fetch: counter.fetch, retryBaseMs: 1 });
  });
  after(() => target.destroy());

  test('health, readiness and configuration', async () => {
    assert.deepEqual(await client.health(), { status: 'ok' });
    const ready = await client.ready();
    assert.equal(ready.status, 'ready');
    assert.ok(ready.providers.length >= 2 && ready.providers.every((provider) => provider.ok));
    const config = await client.config();
    assert.equal(config.mode, 'local');
  });

  test('every entity: put, get, patch, list, count, batch, delete', async () => {
    for (const entity of entities) {
      const name = entity.name as EntityName;
      const calls = client.entity(name);
      const project = `c-${entity.name}`;
      const item = sampleItem(entity, 1);
      const id = String(item[entity.key]);
      const { [entity.key]: _key, ...body } = item;
      const stored = (await calls.put(project, id, body as never)) as Record<string, unknown>;
      assert.equal(stored[entity.key], id, entity.name);
      assert.deepEqual(await calls.get(project, id), stored);
      const batch = [sampleItem(entity, 2), sampleItem(entity, 3)];
      assert.deepEqual(await calls.batch(project, batch as never), { upserted: 2 });
      const page = await calls.list(project, { limit: 2 } as never);
      assert.equal(page.items.length, 2);
      assert.equal(typeof page.nextCursor, 'string', `${entity.name}: a second page`);
      assert.equal((await collect(calls.iterate(project, { limit: 1 } as never))).length, 3, `${entity.name}: iterate walks every page`);
      assert.deepEqual(await calls.count(project), { count: 3 });
      const optional = Object.keys(entity.fields).find(
        (field) => field !== entity.key && !entity.fields[field]!.required && entity.fields[field]!.kind === 'string',
      );
      if (optional) {
        const patched = (await calls.patch(project, id, { [optional]: 'patched' } as never)) as Record<string, unknown>;
        assert.equal(patched[optional], 'patched', entity.name);
      }
      assert.equal(await calls.delete(project, id), undefined);
      assert.equal((await rejection(calls.get(project, id))).code, 'NOT_FOUND');
    }
  });

  test('typed queries: filters, q, sort, cursor iteration, groupBy counts; file paths with slashes', async () => {
    const concepts = client.entity('concepts');
    const items = ['Alpha', 'beta', 'Gamma', 'alphabet', 'Delta'].map((conceptName, index) => ({
      id: `c${index}`,
      conceptName,
      conceptType: index % 2 ? 'function' : 'class',
      confidenceScore: index / 10,
      filePath: 'src/a.ts',
    }));
    await concepts.batch('typed', items);
    assert.deepEqual(
      (await concepts.list('typed', { q: 'alpha' })).items.map((item) => item.conceptName),
      ['Alpha', 'alphabet'],
    );
    assert.deepEqual(
      (await concepts.list('typed', { conceptType: 'function', sort: '-confidenceScore' })).items.map((item) => item.id),
      ['c3', 'c1'],
    );
    const walked = await collect(concepts.iterate('typed', { limit: 2, sort: 'id' }));
    assert.deepEqual(
      walked.map((item) => item.id),
      ['c0', 'c1', 'c2', 'c3', 'c4'],
    );
    assert.deepEqual(await collect(concepts.iterate('typed', { limit: 2 }), 3).then((some) => some.length), 3);
    const grouped = await concepts.count('typed', { groupBy: 'conceptType' });
    assert.equal(grouped.count, 5);
    assert.deepEqual(grouped.groups?.map((group) => [group.key, group.count]).sort(), [
      ['class', 3],
      ['function', 2],
    ]);

    const files = client.entity('files');
    await files.put('typed', 'src/deep/path.ts', { fileHash: 'h1' });
    assert.equal((await files.get('typed', 'src/deep/path.ts')).fileHash, 'h1');
  });

  test('projects: put, get, patch, list, iterate, stats, intelligence replace, current session, delete', async () => {
    const project = await client.projects.put('proj-a', { projectPath: '/code/a', projectName: 'A', languagesDetected: ['ts'] });
    assert.equal(project.projectId, 'proj-a');
    assert.equal((await client.projects.patch('proj-a', { projectName: 'A2' })).projectName, 'A2');
    assert.equal((await client.projects.get('proj-a')).projectPath, '/code/a');
    await client.projects.put('proj-b', {});
    const listed = await collect(client.projects.iterate({ limit: 1 }));
    assert.ok(['proj-a', 'proj-b'].every((id) => listed.some((item) => item.projectId === id)));
    assert.equal((await client.projects.list({ limit: 1 })).items.length, 1);

    const replaced = await client.projects.replaceIntelligence('proj-a', {
      concepts: [{ id: 'x', conceptName: 'X', conceptType: 'class', confidenceScore: 0.9 }],
      patterns: [{ patternId: 'p1', patternType: 'naming', patternContent: { rule: 'camel' } }],
    });
    assert.deepEqual(replaced.replaced, { concepts: 1, patterns: 1 });
    const stats = await client.projects.stats('proj-a');
    assert.equal(stats.entities.concepts?.count, 1);
    assert.equal(stats.entities.concepts?.confidence?.high, 1);
    assert.equal(stats.vectors.documents, 0);

    assert.equal((await rejection(client.projects.currentWorkSession('proj-a'))).code, 'NOT_FOUND');
    await client.entity('work-sessions').put('proj-a', 's1', { sessionNotes: 'open' });
    assert.equal((await client.projects.currentWorkSession('proj-a')).id, 's1');

    await client.projects.delete('proj-a');
    assert.equal((await rejection(client.projects.get('proj-a'))).code, 'PROJECT_NOT_FOUND');
    assert.equal(await orNull(client.projects.get('proj-a')), null);
  });

  test('vectors: collections, documents, scroll, search, deletes, jobs', async () => {
    const p = 'vec';
    const created = await client.collections.create(p, 'code');
    assert.deepEqual(created, { name: 'code', count: 0, dimensions: 384, model: 'local-hash-v1', distance: 'cosine' });
    await client.collections.create(p, 'small', { dimensions: 3, model: 'mine' });
    assert.deepEqual((await client.collections.list(p)).items.map((collection) => collection.name).sort(), ['code', 'small']);
    await client.documents.put(p, 'small', 'v1', { content: 'vector one', embedding: [1, 0, 0], metadata: { filePath: 'a.ts' } });
    // Float32Array and base64 vectors: sent as base64 float32, read back as the same numbers.
    await client.documents.put(p, 'small', 'f1', { content: 'from a typed array', embedding: Float32Array.of(0, 0.5, 0.25) });
    await client.documents.batch(p, 'small', [{ id: 'f2', content: 'from base64', embedding: encodeVector([0, 0, 1]) }]);
    assert.deepEqual((await client.documents.get(p, 'small', 'f1', { includeVector: true })).embedding, [0, 0.5, 0.25]);
    assert.deepEqual(decodeVector(encodeVector((await client.documents.get(p, 'small', 'f2', { includeVector: true })).embedding!)), Float32Array.of(0, 0, 1));
    const nearest = await client.search(p, 'small', { vector: Float32Array.of(0, 1, 0.5), limit: 1 });
    assert.equal(nearest.results[0]?.id, 'f1');
    const dimensions = await rejection(client.documents.put(p, 'small', 'v2', { content: 'bad', embedding: [1, 0] }));
    assert.equal(dimensions.status, 400);
    assert.equal(dimensions.code, 'DIMENSION_MISMATCH');
    await client.collections.delete(p, 'small');
    assert.equal((await rejection(client.collections.get(p, 'small'))).code, 'COLLECTION_NOT_FOUND');

    await client.documents.batch(p, 'code', [
      {
        id: 'users',
        content: 'async function getUserById(id) { return db.users.findOne({ id }); }',
        metadata: { filePath: 'src/users.ts', language: 'typescript' },
      },
      { id: 'xml', content: 'def parse_xml_document(text): return ElementTree.fromstring(text)', metadata: { filePath: 'lib/xml.py', language: 'python' } },
      { id: 'chart', content: 'function renderChart(canvas, series) { plot every series }', metadata: { filePath: 'src/chart.ts', language: 'typescript' } },
    ]);
    assert.equal((await client.documents.get(p, 'code', 'users', { includeVector: true })).embedding?.length, 384);
    const page = await client.documents.scroll(p, 'code', { filter: { language: 'typescript' }, limit: 1 });
    assert.equal(page.items.length, 1);
    assert.ok(page.nextCursor);
    assert.deepEqual((await collect(client.documents.iterate(p, 'code', { filter: { language: 'typescript' }, limit: 1 }))).map((d) => d.id).sort(), [
      'chart',
      'users',
    ]);
    const found = await client.search(p, 'code', { query: 'get user by id', mode: 'hybrid', limit: 2 });
    assert.equal(found.results[0]?.id, 'users');
    const filtered = await client.search(p, 'code', { query: 'parse xml', filter: { language: { in: ['python'] } }, limit: 5 });
    assert.deepEqual(
      filtered.results.map((result) => result.id),
      ['xml'],
    );
    assert.equal((await rejection(client.search(p, 'code', { query: 'x', filter: { language: { like: 'py' } } as never }))).code, 'INVALID_FILTER');

    assert.deepEqual(await client.documents.delete(p, 'code', 'chart'), { deleted: 1 });
    assert.deepEqual(await client.documents.deleteByFilter(p, 'code', { filePath: 'lib/xml.py' }), { deleted: 1 });
    assert.equal((await client.collections.get(p, 'code')).count, 1);

    const { jobId } = await client.jobs.submit(p, 'code', [
      { id: 'j1', content: 'function add(a, b) { return a + b; }' },
      { id: 'j2', content: 'function sub(a, b) { return a - b; }' },
    ]);
    const job = await client.jobs.wait(jobId, { intervalMs: 20 });
    assert.equal(job.status, 'succeeded');
    assert.equal(job.processed, 2);
    assert.equal((await rejection(client.jobs.get('no-such-job'))).code, 'JOB_NOT_FOUND');
  });

  test('service error codes reach the caller; a 4xx is never retried', async () => {
    counter.calls.length = 0;
    const invalid = await rejection(client.entity('concepts').list('Not Valid!'));
    assert.equal(invalid.status, 400);
    assert.equal(invalid.code, 'INVALID_PROJECT_ID');
    assert.equal((await rejection(client.entity('concepts').list('p', { nope: 1 } as never))).code, 'UNKNOWN_FILTER_FIELD');
    assert.equal((await rejection(client.entity('concepts').list('p', { cursor: 'garbage' }))).code, 'INVALID_CURSOR');
    assert.equal((await rejection(client.entity('concepts').put('p', 'a', { id: 'b', conceptName: 'x', conceptType: 'y' }))).code, 'ID_MISMATCH');
    assert.equal((await rejection(client.entity('concepts').patch('p', 'absent', { conceptName: 'x' }))).code, 'NOT_FOUND');
    assert.equal((await rejection(client.entity('concepts').batch('p', []))).code, 'BATCH_TOO_LARGE');
    assert.equal(counter.calls.length, 6, 'one request per failed call');
  });
});
