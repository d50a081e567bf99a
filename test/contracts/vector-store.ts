/**
 * The VectorStore contract: one suite that every provider runs (embedded,
 * Qdrant), so that they answer alike. Each test opens its own store (or its
 * own namespace on a shared server) and uses project ids unique to the test.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAppError, type ErrorCode } from '../../src/errors.js';
import type { Filter, Metadata, SearchHit, VectorDocument, VectorStore } from '../../src/vectors/port.js';
import { cosine, randomVector, seededRandom } from '../support/random.js';
import { countDocuments, getDocument } from '../support/count.js';

export interface OpenedStore {
  store: VectorStore;
  /** Closes `store` and opens the same data again (a restart); omit when the provider cannot. */
  reopen?: () => Promise<VectorStore>;
  cleanup: () => Promise<void>;
}

/** Exact top-k by cosine among `documents` passing `keep`. */
export function exactTop(
  documents: VectorDocument[],
  query: Float32Array,
  k: number,
  keep: (d: VectorDocument) => boolean = () => true,
): Array<{ id: string; score: number }> {
  return documents
    .filter(keep)
    .map((d) => ({ id: d.id, score: cosine(d.vector, query) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, messageIncludes: string[] = []): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isAppError(error), `expected an AppError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const part of messageIncludes) assert.ok(error.message.includes(part), `message "${error.message}" should mention ${part}`);
    return true;
  });
}

const DIMS = 8;
const MODEL = 'test-model';

/** Vectors come back as stored, up to float32 rounding (a provider may normalise and rescale them). */
function assertSameVector(actual: Float32Array, expected: Float32Array): void {
  assert.ok(actual instanceof Float32Array);
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= 1e-6 * Math.max(1, Math.abs(expected[i]!)), `component ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

export function runVectorStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`VectorStore contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: VectorStore;
    let project: string;
    const other = (): string => `${project}-other`;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      project = `p-${randomUUID().slice(0, 8)}`;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    const doc = (id: string, vector: Float32Array, metadata: Metadata = {}, content = `content of ${id}`): VectorDocument => ({
      id,
      content,
      metadata,
      vector,
    });

    async function seed(collection: string, count: number, seedValue = 1, metadataOf: (i: number) => Metadata = () => ({})): Promise<VectorDocument[]> {
      await store.createCollection(project, collection, { dimensions: DIMS, model: MODEL });
      const random = seededRandom(seedValue);
      const documents = Array.from({ length: count }, (_, i) => doc(`doc-${String(i).padStart(3, '0')}`, randomVector(random, DIMS), metadataOf(i)));
      await store.upsert(project, collection, documents);
      return documents;
    }

    const ids = (hits: Array<{ id: string }>): string[] => hits.map((hit) => hit.id);

    describe('collections', () => {
      it('creates, gets, lists and deletes collections', async () => {
        const created = await store.createCollection(project, 'code', { dimensions: DIMS, model: MODEL });
        assert.deepEqual(created, { name: 'code', dimensions: DIMS, model: MODEL, distance: 'cosine', count: 0 });
        await store.createCollection(project, 'docs', { dimensions: 4, model: 'other-model' });
        await store.upsert(project, 'code', [doc('a', randomVector(seededRandom(1), DIMS))]);

        assert.deepEqual(await store.getCollection(project, 'code'), { ...created, count: 1 });
        assert.equal(await store.getCollection(project, 'missing'), null);
        const listed = await store.listCollections(project);
        assert.deepEqual(listed.map((c) => [c.name, c.dimensions, c.model, c.count]).sort(), [
          ['code', DIMS, MODEL, 1],
          ['docs', 4, 'other-model', 0],
        ]);

        assert.equal(await store.deleteCollection(project, 'code'), true);
        assert.equal(await store.deleteCollection(project, 'code'), false);
        assert.equal(await store.getCollection(project, 'code'), null);
        assert.deepEqual(
          (await store.listCollections(project)).map((c) => c.name),
          ['docs'],
        );
      });

      it('returns the existing collection, untouched, whatever spec is asked (the service compares)', async () => {
        await seed('code', 3);
        const again = await store.createCollection(project, 'code', { dimensions: DIMS, model: MODEL });
        assert.equal(again.count, 3, 'creating again must not empty the collection');
        const other = await store.createCollection(project, 'code', { dimensions: DIMS + 1, model: 'another-model' });
        assert.deepEqual([other.dimensions, other.model, other.count], [DIMS, MODEL, 3]);
      });

      it('answers COLLECTION_NOT_FOUND for documents of a missing collection', async () => {
        const vector = randomVector(seededRandom(2), DIMS);
        await rejectsWith(store.upsert(project, 'missing', [doc('a', vector)]), 'COLLECTION_NOT_FOUND');
        await rejectsWith(store.search(project, 'missing', { mode: 'vector', vector, limit: 5 }), 'COLLECTION_NOT_FOUND');
        await rejectsWith(countDocuments(store, project, 'missing'), 'COLLECTION_NOT_FOUND');
        await rejectsWith(store.scroll(project, 'missing', { limit: 5 }), 'COLLECTION_NOT_FOUND');
      });
    });

    describe('documents', () => {
      it('stores content, metadata and the vector as given', async () => {
        await store.createCollection(project, 'code', { dimensions: DIMS, model: MODEL });
        const vector = randomVector(seededRandom(3), DIMS);
        const metadata = { filePath: 'src/a.ts', language: 'typescript', complexity: 3, tags: ['x', 'y'], exported: true, owner: null };
        await store.upsert(project, 'code', [doc('concept_123', vector, metadata, 'export function a() {}')]);

        const got = await getDocument(store, project, 'code', 'concept_123', { includeContent: true, includeVector: true });
        assert.ok(got);
        assert.equal(got.id, 'concept_123');
        assert.equal(got.content, 'export function a() {}');
        assert.deepEqual(got.metadata, metadata);
        assert.ok(got.vector instanceof Float32Array);
        assertSameVector(got.vector, vector);
        assert.equal(await getDocument(store, project, 'code', 'absent'), null);
      });

      it('replaces a re-upserted id instead of duplicating it', async () => {
        const documents = await seed('code', 10);
        const moved = randomVector(seededRandom(99), DIMS);
        await store.upsert(project, 'code', [doc('doc-003', moved, { version: 2 }, 'new content')]);

        assert.equal(await countDocuments(store, project, 'code'), 10);
        const got = await getDocument(store, project, 'code', 'doc-003', { includeContent: true, includeVector: true });
        assert.equal(got?.content, 'new content');
        assert.deepEqual(got?.metadata, { version: 2 });
        assertSameVector(got!.vector!, moved);

        // Searching for the old vector must not find the old version under the same id.
        const hits = await store.search(project, 'code', { mode: 'vector', vector: documents[3]!.vector, limit: 10 });
        assert.equal(ids(hits).filter((id) => id === 'doc-003').length, 1);
        const hit = hits.find((h) => h.id === 'doc-003')!;
        assert.ok(Math.abs(hit.score - cosine(moved, documents[3]!.vector)) < 1e-4, 'score must come from the new vector');
      });

      it('keeps the last of repeated ids in one batch', async () => {
        await store.createCollection(project, 'code', { dimensions: DIMS, model: MODEL });
        const random = seededRandom(4);
        await store.upsert(project, 'code', [doc('a', randomVector(random, DIMS), { n: 1 }), doc('a', randomVector(random, DIMS), { n: 2 })]);
        assert.equal(await countDocuments(store, project, 'code'), 1);
        assert.deepEqual((await getDocument(store, project, 'code', 'a'))?.metadata, { n: 2 });
      });

      it('rejects a batch with a vector of another size as a whole', async () => {
        await seed('code', 2);
        const random = seededRandom(5);
        const good = doc('new-good', randomVector(random, DIMS));
        await rejectsWith(store.upsert(project, 'code', [good, doc('short', randomVector(random, 3))]), 'DIMENSION_MISMATCH', ['3', String(DIMS)]);
        assert.equal(await countDocuments(store, project, 'code'), 2);
        assert.equal(await getDocument(store, project, 'code', 'new-good'), null);
      });

      it('rejects a query vector of another size, naming both sizes', async () => {
        await seed('code', 2);
        await rejectsWith(store.search(project, 'code', { mode: 'vector', vector: new Float32Array(DIMS + 2).fill(0.5), limit: 3 }), 'DIMENSION_MISMATCH', [
          String(DIMS + 2),
          String(DIMS),
        ]);
      });
    });

    describe('vector search', () => {
      it('orders by exact cosine similarity, higher first, with exact scores', async () => {
        const documents = await seed('code', 60, 7);
        const random = seededRandom(8);
        for (let q = 0; q < 5; q++) {
          const query = randomVector(random, DIMS);
          const expected = exactTop(documents, query, 10);
          const hits = await store.search(project, 'code', { mode: 'vector', vector: query, limit: 10 });
          assert.deepEqual(ids(hits), ids(expected));
          hits.forEach((hit, i) => assert.ok(Math.abs(hit.score - expected[i]!.score) < 1e-4, `score ${hit.score} vs ${expected[i]!.score}`));
        }
      });

      it('keeps only scores strictly above the threshold', async () => {
        const documents = await seed('code', 40, 9);
        const query = documents[0]!.vector;
        const expected = exactTop(documents, query, 40);
        // Halfway between the 5th and 6th scores: exactly five are above, whatever the float rounding.
        const threshold = (expected[4]!.score + expected[5]!.score) / 2;
        const hits = await store.search(project, 'code', { mode: 'vector', vector: query, limit: 20, threshold });
        assert.deepEqual(ids(hits), ids(expected.slice(0, 5)));
        assert.ok(hits.every((hit) => hit.score > threshold));
        const strict = await store.search(project, 'code', { mode: 'vector', vector: query, limit: 20, threshold: 0.999 });
        assert.deepEqual(ids(strict), [documents[0]!.id]);
      });

      it('returns content and vector only when asked', async () => {
        const documents = await seed('code', 5);
        const bare = await store.search(project, 'code', { mode: 'vector', vector: documents[1]!.vector, limit: 1 });
        assert.equal(bare[0]!.content, undefined);
        assert.equal(bare[0]!.vector, undefined);
        const full = await store.search(project, 'code', { mode: 'vector', vector: documents[1]!.vector, limit: 1, includeContent: true, includeVector: true });
        assert.equal(full[0]!.content, documents[1]!.content);
        assertSameVector(full[0]!.vector!, documents[1]!.vector);
      });
    });

    describe('filters', () => {
      // Each document's metadata, and which filters should keep it, written out by hand.
      const metadataOf = (i: number): Metadata =>
        [
          { language: 'typescript', complexity: 1, tags: ['api', 'auth'], exported: true, updated: '2024-01-10T00:00:00Z' },
          { language: 'typescript', complexity: 5, tags: ['db'], exported: false, updated: '2024-03-01T00:00:00Z' },
          { language: 'python', complexity: 9, tags: ['api'], updated: '2024-06-01T00:00:00Z' },
          { language: 'python', complexity: '5', tags: [] },
          { language: 'rust', complexity: 12, exported: true, owner: null },
          { complexity: 3 },
        ][i]!;

      const cases: Array<[string, Filter, string[]]> = [
        ['equality', { language: 'typescript' }, ['doc-000', 'doc-001']],
        ['equality is type-strict', { complexity: 5 }, ['doc-001']],
        ['equality on a string that looks like a number', { complexity: '5' }, ['doc-003']],
        ['equality on a boolean', { exported: true }, ['doc-000', 'doc-004']],
        ['equality with null', { owner: null }, ['doc-004']],
        ['equality matches any element of an array', { tags: 'api' }, ['doc-000', 'doc-002']],
        ['in', { language: { in: ['python', 'rust'] } }, ['doc-002', 'doc-003', 'doc-004']],
        ['in on an array field', { tags: { in: ['auth', 'db'] } }, ['doc-000', 'doc-001']],
        ['nin passes missing keys', { language: { nin: ['typescript', 'python'] } }, ['doc-004', 'doc-005']],
        ['nin on an array field excludes any overlap', { tags: { nin: ['api'] } }, ['doc-001', 'doc-003', 'doc-004', 'doc-005']],
        ['ne passes missing keys', { language: { ne: 'python' } }, ['doc-000', 'doc-001', 'doc-004', 'doc-005']],
        ['ne on an array field', { tags: { ne: 'api' } }, ['doc-001', 'doc-003', 'doc-004', 'doc-005']],
        ['gt', { complexity: { gt: 5 } }, ['doc-002', 'doc-004']],
        ['gte', { complexity: { gte: 5 } }, ['doc-001', 'doc-002', 'doc-004']],
        ['lt', { complexity: { lt: 5 } }, ['doc-000', 'doc-005']],
        ['lte', { complexity: { lte: 5 } }, ['doc-000', 'doc-001', 'doc-005']],
        ['range between bounds', { complexity: { gt: 1, lt: 12 } }, ['doc-001', 'doc-002', 'doc-005']],
        ['date-time range', { updated: { gte: '2024-02-01T00:00:00Z', lt: '2024-12-31T00:00:00Z' } }, ['doc-001', 'doc-002']],
        ['in on a boolean (missing keys fail in)', { exported: { in: [false] } }, ['doc-001']],
        ['implicit AND', { language: 'typescript', complexity: { gt: 2 } }, ['doc-001']],
        ['empty filter', {}, ['doc-000', 'doc-001', 'doc-002', 'doc-003', 'doc-004', 'doc-005']],
      ];

      for (const [title, filter, expected] of cases) {
        it(`${title}: ${JSON.stringify(filter)}`, async () => {
          const documents = await seed('code', 6, 11, metadataOf);
          assert.equal(await countDocuments(store, project, 'code', filter), expected.length, 'count');
          const page = await store.scroll(project, 'code', { filter, limit: 100 });
          // Scroll order is the provider's own (Qdrant pages by point UUID); the set is the contract.
          assert.deepEqual(ids(page.items).sort(), [...expected].sort(), 'scroll');
          const hits = await store.search(project, 'code', { mode: 'vector', vector: documents[0]!.vector, limit: 10, filter });
          assert.deepEqual(ids(hits), ids(exactTop(documents, documents[0]!.vector, 10, (d) => expected.includes(d.id))), 'search');
        });
      }
    });

    describe('keyword search', () => {
      it('ranks documents containing the query terms above those that do not', async () => {
        await store.createCollection(project, 'code', { dimensions: DIMS, model: MODEL });
        const random = seededRandom(12);
        const texts: Record<string, string> = {
          both: 'function parseJson(text) { return JSON.parse(text) } // parse json safely',
          one: 'function parseYaml(text) { return yaml.parse(text) } // parse yaml',
          none: 'class HttpServer { listen(port) {} }',
          other: 'export const answer = 42;',
        };
        await store.upsert(
          project,
          'code',
          Object.entries(texts).map(([id, content]) => doc(id, randomVector(random, DIMS), { kind: id === 'none' ? 'b' : 'a' }, content)),
        );

        const hits = await store.search(project, 'code', { mode: 'keyword', text: 'parse json', limit: 10 });
        assert.deepEqual(ids(hits), ['both', 'one']);
        assert.ok(
          hits.every((hit) => hit.score > 0),
          'keyword scores are positive',
        );
        assert.ok(hits[0]!.score > hits[1]!.score, 'higher score means more relevant');

        const filtered = await store.search(project, 'code', { mode: 'keyword', text: 'parse', limit: 10, filter: { kind: 'b' } });
        assert.deepEqual(filtered, []);
        const withContent = await store.search(project, 'code', { mode: 'keyword', text: 'HttpServer listen', limit: 1, includeContent: true });
        assert.equal(withContent[0]?.content, texts.none);
        assert.deepEqual(await store.search(project, 'code', { mode: 'keyword', text: '"( OR *', limit: 5 }), [], 'query syntax never leaks through');
      });
    });

    describe('scroll and count', () => {
      it('scrolls to the end in id order without duplicates or gaps', async () => {
        const documents = await seed('code', 23, 13, (i) => ({ even: i % 2 === 0 }));
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.scroll(project, 'code', { limit: 5, cursor, includeContent: true });
          assert.ok(page.items.length <= 5);
          assert.ok(page.items.every((item) => item.content === `content of ${item.id}`));
          seen.push(...ids(page.items));
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor && pages < 20);
        assert.equal(new Set(seen).size, seen.length, 'no duplicates');
        assert.deepEqual([...seen].sort(), ids(documents).sort());

        const evens: string[] = [];
        cursor = undefined;
        do {
          const page = await store.scroll(project, 'code', { limit: 4, cursor, filter: { even: true } });
          evens.push(...ids(page.items));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        assert.deepEqual([...evens].sort(), ids(documents.filter((_, i) => i % 2 === 0)).sort());
        assert.equal(await countDocuments(store, project, 'code', { even: true }), 12);
        assert.equal(await countDocuments(store, project, 'code'), 23);
      });

      it('rejects a cursor it did not issue', async () => {
        await seed('code', 3);
        await rejectsWith(store.scroll(project, 'code', { limit: 2, cursor: 'not-a-cursor!' }), 'INVALID_CURSOR');
      });
    });

    describe('answer size (maxBytes)', () => {
      const big = (i: number) => `${String(i).padStart(4, '0')} ${'x'.repeat(100_000)}`;

      it('getMany answers the documents that exist, in the order asked, content by default', async () => {
        const documents = await seed('code', 5);
        const got = await store.getMany(project, 'code', ['doc-003', 'missing', 'doc-001'], { includeVector: true });
        assert.deepEqual(ids(got), ['doc-003', 'doc-001']);
        assert.equal(got[0]!.content, 'content of doc-003');
        assertSameVector(got[1]!.vector!, documents[1]!.vector);
        assert.deepEqual(
          await store.getMany(other(), 'code', ['doc-001']).catch((error: unknown) => (isAppError(error) ? error.code : error)),
          'COLLECTION_NOT_FOUND',
        );
      });

      it('a search whose hits would exceed maxBytes is RESPONSE_TOO_LARGE; without content it answers', async () => {
        await store.createCollection(project, 'big', { dimensions: DIMS, model: MODEL });
        const random = seededRandom(7);
        await store.upsert(
          project,
          'big',
          Array.from({ length: 30 }, (_, i) => doc(`big-${i}`, randomVector(random, DIMS), { i }, big(i))),
        );
        const query = randomVector(random, DIMS);
        await rejectsWith(
          store.search(project, 'big', { mode: 'vector', vector: query, limit: 30, includeContent: true, maxBytes: 1_000_000 }),
          'RESPONSE_TOO_LARGE',
          ['1000000'],
        );
        await rejectsWith(
          store.getMany(project, 'big', ['big-1', 'big-2', 'big-3', 'big-4', 'big-5', 'big-6', 'big-7', 'big-8', 'big-9', 'big-10', 'big-11'], {
            maxBytes: 1_000_000,
          }),
          'RESPONSE_TOO_LARGE',
        );
        assert.equal((await store.search(project, 'big', { mode: 'vector', vector: query, limit: 30, includeContent: false, maxBytes: 1_000_000 })).length, 30);
        const few = await store.search(project, 'big', { mode: 'vector', vector: query, limit: 5, includeContent: true, maxBytes: 1_000_000 });
        assert.equal(few.length, 5);
        assert.ok(few.every((hit) => hit.content?.length === 100_005));
      });

      it('a scroll page ends early at maxBytes with a cursor, and the pages still cover every document once', async () => {
        await store.createCollection(project, 'big', { dimensions: DIMS, model: MODEL });
        const random = seededRandom(8);
        await store.upsert(
          project,
          'big',
          Array.from({ length: 25 }, (_, i) => doc(`big-${String(i).padStart(2, '0')}`, randomVector(random, DIMS), {}, big(i))),
        );
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.scroll(project, 'big', { limit: 20, cursor, includeContent: true, maxBytes: 1_000_000 });
          assert.ok(page.items.length >= 1 && page.items.length <= 9, `a page of ${page.items.length} documents of ~100 kB fits 1 MB`);
          assert.ok(page.items.every((item) => item.content?.length === 100_005));
          seen.push(...ids(page.items));
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor !== undefined && pages < 20);
        assert.deepEqual(
          [...seen].sort(),
          Array.from({ length: 25 }, (_, i) => `big-${String(i).padStart(2, '0')}`),
          "each once (in the provider's order)",
        );
        const tiny = await store.scroll(project, 'big', { limit: 5, includeContent: true, maxBytes: 1000 });
        assert.equal(tiny.items.length, 1, 'a page always moves on, even past one document over the budget');
        assert.ok(tiny.nextCursor);
      });
    });

    describe('deletes', () => {
      it('deletes by ids and by filter, returning counts, and never returns a deleted document', async () => {
        const documents = await seed('code', 20, 14, (i) => ({ filePath: `src/file${i % 4}.ts` }));
        assert.equal(await store.deleteByIds(project, 'code', ['doc-000', 'doc-001', 'no-such-doc']), 2);
        assert.equal(await store.deleteByIds(project, 'code', ['doc-000']), 0);
        assert.equal(await getDocument(store, project, 'code', 'doc-000'), null);
        const hits = await store.search(project, 'code', { mode: 'vector', vector: documents[0]!.vector, limit: 20 });
        assert.ok(!ids(hits).includes('doc-000'));
        assert.equal(hits.length, 18);

        // Every chunk of one file: 5 documents had file0, one of them is already gone.
        assert.equal(await store.deleteByFilter(project, 'code', { filePath: 'src/file0.ts' }), 4);
        assert.equal(await store.deleteByFilter(project, 'code', { filePath: 'src/file0.ts' }), 0);
        assert.equal(await countDocuments(store, project, 'code'), 14);
        assert.equal(await countDocuments(store, project, 'code', { filePath: 'src/file0.ts' }), 0);
        const keyword = await store.search(project, 'code', { mode: 'keyword', text: 'content', limit: 50 });
        assert.equal(keyword.length, 14);
      });
    });

    describe('isolation', () => {
      it('never crosses projects or collections, and deleteProject removes only its own', async () => {
        const vector = randomVector(seededRandom(15), DIMS);
        for (const p of [project, other()]) {
          await store.createCollection(p, 'code', { dimensions: DIMS, model: MODEL });
          await store.createCollection(p, 'notes', { dimensions: DIMS, model: MODEL });
          await store.upsert(p, 'code', [doc('shared-id', vector, { owner: p }, `code of ${p}`)]);
          await store.upsert(p, 'notes', [doc(`note-${p}`, vector, { owner: p }, `note of ${p}`)]);
        }
        const hits = await store.search(project, 'code', { mode: 'vector', vector, limit: 10 });
        assert.deepEqual(
          hits.map((h: SearchHit) => [h.id, h.metadata.owner]),
          [['shared-id', project]],
        );
        assert.deepEqual(ids(await store.search(project, 'notes', { mode: 'keyword', text: 'note', limit: 10 })), [`note-${project}`]);
        assert.equal((await getDocument(store, other(), 'code', 'shared-id', { includeContent: true }))?.content, `code of ${other()}`);

        await store.deleteByIds(project, 'code', ['shared-id']);
        assert.equal(await countDocuments(store, other(), 'code'), 1, 'a delete in one project leaves the other');

        await store.deleteProject(project);
        assert.deepEqual(await store.listCollections(project), []);
        assert.equal(await store.getCollection(project, 'notes'), null);
        assert.deepEqual((await store.listCollections(other())).map((c) => c.name).sort(), ['code', 'notes']);
        assert.equal(await countDocuments(store, other(), 'notes'), 1);
        await store.deleteProject(other());
      });
    });

    describe('persistence', () => {
      it('keeps collections and documents across a restart', async (t) => {
        if (!opened.reopen) return t.skip('provider cannot reopen');
        const documents = await seed('code', 30, 16, (i) => ({ n: i }));
        await store.deleteByIds(project, 'code', ['doc-004']);
        await store.upsert(project, 'code', [doc('doc-005', documents[5]!.vector, { n: 500 }, 'replaced')]);

        store = await opened.reopen();
        assert.deepEqual(await store.getCollection(project, 'code'), { name: 'code', dimensions: DIMS, model: MODEL, distance: 'cosine', count: 29 });
        assert.equal(await getDocument(store, project, 'code', 'doc-004'), null);
        assert.equal((await getDocument(store, project, 'code', 'doc-005', { includeContent: true }))?.content, 'replaced');
        const query = documents[9]!.vector;
        const expected = exactTop(
          documents.filter((d) => d.id !== 'doc-004'),
          query,
          5,
        );
        assert.deepEqual(ids(await store.search(project, 'code', { mode: 'vector', vector: query, limit: 5 })), ids(expected));
        assert.deepEqual(ids(await store.search(project, 'code', { mode: 'keyword', text: 'replaced', limit: 5 })), ['doc-005']);
      });
    });
  });
}
