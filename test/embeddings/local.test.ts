import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalEmbedder } from '../../src/embeddings/local.js';
import { AppError } from '../../src/errors.js';

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((sum, v, i) => sum + v * b[i]!, 0);

describe('local embedder', () => {
  it('describes itself', () => {
    const embedder = createLocalEmbedder();
    assert.equal(embedder.provider, 'local');
    assert.equal(embedder.model, 'local-hash-v1');
    assert.equal(embedder.dimensions, 384);
  });

  it('is deterministic, across calls and across instances', async () => {
    const text = 'export function getUserById(id: string) { return users.get(id); }';
    const [first] = await createLocalEmbedder().embed([text]);
    const [second] = await createLocalEmbedder().embed([text, 'something else']);
    assert.deepEqual(first, second);
  });

  it('pins its hashing: vectors stored yesterday must match queries today', async () => {
    // A change here silently breaks every persisted collection: bump the model name instead.
    const [vector] = await createLocalEmbedder({ dimensions: 8 }).embed(['getUserById']);
    assert.deepEqual(
      Array.from(vector!, (v) => Math.round(v * 1e4) / 1e4),
      PINNED_GET_USER_BY_ID,
    );
  });

  it('returns unit-length vectors of the configured size', async () => {
    for (const dimensions of [8, 384, 1536]) {
      const vectors = await createLocalEmbedder({ dimensions }).embed(['a', 'const x = 1;', '=> {}', 'Ünïcödé 名前 ошибка', 'x'.repeat(10_000)]);
      for (const vector of vectors) {
        assert.equal(vector.length, dimensions);
        assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-5, `unit length at ${dimensions}`);
      }
    }
  });

  it('refuses a size below 8 or not an integer', () => {
    assert.throws(() => createLocalEmbedder({ dimensions: 4 }), /dimensions/);
    assert.throws(() => createLocalEmbedder({ dimensions: 100.5 }), /dimensions/);
  });

  it('scores similar code above unrelated code', async () => {
    const embedder = createLocalEmbedder();
    const cases: Array<[string, string, string]> = [
      ['getUserById', 'fetch user by id', 'parseXmlDocument'],
      ['get_user_by_id', 'getUserById', 'parse-xml-document'],
      [
        'function getUserById(id) { return db.users.find((u) => u.id === id); }',
        'async function fetchUser(userId: string) { return repo.findUserById(userId); }',
        'function parseXmlDocument(xml: string) { return new DOMParser().parseFromString(xml, "text/xml"); }',
      ],
      ['class HttpServer { listen(port: number) {} }', 'start the HTTP server listening on a port', 'compute the sha256 checksum of a file'],
    ];
    for (const [anchor, similar, unrelated] of cases) {
      const [a, s, u] = await embedder.embed([anchor, similar, unrelated]);
      const near = dot(a!, s!);
      const far = dot(a!, u!);
      assert.ok(near > far + 0.2, `"${anchor}": similar ${near.toFixed(3)} should beat unrelated ${far.toFixed(3)}`);
    }
  });

  it('splits identifiers the way code is written', async () => {
    const embedder = createLocalEmbedder();
    const [camel, snake, kebab, acronym, spaced] = await embedder.embed([
      'parseHTTPResponse2',
      'parse_http_response_2',
      'parse-http-response-2',
      'HTTPResponse',
      'parse http response 2',
    ]);
    // Every spelling of the same words lands close to the plain words.
    for (const v of [camel, snake, kebab]) assert.ok(dot(v!, spaced!) > 0.8, `${dot(v!, spaced!)}`);
    assert.ok(dot(acronym!, camel!) > 0.5);
  });

  it('lets other work run during a large batch', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    const vectors = await createLocalEmbedder().embed(Array.from({ length: 1_000 }, (_, i) => `const value${i} = compute(${i});`));
    clearInterval(ticker);
    assert.equal(vectors.length, 1_000);
    assert.ok(ticks > 0, 'timers ran while embedding');
  });

  it('refuses a blank text with VALIDATION_FAILED and embeds nothing for no texts', async () => {
    const embedder = createLocalEmbedder();
    await assert.rejects(
      embedder.embed(['fine', ' \n\t']),
      (error: unknown) => error instanceof AppError && error.code === 'VALIDATION_FAILED' && /text 1/.test(error.message),
    );
    assert.deepEqual(await embedder.embed([]), []);
  });
});

const PINNED_GET_USER_BY_ID = [0, -0.4588, -0.2294, -0.2294, 0, 0.4588, 0, -0.6882];
