/**
 * The vector API through HTTP (DESIGN.md section 4), on whichever vector
 * provider `start` configures: collections, documents, server-side
 * embedding, search modes, filters, scroll, deletes, jobs, provenance errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { encodeVector } from '../../src/shared/vector-encoding.js';

export interface VectorApiTarget {
  app: FastifyInstance;
  destroy(): Promise<void>;
}

const json = (response: { body: string }) => JSON.parse(response.body);

const snippets = [
  {
    id: 'getUserById',
    content: 'async function getUserById(id) { return db.users.findOne({ id }); }',
    metadata: { filePath: 'src/users.ts', language: 'typescript', complexity: 2 },
  },
  {
    id: 'fetchUser',
    content: 'export const fetchUserById = (userId) => api.get(`/users/${userId}`);',
    metadata: { filePath: 'src/api.ts', language: 'typescript', complexity: 1 },
  },
  {
    id: 'parseXml',
    content: 'def parse_xml_document(text): return ElementTree.fromstring(text)',
    metadata: { filePath: 'lib/xml.py', language: 'python', complexity: 3 },
  },
  {
    id: 'renderChart',
    content: 'function renderChart(canvas, series) { draw axes and plot every series }',
    metadata: { filePath: 'src/chart.ts', language: 'typescript', complexity: 7 },
  },
  {
    id: 'hashPassword',
    content: 'fn hash_password(password: &str) -> String { argon2::hash(password) }',
    metadata: { filePath: 'src/auth.rs', language: 'rust', complexity: 4 },
  },
];

/** The service settings the contract expects: the embedding spaces its tests create collections in, and a small collection cap. */
export const contractEnv = { VECTOR_MODELS: 'given:4,my-model:4', MAX_COLLECTIONS_PER_PROJECT: '3', MAX_RESPONSE_BYTES: String(1024 * 1024) };

export function runVectorApiContract(name: string, start: () => Promise<VectorApiTarget>): void {
  describe(`vector API: ${name}`, () => {
    let target: VectorApiTarget;
    let app: FastifyInstance;
    before(async () => {
      target = await start();
      app = target.app;
    });
    after(async () => target.destroy());

    const base = (project: string, collection = 'code') => `/v1/projects/${project}/collections/${collection}`;
    const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
      app.inject({ method, url, ...(payload !== undefined ? { payload: payload as object } : {}) });

    test('collections: create with the embedder defaults, get, list, conflict, delete', async () => {
      const created = await call('PUT', base('col'), {});
      assert.equal(created.statusCode, 200, created.body);
      assert.deepEqual(json(created), { name: 'code', count: 0, dimensions: 384, model: 'local-hash-v1', distance: 'cosine' });
      assert.equal((await call('PUT', base('col'), {})).statusCode, 200, 'idempotent');
      const conflict = await call('PUT', base('col'), { dimensions: 8, model: 'other' });
      assert.equal(conflict.statusCode, 409);
      assert.equal(json(conflict).code, 'COLLECTION_CONFLICT');
      const custom = json(await call('PUT', base('col', 'ext'), { dimensions: 4, model: 'my-model' }));
      assert.deepEqual(custom, { name: 'ext', count: 0, dimensions: 4, model: 'my-model', distance: 'cosine' });
      assert.deepEqual(
        json(await call('GET', '/v1/projects/col/collections'))
          .items.map((c: { name: string }) => c.name)
          .sort(),
        ['code', 'ext'],
      );
      assert.equal((await call('DELETE', base('col', 'ext'))).statusCode, 204);
      assert.equal(json(await call('GET', base('col', 'ext'))).code, 'COLLECTION_NOT_FOUND');
      assert.equal((await call('DELETE', base('col', 'ext'))).statusCode, 404);
    });

    test('collections: only configured embedding spaces, at most MAX_COLLECTIONS_PER_PROJECT per project', async () => {
      const junk = await call('PUT', base('limits', 'junk'), { dimensions: 4, model: 'junk-model' });
      assert.equal(junk.statusCode, 400, junk.body);
      assert.equal(json(junk).code, 'MODEL_NOT_ALLOWED');
      assert.match(json(junk).message, /local-hash-v1:384, given:4, my-model:4/, 'names what is allowed');
      assert.equal(
        json(await call('PUT', base('limits', 'sized'), { dimensions: 7 })).code,
        'MODEL_NOT_ALLOWED',
        'a size alone is an unconfigured "external" space',
      );
      assert.equal(json(await call('GET', base('limits', 'junk'))).code, 'COLLECTION_NOT_FOUND', 'nothing was created');

      for (const name of ['a', 'b', 'c']) assert.equal((await call('PUT', base('limits', name), { dimensions: 4, model: 'given' })).statusCode, 200);
      const fourth = await call('PUT', base('limits', 'd'), {});
      assert.equal(fourth.statusCode, 409, fourth.body);
      assert.equal(json(fourth).code, 'TOO_MANY_COLLECTIONS');
      const implicit = await call('PUT', `${base('limits', 'd')}/documents/x`, { content: 'created on first write' });
      assert.equal(json(implicit).code, 'TOO_MANY_COLLECTIONS', 'the first write to a new collection counts too');
      assert.equal((await call('PUT', base('limits', 'a'), { dimensions: 4, model: 'given' })).statusCode, 200, 'an existing collection is still answered');
      assert.equal((await call('PUT', base('other-project', 'd'), {})).statusCode, 200, 'the cap is per project');
      assert.equal((await call('DELETE', base('limits', 'a'))).statusCode, 204);
      assert.equal((await call('PUT', base('limits', 'd'), {})).statusCode, 200, 'room again after a delete');
    });

    test('answers are bounded by MAX_RESPONSE_BYTES: a search is refused, a scroll page ends early, hybrid reads only the final hits', async () => {
      const large = (i: number) => `function handler${i}() { return loadUser(${i}); } // ${'padding '.repeat(40_000)}`;
      const items = Array.from({ length: 6 }, (_, i) => ({ id: `big-${i}`, content: large(i), metadata: { i } }));
      assert.equal((await call('POST', `${base('budget')}/documents/batch`, { items })).statusCode, 200);
      const refused = await call('POST', `${base('budget')}/search`, { query: 'load user handler', mode: 'vector', limit: 6 });
      assert.equal(refused.statusCode, 400, refused.body);
      assert.equal(json(refused).code, 'RESPONSE_TOO_LARGE');
      assert.match(json(refused).message, /MAX_RESPONSE_BYTES.*includeContent=false/);
      const bare = await call('POST', `${base('budget')}/search`, { query: 'load user handler', mode: 'vector', limit: 6, includeContent: false });
      assert.equal(json(bare).results.length, 6);
      // Hybrid ranks 50 candidates per side: reading their content would be ~16 MB; only the one answered is read.
      const hybrid = await call('POST', `${base('budget')}/search`, { query: 'handler3 loadUser', mode: 'hybrid', limit: 1 });
      assert.equal(hybrid.statusCode, 200, hybrid.body);
      assert.equal(json(hybrid).results[0].content.length, large(0).length);
      const first = json(await call('GET', `${base('budget')}/documents?limit=6`));
      assert.ok(first.items.length >= 1 && first.items.length < 6, `one page of ~320 kB documents under 1 MiB holds ${first.items.length}`);
      assert.ok(first.nextCursor, 'with a cursor to the rest');
      const metadata = await call('PUT', `${base('budget')}/documents/fat`, {
        content: 'x',
        metadata: { tags: Array.from({ length: 1000 }, (_, i) => `tag-${i}-${'t'.repeat(60)}`) },
      });
      assert.equal(metadata.statusCode, 400);
      assert.match(json(metadata).message, /metadata of document "fat" is \d+ characters as JSON; at most 65536/);
    });

    test('server-side embedding: similar code ranks above unrelated code; re-upsert replaces', async () => {
      for (const snippet of snippets) {
        const response = await call('PUT', `${base('emb')}/documents/${snippet.id}`, { content: snippet.content, metadata: snippet.metadata });
        assert.equal(response.statusCode, 200, response.body);
      }
      assert.equal(json(await call('GET', base('emb'))).count, snippets.length, 'collection created on first upsert');
      const results = json(await call('POST', `${base('emb')}/search`, { query: 'get user by id', mode: 'vector', limit: 5 })).results;
      assert.equal(results.length, 5);
      assert.ok(['getUserById', 'fetchUser'].includes(results[0].id), `top hit ${results[0].id}`);
      const scoreOf = (id: string) => results.find((r: { id: string }) => r.id === id).score;
      assert.ok(scoreOf('getUserById') > scoreOf('parseXml'));
      assert.ok(scoreOf('fetchUser') > scoreOf('hashPassword'));
      for (let i = 1; i < results.length; i++) assert.ok(results[i - 1].score >= results[i].score, 'higher score first');
      assert.equal(results[0].content !== undefined, true, 'content included by default');

      await call('PUT', `${base('emb')}/documents/parseXml`, { content: 'def parse_json(text): return json.loads(text)', metadata: { language: 'python' } });
      assert.equal(json(await call('GET', base('emb'))).count, snippets.length, 'replaced, not duplicated');
      const doc = json(await call('GET', `${base('emb')}/documents/parseXml?includeVector=true`));
      assert.equal(doc.content, 'def parse_json(text): return json.loads(text)');
      assert.deepEqual(doc.metadata, { language: 'python' });
      assert.equal(doc.embedding.length, 384);

      // What GET answers can be PUT back as is; an id other than the URL's is refused.
      const putBack = await call('PUT', `${base('emb')}/documents/parseXml`, doc);
      assert.equal(putBack.statusCode, 200, putBack.body);
      assert.deepEqual(json(await call('GET', `${base('emb')}/documents/parseXml?includeVector=true`)), doc);
      const mismatch = await call('PUT', `${base('emb')}/documents/parseXml`, { ...doc, id: 'fetchUser' });
      assert.equal(mismatch.statusCode, 400);
      assert.equal(json(mismatch).code, 'ID_MISMATCH');
      assert.equal(json(await call('GET', `${base('emb')}/documents/fetchUser`)).content, snippets[1]!.content, 'nothing written');
    });

    test('keyword and hybrid search', async () => {
      await call('POST', `${base('kw')}/documents/batch`, { items: snippets });
      const keyword = json(await call('POST', `${base('kw')}/search`, { query: 'password', mode: 'keyword', limit: 3 })).results;
      assert.equal(keyword[0].id, 'hashPassword');
      assert.ok(keyword.every((hit: { score: number }) => hit.score > 0));
      const hybrid = json(await call('POST', `${base('kw')}/search`, { query: 'hash password', mode: 'hybrid', limit: 3 })).results;
      assert.equal(hybrid[0].id, 'hashPassword');
      const none = json(await call('POST', `${base('kw')}/search`, { query: 'zzzqqq', mode: 'keyword' })).results;
      assert.deepEqual(none, []);
    });

    test('given vectors: exact scores, threshold, filters, includeVector', async () => {
      const items = [
        { id: 'a', content: 'a', embedding: [1, 0, 0, 0], metadata: { language: 'ts', complexity: 1, tags: ['x', 'y'] } },
        { id: 'b', content: 'b', embedding: [1, 1, 0, 0], metadata: { language: 'ts', complexity: 5 } },
        { id: 'c', content: 'c', embedding: [0, 1, 0, 0], metadata: { language: 'py', complexity: 9, tags: ['y'] } },
        { id: 'd', content: 'd', embedding: [-1, 0, 0, 0], metadata: { language: 'rs' } },
      ];
      await call('PUT', base('vec'), { dimensions: 4, model: 'given' });
      assert.equal(json(await call('POST', `${base('vec')}/documents/batch`, { items })).upserted, 4);
      const search = async (body: object) => json(await call('POST', `${base('vec')}/search`, { vector: [1, 0, 0, 0], ...body })).results;
      const all = await search({ limit: 10 });
      assert.deepEqual(
        all.map((r: { id: string }) => r.id),
        ['a', 'b', 'c', 'd'],
      );
      assert.ok(Math.abs(all[0].score - 1) < 1e-6);
      assert.ok(Math.abs(all[1].score - Math.SQRT1_2) < 1e-6);
      assert.ok(Math.abs(all[2].score) < 1e-6);
      assert.ok(Math.abs(all[3].score + 1) < 1e-6);
      assert.deepEqual(
        (await search({ threshold: 0.5 })).map((r: { id: string }) => r.id),
        ['a', 'b'],
      );
      assert.deepEqual(
        (await search({ filter: { language: 'ts' } })).map((r: { id: string }) => r.id),
        ['a', 'b'],
      );
      assert.deepEqual(
        (await search({ filter: { complexity: { gte: 5 } } })).map((r: { id: string }) => r.id),
        ['b', 'c'],
      );
      assert.deepEqual(
        (await search({ filter: { language: { in: ['py', 'rs'] } } })).map((r: { id: string }) => r.id),
        ['c', 'd'],
      );
      assert.deepEqual(
        (await search({ filter: { tags: 'y' } })).map((r: { id: string }) => r.id),
        ['a', 'c'],
      );
      assert.deepEqual(
        (await search({ filter: { language: { ne: 'ts' }, complexity: { lt: 100 } } })).map((r: { id: string }) => r.id),
        ['c'],
      );
      const withVector = await search({ limit: 1, includeVector: true, includeContent: false });
      assert.deepEqual(withVector[0].embedding, [1, 0, 0, 0]);
      assert.equal(withVector[0].content, undefined);

      const text = await call('POST', `${base('vec')}/search`, { query: 'anything', mode: 'vector' });
      assert.equal(text.statusCode, 400);
      assert.equal(json(text).code, 'MODEL_MISMATCH', 'a collection of another model cannot be searched by text');
      const unembedded = await call('PUT', `${base('vec')}/documents/e`, { content: 'no vector' });
      assert.equal(json(unembedded).code, 'MODEL_MISMATCH');
      assert.match(json(unembedded).message, /given \(4 dimensions\).*local-hash-v1 \(384 dimensions\)/);
    });

    test('vectors as base64 float32: stored and searched as the same numbers as an array; what GET answers can be PUT back', async () => {
      await call('PUT', base('b64'), { dimensions: 4, model: 'given' });
      const items = [
        { id: 'a', content: 'a', embedding: encodeVector([1, 0, 0, 0]) },
        { id: 'b', content: 'b', embedding: [0.1, 0.2, 0.3, 0.4] },
        { id: 'c', content: 'c', embedding: encodeVector([0.1, 0.2, 0.3, 0.4]) },
      ];
      assert.equal(json(await call('POST', `${base('b64')}/documents/batch`, { items })).upserted, 3);
      assert.equal(json(await call('PUT', `${base('b64')}/documents/d`, { content: 'd', embedding: encodeVector([0, 0, 0, 1]) })).upserted, 1);
      const read = async (id: string) => json(await call('GET', `${base('b64')}/documents/${id}?includeVector=true`));
      const [b, c] = [await read('b'), await read('c')];
      assert.deepEqual(c.embedding, Array.from(Float32Array.from([0.1, 0.2, 0.3, 0.4])));
      assert.deepEqual(c.embedding, b.embedding, 'an array is stored as float32, like base64');
      assert.deepEqual((await read('d')).embedding, [0, 0, 0, 1]);
      const hits = json(await call('POST', `${base('b64')}/search`, { vector: encodeVector([1, 0, 0, 0]), limit: 2 })).results;
      assert.equal(hits[0].id, 'a');
      assert.ok(Math.abs(hits[0].score - 1) < 1e-6);
      assert.equal(json(await call('PUT', `${base('b64')}/documents/c`, c)).upserted, 1, 'what GET answered is accepted back');
      assert.deepEqual((await read('c')).embedding, c.embedding);
    });

    test('scroll with a filter and a cursor, delete by id and by filter', async () => {
      const items = Array.from({ length: 23 }, (_unused, i) => ({
        id: `chunk-${String(i).padStart(2, '0')}`,
        content: `chunk ${i}`,
        embedding: [1, i, 0, 0],
        metadata: { filePath: i % 3 === 0 ? 'src/a.ts' : 'src/b.ts' },
      }));
      await call('PUT', base('scroll'), { dimensions: 4, model: 'given' });
      await call('POST', `${base('scroll')}/documents/batch`, { items });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ limit: '4', filter: JSON.stringify({ filePath: 'src/b.ts' }), ...(cursor ? { cursor } : {}) });
        const page = json(await call('GET', `${base('scroll')}/documents?${query}`));
        seen.push(...page.items.map((item: { id: string }) => item.id));
        cursor = page.nextCursor;
      } while (cursor);
      const expected = items.filter((item) => item.metadata.filePath === 'src/b.ts').map((item) => item.id);
      assert.equal(new Set(seen).size, seen.length);
      assert.deepEqual(seen.sort(), expected.sort());

      const deleted = json(await call('POST', `${base('scroll')}/documents/delete`, { filter: { filePath: 'src/a.ts' } }));
      assert.equal(deleted.deleted, 8);
      assert.equal(json(await call('GET', base('scroll'))).count, 15);
      assert.equal(json(await call('DELETE', `${base('scroll')}/documents/chunk-01`)).deleted, 1);
      assert.equal(json(await call('DELETE', `${base('scroll')}/documents/chunk-01`)).deleted, 0);
      assert.equal((await call('GET', `${base('scroll')}/documents/chunk-01`)).statusCode, 404);
      assert.equal(json(await call('GET', base('scroll'))).count, 14);
    });

    test('bad input: a clear 4xx with a stable code, nothing written', async () => {
      await call('PUT', base('bad'), { dimensions: 4, model: 'given' });
      const cases: Array<[string, 'PUT' | 'POST' | 'GET', string, unknown, number, string]> = [
        [
          'wrong-length vector',
          'POST',
          '/documents/batch',
          {
            items: [
              { id: 'x', content: 'x', embedding: [1, 2, 3, 4] },
              { id: 'y', content: 'y', embedding: [1, 2, 3] },
            ],
          },
          400,
          'DIMENSION_MISMATCH',
        ],
        [
          // Vectors are decoded in slices of 250 (src/vectors/service.ts): one past the first slice still refuses the whole batch.
          'a bad vector in a later slice of a batch',
          'POST',
          '/documents/batch',
          { items: Array.from({ length: 600 }, (_, i) => ({ id: `d${i}`, content: 'x', embedding: i === 550 ? 'not base64!' : encodeVector([1, i, 0, 0]) })) },
          400,
          'INVALID_VECTOR',
        ],
        ['float32 overflow', 'PUT', '/documents/x', { content: 'x', embedding: [1e39, 0, 0, 0] }, 400, 'INVALID_VECTOR'],
        ['zero vector', 'PUT', '/documents/x', { content: 'x', embedding: [0, 0, 0, 0] }, 400, 'INVALID_VECTOR'],
        ['Infinity', 'PUT', '/documents/x', { content: 'x', embedding: [1e999, 0, 0, 0] }, 400, 'VALIDATION_FAILED'],
        ['base64 of 6 bytes', 'PUT', '/documents/x', { content: 'x', embedding: 'AAAAAAAA' }, 400, 'INVALID_VECTOR'],
        ['base64 of 3 values', 'PUT', '/documents/x', { content: 'x', embedding: encodeVector([1, 2, 3]) }, 400, 'DIMENSION_MISMATCH'],
        ['base64 NaN', 'PUT', '/documents/x', { content: 'x', embedding: encodeVector([Number.NaN, 1, 0, 0]) }, 400, 'INVALID_VECTOR'],
        ['not base64', 'PUT', '/documents/x', { content: 'x', embedding: 'not base64!' }, 400, 'INVALID_VECTOR'],
        ['base64 without padding', 'PUT', '/documents/x', { content: 'x', embedding: encodeVector([1, 0, 0, 0]).replace(/=+$/, '') }, 400, 'INVALID_VECTOR'],
        ['embedding too long for base64', 'PUT', '/documents/x', { content: 'x', embedding: 'A'.repeat(43_696) }, 400, 'INVALID_VECTOR'],
        ['embedding an empty string', 'PUT', '/documents/x', { content: 'x', embedding: '' }, 400, 'INVALID_VECTOR'],
        ['embedding an object', 'PUT', '/documents/x', { content: 'x', embedding: { 0: 1 } }, 400, 'VALIDATION_FAILED'],
        ['embedding with a string component', 'PUT', '/documents/x', { content: 'x', embedding: [1, '2', 0, 0] }, 400, 'VALIDATION_FAILED'],
        ['query vector as base64 of the wrong size', 'POST', '/search', { vector: encodeVector([1, 0, 0]) }, 400, 'DIMENSION_MISMATCH'],
        ['empty content', 'PUT', '/documents/x', { content: '', embedding: [1, 0, 0, 0] }, 400, 'VALIDATION_FAILED'],
        ['huge content', 'PUT', '/documents/x', { content: 'x'.repeat(1_000_001), embedding: [1, 0, 0, 0] }, 400, 'VALIDATION_FAILED'],
        ['nested metadata', 'PUT', '/documents/x', { content: 'x', embedding: [1, 0, 0, 0], metadata: { a: { b: 1 } } }, 400, 'VALIDATION_FAILED'],
        [
          'duplicate ids in a batch',
          'POST',
          '/documents/batch',
          {
            items: [
              { id: 'x', content: 'x', embedding: [1, 0, 0, 0] },
              { id: 'x', content: 'y', embedding: [1, 0, 0, 0] },
            ],
          },
          400,
          'VALIDATION_FAILED',
        ],
        [
          'batch over 1,000',
          'POST',
          '/documents/batch',
          { items: Array.from({ length: 1001 }, (_u, i) => ({ id: `i${i}`, content: 'x', embedding: [1, 0, 0, 0] })) },
          400,
          'BATCH_TOO_LARGE',
        ],
        ['unknown filter operator', 'POST', '/search', { vector: [1, 0, 0, 0], filter: { language: { like: 'ts%' } } }, 400, 'INVALID_FILTER'],
        ['empty operator object', 'POST', '/search', { vector: [1, 0, 0, 0], filter: { language: {} } }, 400, 'INVALID_FILTER'],
        ['query vector of the wrong size', 'POST', '/search', { vector: [1, 0, 0] }, 400, 'DIMENSION_MISMATCH'],
        ['limit out of range', 'POST', '/search', { vector: [1, 0, 0, 0], limit: 0 }, 400, 'VALIDATION_FAILED'],
        ['keyword without query', 'POST', '/search', { mode: 'keyword' }, 400, 'VALIDATION_FAILED'],
        ['unknown mode', 'POST', '/search', { vector: [1, 0, 0, 0], mode: 'fuzzy' }, 400, 'VALIDATION_FAILED'],
        ['delete with an empty filter', 'POST', '/documents/delete', { filter: {} }, 400, 'INVALID_FILTER'],
        ['scroll filter not JSON', 'GET', '/documents?filter=%7Bnope', undefined, 400, 'INVALID_FILTER'],
        ['bad scroll cursor', 'GET', '/documents?cursor=%%%', undefined, 400, 'INVALID_CURSOR'],
      ];
      for (const [what, method, suffix, body, status, code] of cases) {
        const response = await call(method, `${base('bad')}${suffix}`, body);
        assert.equal(response.statusCode, status, `${what}: ${response.body}`);
        assert.equal(json(response).code, code, what);
      }
      const message = json(await call('POST', `${base('bad')}/documents/batch`, cases[0]![3])).message;
      assert.match(message, /3 dimensions.*\b4\b/, 'names both sizes');
      const explained = async (what: string) => json(await call('PUT', `${base('bad')}/documents/x`, cases.find((c) => c[0] === what)![3])).message;
      assert.match(await explained('base64 of 6 bytes'), /embedding of "x" is not 1 to 8192 float32 values in standard base64/);
      assert.match(await explained('not base64'), /not 1 to 8192 float32 values in standard base64/);
      assert.match(await explained('embedding too long for base64'), /not 1 to 8192 float32 values/);
      assert.match(await explained('embedding an object'), /body\.embedding must be array or string/);
      assert.match(await explained('embedding with a string component'), /body\.embedding\.1 must be number/, 'the array branch explains a bad item');
      assert.equal(json(await call('GET', base('bad'))).count, 0, 'nothing written');
      assert.equal(json(await call('POST', `${base('nope')}/search`, { vector: [1] })).code, 'COLLECTION_NOT_FOUND');
      assert.equal(json(await call('PUT', '/v1/projects/bad/collections/no%20spaces', {})).code, 'VALIDATION_FAILED');
    });

    test('jobs: progress to the total, a failing item reported, the rest landed', async () => {
      await call('PUT', base('jobs'), { dimensions: 4, model: 'given' });
      const items = Array.from({ length: 250 }, (_unused, i) => ({ id: `d${i}`, content: `doc ${i}`, embedding: i === 137 ? [1, 2, 3] : [1, i + 1, 0, 0] }));
      const submitted = await call('POST', `${base('jobs')}/jobs`, { items });
      assert.equal(submitted.statusCode, 202, submitted.body);
      const { jobId } = json(submitted);
      let job;
      let previous = -1;
      for (let polls = 0; polls < 500; polls++) {
        job = json(await call('GET', `/v1/jobs/${jobId}`));
        assert.ok(job.processed >= previous, 'progress never goes back');
        assert.equal(job.total, 250);
        previous = job.processed;
        if (job.status === 'succeeded' || job.status === 'failed') break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(job.status, 'succeeded');
      assert.equal(job.processed, 250);
      assert.equal(job.failed, 1);
      assert.equal(job.etaSeconds, 0);
      assert.deepEqual(
        job.errors.map((error: { id: string; code: string }) => [error.id, error.code]),
        [['d137', 'DIMENSION_MISMATCH']],
      );
      assert.equal(json(await call('GET', base('jobs'))).count, 249);
      assert.equal(json(await call('GET', '/v1/jobs/not-a-job')).code, 'JOB_NOT_FOUND');
    });

    test('stats count vectors; deleting the project deletes them; projects stay isolated', async () => {
      await call('POST', `${base('life')}/documents/batch`, { items: snippets.slice(0, 3) });
      await call('POST', `${base('life', 'other')}/documents/batch`, { items: snippets.slice(0, 2) });
      await call('POST', `${base('life-b')}/documents/batch`, { items: snippets.slice(0, 1) });
      const stats = json(await call('GET', '/v1/projects/life/stats'));
      assert.deepEqual(stats.vectors, { collections: 2, documents: 5 });
      assert.equal(json(await call('GET', '/v1/projects/life')).projectId, 'life', 'a vector write creates the project');
      assert.deepEqual(
        json(await call('GET', '/v1/projects/life-b/collections')).items.map((c: { count: number }) => c.count),
        [1],
      );
      assert.equal((await call('GET', `${base('life-b')}/documents/${snippets[1]!.id}`)).statusCode, 404);
      assert.equal((await call('DELETE', '/v1/projects/life')).statusCode, 204);
      assert.deepEqual(json(await call('GET', '/v1/projects/life/collections')).items, []);
      assert.deepEqual(json(await call('GET', '/v1/projects/life/stats')).vectors, { collections: 0, documents: 0 });
      assert.equal(json(await call('GET', base('life-b'))).count, 1, 'the other project keeps its vectors');
    });
  });
}
