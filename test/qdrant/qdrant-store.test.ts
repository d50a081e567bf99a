/**
 * The Qdrant adapter through the real @qdrant/js-client-rest, against the test
 * server (or a real Qdrant when QDRANT_URL is set): collections, upsert and
 * replace, id mapping, search against exact cosine, thresholds, every filter
 * operator, scroll, counts, deletes and tenant isolation.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../src/errors.js';
import { documentPointId, physicalCollectionName, uuidV5, type QdrantVectorStore } from '../../src/vectors/qdrant.js';
import type { Filter, VectorDocument } from '../../src/vectors/port.js';
import { createHarness, openQdrantForContract, needsTestServer, type Harness } from './harness.js';
import { cosine, randomVector, seededRandom } from '../support/random.js';
import { countDocuments, getDocument } from '../support/count.js';

const MODEL = 'text-embedding-3-small';
const DIMS = 4;
let h: Harness;
let store: QdrantVectorStore;

before(async () => {
  h = await createHarness();
  store = h.open();
});
after(async () => {
  await h.close();
});

function rejectsWith(code: string, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected AppError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

const doc = (id: string, vector: number[], metadata: VectorDocument['metadata'] = {}, content = `content of ${id}`): VectorDocument => ({
  id,
  content,
  metadata,
  vector: Float32Array.from(vector),
});

test('uuidV5 matches the RFC test vector', () => {
  assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
});

test('collections: create, get, idempotent create (the existing one whatever is asked), list, delete', async () => {
  const created = await store.createCollection('proj-a', 'code', { model: MODEL, dimensions: DIMS });
  assert.deepEqual(created, { name: 'code', model: MODEL, dimensions: DIMS, distance: 'cosine', count: 0 });
  assert.deepEqual(await store.createCollection('proj-a', 'code', { model: MODEL, dimensions: DIMS }), created);
  assert.deepEqual(
    await store.createCollection('proj-a', 'code', { model: MODEL, dimensions: 8 }),
    created,
    'the existing collection, whatever was asked: the service compares',
  );
  await store.createCollection('proj-a', 'alpha', { model: 'other-model', dimensions: 3 });
  assert.deepEqual(
    (await store.listCollections('proj-a')).map((c) => [c.name, c.model, c.dimensions]),
    [
      ['alpha', 'other-model', 3],
      ['code', MODEL, DIMS],
    ],
  );
  assert.equal(await store.getCollection('proj-a', 'missing'), null);
  assert.deepEqual(await store.listCollections('nobody'), []);
  assert.equal(await store.deleteCollection('proj-a', 'alpha'), true);
  assert.equal(await store.deleteCollection('proj-a', 'alpha'), false);
  assert.equal(await store.getCollection('proj-a', 'alpha'), null);
  await assert.rejects(store.upsert('proj-a', 'alpha', [doc('x', [1, 0, 0])]), rejectsWith('COLLECTION_NOT_FOUND'));
  await assert.rejects(countDocuments(store, 'proj-a', 'alpha'), rejectsWith('COLLECTION_NOT_FOUND'));
});

test('physical layout: one collection per embedding space, dense Cosine + sparse idf vectors, tenant and field indexes', async () => {
  await store.createCollection('proj-layout', 'code', { model: MODEL, dimensions: DIMS });
  const name = physicalCollectionName(h.prefix, MODEL, DIMS);
  assert.equal(name, `${h.prefix}_text_embedding_3_small_4`);
  const info = await h.raw.getCollection(name);
  const vectors = info.config.params.vectors as Record<string, { size?: number; distance?: string }>;
  assert.equal(vectors.dense?.size, DIMS);
  assert.equal(vectors.dense?.distance, 'Cosine');
  assert.equal(info.config.params.sparse_vectors?.bm25?.modifier, 'idf');
  const schema = info.payload_schema;
  assert.equal(schema.project_id?.data_type, 'keyword');
  assert.equal((schema.project_id?.params as { is_tenant?: boolean } | undefined)?.is_tenant, true);
  for (const field of ['collection', 'doc_id', 'metadata.filePath', 'metadata.language']) assert.equal(schema[field]?.data_type, 'keyword', field);
});

test('a physical collection goes with the last logical collection using it, by delete or by project deletion', async () => {
  const spec = { model: 'short-lived', dimensions: 3 };
  const physical = physicalCollectionName(h.prefix, spec.model, spec.dimensions);
  await store.createCollection('proj-drop-a', 'one', spec);
  await store.createCollection('proj-drop-b', 'two', spec);
  await store.upsert('proj-drop-b', 'two', [doc('x', [1, 0, 0])]);
  assert.equal(await store.deleteCollection('proj-drop-a', 'one'), true);
  assert.equal((await h.raw.collectionExists(physical)).exists, true, 'still used by proj-drop-b');
  assert.equal((await store.search('proj-drop-b', 'two', { mode: 'vector', vector: Float32Array.from([1, 0, 0]), limit: 1 }))[0]?.id, 'x');
  await store.deleteProject('proj-drop-b');
  assert.equal((await h.raw.collectionExists(physical)).exists, false, 'dropped with its last user');
  await store.createCollection('proj-drop-a', 'again', spec);
  assert.equal((await h.raw.collectionExists(physical)).exists, true, 'created again on demand');
  await store.deleteCollection('proj-drop-a', 'again');
  assert.equal((await h.raw.collectionExists(physical)).exists, false);
});

test('checkCollection: an existing physical collection of another size is DIMENSION_MISMATCH naming both', async () => {
  const name = physicalCollectionName(h.prefix, 'odd-model', 8);
  await h.raw.createCollection(name, { vectors: { dense: { size: 5, distance: 'Cosine' } }, sparse_vectors: { bm25: { modifier: 'idf' } } });
  await assert.rejects(store.checkCollection('odd-model', 8), rejectsWith('DIMENSION_MISMATCH', /\b5\b.*\b8\b/));
  await assert.rejects(store.createCollection('proj-a', 'odd', { model: 'odd-model', dimensions: 8 }), rejectsWith('DIMENSION_MISMATCH'));
  // A collection of that name laid out otherwise is not silently reused.
  await h.raw.createCollection(physicalCollectionName(h.prefix, 'foreign-model', 8), { vectors: { size: 8, distance: 'Cosine' } });
  await assert.rejects(store.checkCollection('foreign-model', 8), rejectsWith('COLLECTION_CONFLICT', /bm25/));
  assert.equal(await store.checkCollection(MODEL, DIMS), physicalCollectionName(h.prefix, MODEL, DIMS));
});

test('upsert replaces by caller id; ids map to UUIDv5 and come back unchanged', async () => {
  await store.createCollection('proj-ids', 'code', { model: MODEL, dimensions: DIMS });
  const ids = ['concept_123', 'src/a file.ts#L1-20', 'ünïcödé', '42'];
  await store.upsert(
    'proj-ids',
    'code',
    ids.map((id, i) => doc(id, [i + 1, 1, 0, 2], { filePath: `f${i}.ts`, tags: ['a', 'b'], n: i, none: null })),
  );
  assert.equal(await countDocuments(store, 'proj-ids', 'code'), 4);
  for (const [i, id] of ids.entries()) {
    const got = await getDocument(store, 'proj-ids', 'code', id, { includeVector: true });
    assert.ok(got);
    assert.equal(got.id, id);
    assert.equal(got.content, `content of ${id}`);
    assert.deepEqual(got.metadata, { filePath: `f${i}.ts`, tags: ['a', 'b'], n: i, none: null });
    const expected = [i + 1, 1, 0, 2];
    assert.ok(got.vector && got.vector.every((x, k) => Math.abs(x - expected[k]!) < 1e-5), `vector of ${id} round-trips`);
  }
  // The Qdrant point id is the UUIDv5; the caller's id lives in the payload.
  const raw = await h.raw.retrieve(physicalCollectionName(h.prefix, MODEL, DIMS), { ids: [documentPointId('proj-ids', 'code', 'concept_123')] });
  assert.equal(raw[0]?.payload?.doc_id, 'concept_123');
  assert.equal(raw[0]?.payload?.project_id, 'proj-ids');
  // Re-upsert replaces content, metadata and vector.
  await store.upsert('proj-ids', 'code', [doc('concept_123', [0, 0, 1, 0], { replaced: true }, 'new')]);
  assert.equal(await countDocuments(store, 'proj-ids', 'code'), 4);
  const replaced = await getDocument(store, 'proj-ids', 'code', 'concept_123', { includeContent: false });
  assert.deepEqual(replaced, { id: 'concept_123', metadata: { replaced: true } });
  assert.equal(await getDocument(store, 'proj-ids', 'code', 'absent'), null);
  // A batch with one wrong vector writes nothing.
  await assert.rejects(
    store.upsert('proj-ids', 'code', [doc('new-1', [1, 0, 0, 0]), doc('new-2', [1, 0, 0])]),
    rejectsWith('DIMENSION_MISMATCH', /\b3\b.*\b4\b/),
  );
  assert.equal(await getDocument(store, 'proj-ids', 'code', 'new-1'), null);
  await store.upsert('proj-ids', 'code', []);
});

test('vector search: order and scores equal exact cosine; limit; strict threshold', async () => {
  const dims = 8;
  await store.createCollection('proj-search', 'code', { model: MODEL, dimensions: dims });
  const next = seededRandom(7);
  const docs = Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, content: `c${i}`, metadata: { i }, vector: randomVector(next, dims) }));
  await store.upsert('proj-search', 'code', docs);
  const query = randomVector(next, dims);
  const expected = docs.map((d) => ({ id: d.id, score: cosine(d.vector, query) })).sort((a, b) => b.score - a.score);

  const hits = await store.search('proj-search', 'code', { mode: 'vector', vector: query, limit: 10, includeContent: true });
  assert.deepEqual(
    hits.map((h) => h.id),
    expected.slice(0, 10).map((e) => e.id),
  );
  hits.forEach((hit, i) => assert.ok(Math.abs(hit.score - expected[i]!.score) < 1e-5, `score ${i}`));
  assert.equal(hits[0]?.content, `c${hits[0]?.id.slice(1)}`);
  assert.deepEqual(hits[0]?.metadata, { i: Number(hits[0]?.id.slice(1)) });

  const threshold = hits[2]!.score;
  const above = await store.search('proj-search', 'code', { mode: 'vector', vector: query, limit: 10, threshold });
  assert.deepEqual(
    above.map((h) => h.id),
    hits.slice(0, 2).map((h) => h.id),
    'strictly greater than the threshold',
  );

  const bare = await store.search('proj-search', 'code', { mode: 'vector', vector: query, limit: 1, includeVector: true });
  assert.equal(bare[0]?.content, undefined);
  const original = docs.find((d) => d.id === bare[0]?.id)!.vector;
  assert.ok(bare[0]?.vector?.every((x, k) => Math.abs(x - original[k]!) < 1e-5));

  const identical = await store.search('proj-search', 'code', { mode: 'vector', vector: docs[3]!.vector, limit: 1 });
  assert.equal(identical[0]?.id, 'd3');
  assert.ok(Math.abs(identical[0]!.score - 1) < 1e-5, 'identical vectors score 1: higher is more similar');

  await assert.rejects(store.search('proj-search', 'code', { mode: 'hybrid', limit: 5 } as never), rejectsWith('UNSUPPORTED_SEARCH_MODE', /hybrid/));
  await assert.rejects(
    store.search('proj-search', 'code', { mode: 'vector', vector: new Float32Array(3), limit: 5 }),
    rejectsWith('DIMENSION_MISMATCH', /\b3\b.*\b8\b/),
  );
});

test('keyword search: BM25 over content with Qdrant idf, folded case and accents, filters, strict threshold', async () => {
  // Its own embedding space, so that the IDF statistics are this test's documents only.
  const spec = { model: 'keyword-model', dimensions: 2 };
  await store.createCollection('proj-kw', 'code', spec);
  await store.createCollection('proj-kw-other', 'code', spec);
  const texts: Array<[string, string, string]> = [
    ['k1', 'The quick brown fox jumps over the lazy dog', 'ts'],
    ['k2', 'fox fox fox: hunting_season', 'py'],
    ['k3', 'Database connection pool with retry', 'ts'],
    ['k4', '', 'ts'],
    ['k5', 'Café résumé, naïve', 'ts'],
  ];
  await store.upsert(
    'proj-kw',
    'code',
    texts.map(([id, content, language]) => doc(id, [1, 0], { language }, content)),
  );
  await store.upsert('proj-kw-other', 'code', [doc('elsewhere', [1, 0], {}, 'fox fox fox fox')]);
  const search = (text: string, extra: Partial<{ threshold: number; filter: Filter; limit: number }> = {}) =>
    store.search('proj-kw', 'code', { mode: 'keyword', text, limit: 10, ...extra });

  const fox = await search('FOX');
  assert.deepEqual(
    fox.map((h) => h.id),
    ['k2', 'k1'],
    'more occurrences in a shorter text rank first; other projects never appear',
  );
  assert.ok(fox.every((h) => h.score > 0));
  assert.deepEqual(
    (await search('database RETRY')).map((h) => h.id),
    ['k3'],
  );
  assert.deepEqual(
    (await search('cafe')).map((h) => h.id),
    ['k5'],
    'accents fold',
  );
  assert.deepEqual(
    (await search('season')).map((h) => h.id),
    ['k2'],
    'underscores separate words',
  );
  assert.deepEqual(await search('  !!! '), [], 'no word, no hit');
  assert.deepEqual(
    (await search('fox', { threshold: fox[1]!.score })).map((h) => h.id),
    ['k2'],
    'strictly greater than the threshold',
  );
  assert.deepEqual(
    (await search('fox', { filter: { language: 'ts' } })).map((h) => h.id),
    ['k1'],
  );
  assert.deepEqual((await search('fox dog', { limit: 1 })).length, 1);
  const withContent = await store.search('proj-kw', 'code', { mode: 'keyword', text: 'pool', limit: 1, includeContent: true });
  assert.equal(withContent[0]?.content, 'Database connection pool with retry');

  if (h.server) {
    // Against the test server the score is exactly BM25: idf from the 5 documents with words
    // (k4 has none; the other project's document shares the physical collection).
    const bm25 = (tf: number, length: number) => (tf * 2.2) / (tf + 1.2 * (1 - 0.75 + (0.75 * length) / 256));
    const idf = Math.log((5 - 3 + 0.5) / (3 + 0.5) + 1);
    assert.ok(Math.abs(fox[0]!.score - idf * bm25(3, 5)) < 1e-5, 'k2 score: 5 words');
    assert.ok(Math.abs(fox[1]!.score - idf * bm25(1, 9)) < 1e-5, 'k1 score');
  }
});

test('filters: every operator, on search, scroll, count and delete', async () => {
  await store.createCollection('proj-filter', 'code', { model: MODEL, dimensions: DIMS });
  const rows: Array<[string, VectorDocument['metadata']]> = [
    ['a', { language: 'ts', n: 1, score: 0.5, ok: true, tags: ['x', 'y'], when: '2024-01-01T00:00:00Z', s: '1' }],
    ['b', { language: 'py', n: 2, score: 0.75, ok: false, tags: ['y'], when: '2024-06-01T12:00:00Z', 'x:y @z': 1 }],
    ['c', { language: 'ts', n: 3, ok: true, tags: [], nothing: null }],
    ['d', { n: 10, s: 'z', 'file.path': 'a/b.ts' }],
    ['e', {}],
  ];
  await store.upsert(
    'proj-filter',
    'code',
    rows.map(([id, metadata], i) => doc(id, [1, i, 0, 1], metadata)),
  );
  const ids = async (filter: Filter) => {
    const page = await store.scroll('proj-filter', 'code', { filter, limit: 100 });
    const fromScroll = page.items.map((d) => d.id).sort();
    const fromSearch = (await store.search('proj-filter', 'code', { mode: 'vector', vector: Float32Array.from([1, 1, 1, 1]), limit: 100, filter }))
      .map((d) => d.id)
      .sort();
    assert.deepEqual(fromSearch, fromScroll, `search and scroll agree on ${JSON.stringify(filter)}`);
    assert.equal(await countDocuments(store, 'proj-filter', 'code', filter), fromScroll.length);
    return fromScroll.join('');
  };
  assert.equal(await ids({}), 'abcde');
  assert.equal(await ids({ language: 'ts' }), 'ac');
  assert.equal(await ids({ n: 2 }), 'b');
  assert.equal(await ids({ score: 0.75 }), 'b', 'non-integer equality');
  assert.equal(await ids({ ok: true }), 'ac');
  assert.equal(await ids({ ok: false }), 'b');
  assert.equal(await ids({ nothing: null }), 'c');
  assert.equal(await ids({ tags: 'y' }), 'ab', 'array field: any element');
  assert.equal(await ids({ s: 1 }), '', 'type-strict: 1 is not "1"');
  assert.equal(await ids({ s: '1' }), 'a');
  assert.equal(await ids({ language: { in: ['py', 'go'] } }), 'b');
  assert.equal(await ids({ n: { in: [1, 10, 'x', true, 0.5] } }), 'ad');
  assert.equal(await ids({ nothing: { in: [null] } }), 'c');
  assert.equal(await ids({ language: { in: [] } }), '', 'in [] matches nothing');
  assert.equal(await ids({ language: { nin: ['ts'] } }), 'bde', 'nin: a missing key passes');
  assert.equal(await ids({ tags: { nin: ['x'] } }), 'bcde');
  assert.equal(await ids({ language: { ne: 'ts' } }), 'bde', 'ne: a missing key passes');
  assert.equal(await ids({ nothing: { ne: null } }), 'abde');
  assert.equal(await ids({ n: { gt: 1 } }), 'bcd');
  assert.equal(await ids({ n: { gte: 2, lt: 10 } }), 'bc');
  assert.equal(await ids({ n: { lte: 3, ne: 2 } }), 'ac');
  assert.equal(await ids({ score: { gt: 0.5 } }), 'b');
  assert.equal(await ids({ when: { gte: '2024-03-01T00:00:00Z' } }), 'b', 'ISO date-times compare as instants');
  assert.equal(await ids({ when: { lt: '2024-03-01' } }), 'a');
  assert.equal(await ids({ language: 'ts', ok: true, n: { gt: 1 } }), 'c', 'implicit AND');
  assert.equal(await ids({ 'file.path': 'a/b.ts' }), 'd', 'a dotted field name is one key, not a path');
  assert.equal(await ids({ 'x:y @z': { in: [1] } }), 'b');

  await assert.rejects(countDocuments(store, 'proj-filter', 'code', { 'say "hi"': 1 }), rejectsWith('INVALID_FILTER'), 'a field name Qdrant cannot express');

  assert.equal(await store.deleteByFilter('proj-filter', 'code', { language: 'ts' }), 2);
  assert.equal(await store.deleteByFilter('proj-filter', 'code', { language: 'ts' }), 0);
  assert.equal(await ids({}), 'bde');
});

test('scroll pages to the end with an opaque cursor; bad cursors are rejected', async () => {
  await store.createCollection('proj-scroll', 'code', { model: MODEL, dimensions: DIMS });
  const all = Array.from({ length: 25 }, (_, i) => doc(`s${i}`, [1, i, 2, 3], { even: i % 2 === 0 }));
  await store.upsert('proj-scroll', 'code', all);
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.scroll('proj-scroll', 'code', { limit: 7, cursor });
    pages += 1;
    assert.ok(page.items.length <= 7);
    page.items.forEach((d) => assert.equal(d.content, undefined));
    seen.push(...page.items.map((d) => d.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  assert.equal(pages, 4);
  assert.deepEqual([...seen].sort(), all.map((d) => d.id).sort());
  const evens = await store.scroll('proj-scroll', 'code', { limit: 100, filter: { even: true }, includeContent: true });
  assert.equal(evens.items.length, 13);
  assert.equal(evens.items[0]?.content, `content of ${evens.items[0]?.id}`);
  assert.equal(evens.nextCursor, null);
  await assert.rejects(store.scroll('proj-scroll', 'code', { limit: 5, cursor: 'garbage' }), rejectsWith('INVALID_CURSOR'));
});

test('deleteByIds and deleteByFilter return how many were deleted', async () => {
  await store.createCollection('proj-del', 'code', { model: MODEL, dimensions: DIMS });
  await store.upsert('proj-del', 'code', [
    doc('f1#0', [1, 0, 0, 0], { filePath: 'src/one.ts' }),
    doc('f1#1', [1, 1, 0, 0], { filePath: 'src/one.ts' }),
    doc('f1#2', [1, 1, 1, 0], { filePath: 'src/one.ts' }),
    doc('f2#0', [0, 1, 0, 0], { filePath: 'src/two.ts' }),
    doc('f3#0', [0, 0, 1, 0], { filePath: 'src/three.ts' }),
  ]);
  assert.equal(await store.deleteByIds('proj-del', 'code', ['f2#0', 'f2#0', 'unknown']), 1);
  assert.equal(await store.deleteByIds('proj-del', 'code', ['f2#0']), 0);
  assert.equal(await store.deleteByIds('proj-del', 'code', []), 0);
  assert.equal(await store.deleteByFilter('proj-del', 'code', { filePath: 'src/one.ts' }), 3);
  assert.equal(await countDocuments(store, 'proj-del', 'code'), 1);
  assert.equal(await store.deleteByFilter('proj-del', 'code', {}), 1);
  assert.equal(await countDocuments(store, 'proj-del', 'code'), 0);
});

test('tenant isolation: two projects, two logical collections, same ids', async () => {
  const projects = ['tenant-1', 'tenant-2'];
  const collections = ['code', 'notes'];
  for (const p of projects) {
    for (const c of collections) {
      await store.createCollection(p, c, { model: MODEL, dimensions: DIMS });
      await store.upsert(p, c, [
        doc('same-id', [1, 0, 0, 0], { owner: `${p}/${c}` }, `${p}/${c}`),
        doc(`only-${p}-${c}`, [0, 1, 0, 0], { owner: `${p}/${c}` }),
      ]);
    }
  }
  for (const p of projects) {
    for (const c of collections) {
      assert.equal(await countDocuments(store, p, c), 2);
      assert.equal((await getDocument(store, p, c, 'same-id'))?.content, `${p}/${c}`);
      const hits = await store.search(p, c, { mode: 'vector', vector: Float32Array.from([1, 1, 0, 0]), limit: 10 });
      assert.deepEqual(new Set(hits.map((h) => h.metadata.owner)), new Set([`${p}/${c}`]));
      const page = await store.scroll(p, c, { limit: 10 });
      assert.deepEqual(new Set(page.items.map((d) => d.metadata.owner)), new Set([`${p}/${c}`]));
    }
  }
  assert.equal(await getDocument(store, 'tenant-1', 'code', 'only-tenant-2-code'), null);
  assert.equal(await store.deleteByIds('tenant-1', 'code', ['only-tenant-2-code', 'only-tenant-1-notes']), 0);
  assert.equal(await store.deleteByFilter('tenant-1', 'code', {}), 2);
  assert.equal(await countDocuments(store, 'tenant-1', 'notes'), 2);
  assert.equal(await countDocuments(store, 'tenant-2', 'code'), 2);
  await store.deleteProject('tenant-1');
  assert.deepEqual(await store.listCollections('tenant-1'), []);
  assert.deepEqual(
    (await store.listCollections('tenant-2')).map((c) => [c.name, c.count]),
    [
      ['code', 2],
      ['notes', 2],
    ],
  );
  // No point of the deleted project is left in the physical collection.
  const left = await h.raw.count(physicalCollectionName(h.prefix, MODEL, DIMS), { filter: { must: [{ key: 'project_id', match: { value: 'tenant-1' } }] } });
  assert.equal(left.count, 0);
  await store.deleteProject('never-existed');
});

test('stateless: a new store instance over the same Qdrant sees the same collections and documents', async () => {
  const { store: first, reopen, cleanup } = await openQdrantForContract();
  try {
    await first.createCollection('stateless', 'code', { model: MODEL, dimensions: DIMS });
    await first.upsert('stateless', 'code', [doc('kept', [1, 2, 3, 4], { filePath: 'a.ts' })]);
    const second = await reopen();
    assert.deepEqual(await second.getCollection('stateless', 'code'), { name: 'code', model: MODEL, dimensions: DIMS, distance: 'cosine', count: 1 });
    assert.equal((await getDocument(second, 'stateless', 'code', 'kept'))?.metadata.filePath, 'a.ts');
  } finally {
    await cleanup();
  }
});

test('two replicas: a stale registry hint never serves nor keeps writes of a deleted or re-created collection', async () => {
  const replicaA = h.open();
  const replicaB = h.open();
  await replicaA.createCollection('replicas', 'code', { model: MODEL, dimensions: DIMS });
  await replicaA.upsert('replicas', 'code', [doc('old', [1, 0, 0, 0])]); // A now holds a hint: MODEL, DIMS

  // B deletes it: A's next search and write fail COLLECTION_NOT_FOUND, and the write leaves nothing behind.
  assert.equal(await replicaB.deleteCollection('replicas', 'code'), true);
  await assert.rejects(
    replicaA.search('replicas', 'code', { mode: 'vector', vector: Float32Array.from([1, 0, 0, 0]), limit: 5 }),
    rejectsWith('COLLECTION_NOT_FOUND'),
  );
  await replicaA.createCollection('replicas', 'other', { model: MODEL, dimensions: DIMS }); // keeps the physical collection alive
  await replicaB.createCollection('replicas', 'code', { model: MODEL, dimensions: DIMS });
  await replicaB.deleteCollection('replicas', 'code');
  await replicaA.upsert('replicas', 'other', [doc('x', [0, 1, 0, 0])]);
  const hintedWrite = replicaA.upsert('replicas', 'code', [doc('zombie', [0, 0, 1, 0])]);
  await assert.rejects(hintedWrite, rejectsWith('COLLECTION_NOT_FOUND'));
  await replicaB.createCollection('replicas', 'code', { model: MODEL, dimensions: DIMS });
  assert.equal(await countDocuments(replicaB, 'replicas', 'code'), 0, 'the write made on the stale hint was undone');

  // B re-creates it with another model and size: A's stale hint (DIMS) still lets A write and read the new one.
  await replicaB.deleteCollection('replicas', 'code');
  await replicaB.createCollection('replicas', 'code', { model: 'other-model', dimensions: 3 });
  await replicaA.upsert('replicas', 'code', [doc('new', [0, 0, 1])]);
  const hits = await replicaA.search('replicas', 'code', { mode: 'vector', vector: Float32Array.from([0, 0, 1]), limit: 5 });
  assert.deepEqual(
    hits.map((hit) => hit.id),
    ['new'],
  );
  assert.equal((await getDocument(replicaB, 'replicas', 'code', 'new'))?.id, 'new');
});

test('with a hint, an operation and its registry check go to Qdrant together: one round trip of latency, not two', { skip: needsTestServer }, async () => {
  const replica = h.open();
  await replica.createCollection('hinted', 'code', { model: MODEL, dimensions: DIMS });
  await replica.upsert('hinted', 'code', [doc('a', [1, 0, 0, 0])]);
  // Every answer waits 1 s: calls made one after the other would take 2 s at least.
  h.server!.setDelay(1000);
  try {
    const started = performance.now();
    await replica.search('hinted', 'code', { mode: 'vector', vector: Float32Array.from([1, 0, 0, 0]), limit: 1 });
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 1000 && elapsed < 1900, `two calls sent together take one delay, not two: ${Math.round(elapsed)} ms`);
  } finally {
    h.server!.setDelay(0);
  }
});

test('health passes when Qdrant is reachable', async () => {
  await store.health();
});

test('the test server recorded no invalid request and no invalid response', { skip: needsTestServer }, () => {
  assert.deepEqual(h.server!.invalid(), []);
  assert.ok(h.server!.requests.length > 50);
});
