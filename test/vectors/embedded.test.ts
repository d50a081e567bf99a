import assert from 'node:assert/strict';
import { countDocuments, getDocument } from '../support/count.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SCROLL_EXAMINE_LIMIT, createEmbeddedVectorStore, type EmbeddedVectorStore, type EmbeddedVectorStoreOptions } from '../../src/vectors/embedded.js';
import { BUILD_STOPPED, defaultAnnParams, runBuild } from '../../src/vectors/embedded/ann.js';
import type { Metadata, VectorDocument } from '../../src/vectors/port.js';
import { exactTop, rejectsWith, runVectorStoreContract } from '../contracts/vector-store.js';
import { captureLog } from '../support/log.js';

function temporaryDir(): string {
  return mkdtempSync(join(tmpdir(), 'embedded-vectors-'));
}

runVectorStoreContract('embedded', async () => {
  const dataDir = temporaryDir();
  let store: EmbeddedVectorStore = await createEmbeddedVectorStore({ dataDir });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await createEmbeddedVectorStore({ dataDir });
      return store;
    },
    cleanup: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

/** Clustered vectors, like real embeddings: HNSW needs neighbourhoods to find. */
function clustered(count: number, dimensions: number, seed: number): Float32Array[] {
  let state = seed;
  const random = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  const gaussian = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centroids = Array.from({ length: 40 }, () => Float32Array.from({ length: dimensions }, gaussian));
  return Array.from({ length: count }, () => {
    const centroid = centroids[Math.floor(random() * centroids.length)]!;
    return centroid.map((x) => x + gaussian() * 0.6);
  });
}

const DIMS = 32;
const LANGUAGES = ['typescript', 'python', 'rust', 'go', 'java', 'ruby', 'c', 'cpp', 'php', 'kotlin'];

describe('embedded store: ANN index path', () => {
  const dataDir = temporaryDir();
  // A tiny exact-scan budget sends filtered searches down the graph and packed-subset paths, as 100k documents would.
  const options: EmbeddedVectorStoreOptions = { dataDir, indexThreshold: 300, exactScanBudget: 1000 };
  let store: EmbeddedVectorStore;
  let documents: VectorDocument[];
  const vectors = clustered(3200, DIMS, 42);
  const queries = clustered(30, DIMS, 43);
  const metadataOf = (i: number): Metadata => ({ language: LANGUAGES[i % LANGUAGES.length]!, rare: i % 500 === 7, size: i % 100 });

  before(async () => {
    store = await createEmbeddedVectorStore(options);
    await store.createCollection('p', 'code', { dimensions: DIMS, model: 'm' });
    documents = vectors.slice(0, 3000).map((vector, i) => ({ id: `doc-${i}`, content: `chunk ${i}`, metadata: metadataOf(i), vector }));
    for (let i = 0; i < documents.length; i += 500) await store.upsert('p', 'code', documents.slice(i, i + 500));
    await store.waitForIndexing();
  });
  after(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function recallAgainstExact(keep: (d: VectorDocument) => boolean, filter?: Record<string, unknown>): Promise<number> {
    let found = 0;
    let total = 0;
    for (const query of queries) {
      const expected = exactTop(documents, query, 10, keep);
      const hits = await store.search('p', 'code', { mode: 'vector', vector: query, limit: 10, filter: filter as never });
      assert.ok(
        hits.every((hit) => keep(documents.find((d) => d.id === hit.id)!)),
        'no hit may fail the filter',
      );
      // Whatever is returned carries its exact cosine: the index only proposes candidates.
      for (const hit of hits) {
        const exact = exactTop(documents, query, documents.length).find((e) => e.id === hit.id)!;
        assert.ok(Math.abs(hit.score - exact.score) < 1e-4);
      }
      total += expected.length;
      found += hits.filter((hit) => expected.some((e) => e.id === hit.id)).length;
    }
    return found / total;
  }

  it('builds the index in the background and answers from it like exact search', async () => {
    const status = await store.indexStatus('p', 'code');
    assert.equal(status.indexed, 3000);
    assert.equal(status.pending, 0);
    assert.equal(status.building, false);
    assert.ok(readdirSync(join(dataDir, 'vector-index')).some((file) => file.endsWith('.usearch')));
    assert.ok((await recallAgainstExact(() => true)) >= 0.95);
  });

  it('keeps filters correct with the index, for broad and selective filters', async () => {
    assert.ok((await recallAgainstExact((d) => d.metadata.language === 'python', { language: 'python' })) >= 0.95);
    assert.ok((await recallAgainstExact((d) => (d.metadata.size as number) < 60, { size: { lt: 60 } })) >= 0.95);
    // Six documents match: an exact scan of them must find all six, in order.
    assert.equal(await recallAgainstExact((d) => d.metadata.rare === true, { rare: true }), 1);
  });

  it('finds writes made after the index was built, and never returns deleted or replaced versions', async () => {
    const fresh = vectors[3100]!;
    await store.upsert('p', 'code', [{ id: 'fresh', content: 'fresh', metadata: { language: 'typescript' }, vector: fresh }]);
    assert.equal((await store.indexStatus('p', 'code')).pending, 1);
    assert.equal((await store.search('p', 'code', { mode: 'vector', vector: fresh, limit: 1 }))[0]?.id, 'fresh');

    const victim = documents[123]!;
    assert.equal((await store.search('p', 'code', { mode: 'vector', vector: victim.vector, limit: 1 }))[0]?.id, victim.id);
    await store.deleteByIds('p', 'code', [victim.id]);
    const afterDelete = await store.search('p', 'code', { mode: 'vector', vector: victim.vector, limit: 50 });
    assert.ok(!afterDelete.some((hit) => hit.id === victim.id), 'a deleted document must never come back');

    const moved = documents[456]!;
    await store.upsert('p', 'code', [{ ...moved, vector: vectors[3150]! }]);
    const oldPlace = await store.search('p', 'code', { mode: 'vector', vector: moved.vector, limit: 5 });
    assert.ok(!oldPlace.some((hit) => hit.id === moved.id && hit.score > 0.999), 'the replaced vector must not be found');
    assert.equal((await store.search('p', 'code', { mode: 'vector', vector: vectors[3150]!, limit: 1 }))[0]?.id, moved.id);
  });

  it('extends the index with new writes and reopens with it at once', async () => {
    const extra = vectors
      .slice(3000, 3100)
      .concat(clustered(400, DIMS, 44))
      .map((vector, i) => ({ id: `extra-${i}`, content: 'extra', metadata: metadataOf(i), vector }));
    await store.upsert('p', 'code', extra);
    await store.waitForIndexing();
    const status = await store.indexStatus('p', 'code');
    assert.equal(status.pending, 0);
    assert.ok(status.indexed >= 3500);

    await store.close();
    store = await createEmbeddedVectorStore(options);
    const hits = await store.search('p', 'code', { mode: 'vector', vector: extra[0]!.vector, limit: 1 });
    assert.equal(hits[0]?.id, 'extra-0');
    // Not building and the same size: the file was mapped, not rebuilt (how fast is bench's business, not a test's).
    const reopened = await store.indexStatus('p', 'code');
    assert.equal(reopened.indexed, status.indexed, 'the index file is mapped, not rebuilt');
    assert.equal(reopened.building, false);
    assert.equal(await getDocument(store, 'p', 'code', documents[123]!.id), null);
  });
});

describe('embedded store: exact scores from f16 memory', () => {
  it('orders and scores by the f32 vectors where f16 cannot tell documents apart', async () => {
    const dataDir = temporaryDir();
    const store = await createEmbeddedVectorStore({ dataDir });
    try {
      await store.createCollection('p', 'near', { dimensions: 8, model: 'm' });
      // Against the query e0, these differ in the sixth digit of their cosine: in memory's f16 their first
      // components all round to 1, so memory scores them alike, and only the f32 originals rank them.
      const near = Array.from({ length: 6 }, (_, k) => Float32Array.from([2, 0.02 + k * 2e-5, 0, 0, 0, 0, 0, 0]));
      const far = Array.from({ length: 30 }, (_, k) => Float32Array.from([1, 1 + k, 0.5, 0, 0, 0, 0, 0]));
      const documents = [...near, ...far].map((vector, i) => ({ id: `d${i}`, content: '', metadata: {}, vector }));
      // Stored in an order unlike their scores, so no order of insertion can give the answer by chance.
      await store.upsert('p', 'near', [...documents].reverse());
      const query = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]);
      const hits = await store.search('p', 'near', { mode: 'vector', vector: query, limit: 3 });
      assert.deepEqual(
        hits.map((hit) => hit.id),
        ['d0', 'd1', 'd2'],
      );
      const exactOf = (id: string) => {
        const vector = documents.find((d) => d.id === id)!.vector;
        return vector[0]! / Math.hypot(...vector);
      };
      for (const hit of hits) assert.ok(Math.abs(hit.score - exactOf(hit.id)) < 1e-9, `${hit.id}: ${hit.score} is its exact cosine ${exactOf(hit.id)}`);

      // A threshold between two of them, which f16 cannot tell apart, is decided by the exact cosines, ranked
      // (hybrid's vector side) or not.
      const threshold = (exactOf('d2') + exactOf('d3')) / 2;
      for (const rankOnly of [false, true]) {
        const above = await store.search('p', 'near', { mode: 'vector', vector: query, limit: 10, threshold, rankOnly });
        assert.deepEqual(above.map((hit) => hit.id).sort(), ['d0', 'd1', 'd2'], `rankOnly: ${rankOnly}`);
      }
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('embedded store: scroll', () => {
  it(`a page reads at most ${SCROLL_EXAMINE_LIMIT} rows: a rare filter's page ends short, even empty, with a cursor to the rest`, async () => {
    const dataDir = temporaryDir();
    const store = await createEmbeddedVectorStore({ dataDir, indexThreshold: 1_000_000 });
    try {
      await store.createCollection('p', 'c', { dimensions: 4, model: 'm' });
      const total = SCROLL_EXAMINE_LIMIT + 50;
      for (let start = 0; start < total; start += 1000) {
        const batch = Array.from({ length: Math.min(1000, total - start) }, (_, i) => {
          const n = start + i;
          return { id: `d-${String(n).padStart(6, '0')}`, content: `c${n}`, metadata: { rare: n === total - 1 }, vector: Float32Array.from([1, n, 0, 1]) };
        });
        await store.upsert('p', 'c', batch);
      }
      const first = await store.scroll('p', 'c', { filter: { rare: true }, limit: 10 });
      assert.deepEqual(first.items, [], 'nothing in the first rows read');
      assert.ok(first.nextCursor);
      const second = await store.scroll('p', 'c', { filter: { rare: true }, limit: 10, cursor: first.nextCursor });
      assert.deepEqual(
        second.items.map((item) => item.id),
        [`d-${String(total - 1).padStart(6, '0')}`],
      );
      assert.equal(second.nextCursor, null);
      const unfiltered = await store.scroll('p', 'c', { limit: 3 });
      assert.deepEqual(
        unfiltered.items.map((item) => item.id),
        ['d-000000', 'd-000001', 'd-000002'],
      );
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('embedded store: lifecycle', () => {
  it('is healthy while open and answers PROVIDER_UNAVAILABLE once closed', async () => {
    const dataDir = temporaryDir();
    try {
      const store = await createEmbeddedVectorStore({ dataDir });
      await store.health();
      await store.close();
      await store.close();
      await rejectsWith(store.health(), 'PROVIDER_UNAVAILABLE');
      await rejectsWith(store.listCollections('p'), 'PROVIDER_UNAVAILABLE');
      await rejectsWith(store.search('p', 'c', { mode: 'keyword', text: 'x', limit: 1 }), 'PROVIDER_UNAVAILABLE');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('embedded store: loading', () => {
  it('loads a collection once for concurrent callers, and a delete during the load wins', async () => {
    const dataDir = temporaryDir();
    try {
      let store = await createEmbeddedVectorStore({ dataDir });
      await store.createCollection('p', 'c', { dimensions: 4, model: 'm' });
      const documents = Array.from({ length: 10_000 }, (_, i) => ({
        id: `d${i}`,
        content: `doc ${i}`,
        metadata: { i },
        vector: new Float32Array([1, i, i % 7, 1]),
      }));
      await store.upsert('p', 'c', documents);
      await store.close();

      store = await createEmbeddedVectorStore({ dataDir });
      const [count, hits] = await Promise.all([
        countDocuments(store, 'p', 'c'),
        store.search('p', 'c', { mode: 'vector', vector: new Float32Array([1, 5, 5, 1]), limit: 1 }),
      ]);
      assert.equal(count, 10_000);
      assert.equal(hits[0]?.id, 'd5');
      await store.close();

      store = await createEmbeddedVectorStore({ dataDir });
      const write = store.upsert('p', 'c', [{ id: 'late', content: '', metadata: {}, vector: new Float32Array([1, 1, 1, 1]) }]);
      const drop = store.deleteCollection('p', 'c');
      const [written, dropped] = await Promise.allSettled([write, drop]);
      assert.deepEqual(dropped, { status: 'fulfilled', value: true });
      if (written.status === 'rejected') await rejectsWith(Promise.reject(written.reason), 'COLLECTION_NOT_FOUND');
      assert.equal(await store.getCollection('p', 'c'), null);
      await store.createCollection('p', 'c', { dimensions: 4, model: 'm' });
      assert.equal(await countDocuments(store, 'p', 'c'), 0);
      await store.close();
      const db = new Database(join(dataDir, 'vectors.sqlite'), { readonly: true });
      assert.equal(db.prepare('SELECT count(*) FROM vector_documents').pluck().get(), 0, 'no document outlives its collection');
      db.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** Each thread of this process with its nice value, from /proc (Linux). */
function threadNiceness(): Map<number, number> {
  const niceness = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      // Fields after the command name (which may hold spaces): state is field 3, nice field 19.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      niceness.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return niceness;
}

/** The threads of this process at nice 19: a build's, while it runs (the build lowers its own thread first). */
function buildThreads(): number[] {
  return [...threadNiceness()].filter(([, nice]) => nice === 19).map(([tid]) => tid);
}

describe('embedded store: index builds and requests', () => {
  it(
    'builds at the lowest priority, leaving the threads that answer requests theirs',
    { skip: process.platform !== 'linux' && 'per-thread priorities: Linux only' },
    async () => {
      const dataDir = temporaryDir();
      const before = threadNiceness();
      const lowered = new Set<number>();
      const watch = setInterval(() => {
        for (const tid of buildThreads()) lowered.add(tid);
      }, 2);
      try {
        const store = await createEmbeddedVectorStore({ dataDir, indexThreshold: 100 });
        await store.createCollection('p', 'c', { dimensions: DIMS, model: 'm' });
        const vectors = clustered(20_000, DIMS, 9);
        for (let i = 0; i < vectors.length; i += 5000) {
          await store.upsert(
            'p',
            'c',
            vectors.slice(i, i + 5000).map((vector, j) => ({ id: `d${i + j}`, content: '', metadata: {}, vector })),
          );
        }
        await store.waitForIndexing();
        assert.equal((await store.indexStatus('p', 'c')).indexed, 20_000);
        await store.close();
      } finally {
        clearInterval(watch);
        rmSync(dataDir, { recursive: true, force: true });
      }
      assert.ok(lowered.size > 0, 'a thread ran at nice 19 while the index was built');
      for (const tid of lowered) assert.ok(!before.has(tid), `thread ${tid} existed before the build: only the build's threads are lowered`);
      assert.equal(threadNiceness().get(process.pid), before.get(process.pid), 'the main thread keeps its priority');
    },
  );
});

async function buildStarted(): Promise<void> {
  const deadline = Date.now() + 60_000; // a build that never starts fails the test instead of hanging it
  while (buildThreads().length === 0) {
    assert.ok(Date.now() < deadline, 'a build started');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** An open store holding 40,000 documents in p/c: several chunks for a build, so one can be stopped midway. */
async function storeOf40k(options: EmbeddedVectorStoreOptions): Promise<{ store: EmbeddedVectorStore; vectors: Float32Array[] }> {
  const store = await createEmbeddedVectorStore(options);
  await store.createCollection('p', 'c', { dimensions: DIMS, model: 'm' });
  const vectors = clustered(40_000, DIMS, 11);
  await store.upsert(
    'p',
    'c',
    vectors.map((vector, i) => ({ id: `d${i}`, content: '', metadata: {}, vector })),
  );
  return { store, vectors };
}

describe('embedded store: stopping a build', { skip: process.platform !== 'linux' && 'per-thread priorities: Linux only' }, () => {
  // A terminated thread takes the process down when termination lands inside usearch's native code, so a build is
  // asked to stop and its thread ends on its own.
  it('stops between chunks when asked, with the stop as its answer and no file written', async () => {
    const dataDir = temporaryDir();
    try {
      const { store } = await storeOf40k({ dataDir, indexThreshold: 1_000_000 });
      await store.close();
      const db = new Database(join(dataDir, 'vectors.sqlite'), { readonly: true });
      const collectionId = db.prepare('SELECT id FROM vector_collections').pluck().get() as number;
      db.close();

      const outFile = join(dataDir, 'stopped.usearch');
      const stop = new AbortController();
      const build = runBuild(
        {
          dbPath: join(dataDir, 'vectors.sqlite'),
          collectionId,
          dimensions: DIMS,
          previousFile: null,
          fromSeq: 0,
          outFile,
          threads: 1,
          params: defaultAnnParams,
        },
        stop.signal,
      );
      await buildStarted();
      stop.abort();
      await assert.rejects(build, { message: BUILD_STOPPED });
      assert.deepEqual(buildThreads(), [], 'the build thread has ended');
      assert.ok(!readdirSync(dataDir).some((file) => file.startsWith('stopped.usearch')), 'no index file, whole or partial');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('closing the store mid-build waits for the build to stop; reopened, the store builds again', async () => {
    const dataDir = temporaryDir();
    try {
      const opened = await storeOf40k({ dataDir, indexThreshold: 100 });
      await buildStarted();
      await opened.store.close();
      assert.deepEqual(buildThreads(), [], 'close returns once the build thread has ended');
      const indexDir = join(dataDir, 'vector-index');
      assert.deepEqual(readdirSync(indexDir), [], 'a stopped build leaves no file');

      const store = await createEmbeddedVectorStore({ dataDir, indexThreshold: 100 });
      await store.search('p', 'c', { mode: 'vector', vector: opened.vectors[0]!, limit: 1 });
      await store.waitForIndexing();
      assert.equal((await store.indexStatus('p', 'c')).indexed, 40_000);
      await store.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("deleting a collection mid-build stops its build, and the next collection's build starts", async () => {
    const dataDir = temporaryDir();
    const { log, lines } = captureLog();
    try {
      const { store } = await storeOf40k({ dataDir, indexThreshold: 100, log });
      await store.createCollection('p', 'next', { dimensions: DIMS, model: 'm' });
      const next = clustered(1000, DIMS, 13).map((vector, i) => ({ id: `n${i}`, content: '', metadata: {}, vector }));
      await store.upsert('p', 'next', next);
      await buildStarted();
      await store.deleteCollection('p', 'c');
      await store.waitForIndexing();
      assert.equal((await store.indexStatus('p', 'next')).indexed, 1000);
      assert.deepEqual(
        lines.filter(({ msg }) => String(msg).startsWith('vector index')).map((line) => [line.msg, line.collection ?? line.why]),
        [
          ['vector index build stopped', 'deleting the collection'],
          ['vector index built', 'next'],
        ],
      );
      await store.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('embedded store: files and crashes', () => {
  it('rebuilds when the index file is unreadable and removes orphan files', async () => {
    const dataDir = temporaryDir();
    try {
      let store = await createEmbeddedVectorStore({ dataDir, indexThreshold: 100 });
      await store.createCollection('p', 'c', { dimensions: 8, model: 'm' });
      const vectors = clustered(300, 8, 5);
      await store.upsert(
        'p',
        'c',
        vectors.map((vector, i) => ({ id: `d${i}`, content: '', metadata: {}, vector })),
      );
      await store.waitForIndexing();
      await store.close();

      const indexDir = join(dataDir, 'vector-index');
      const [file] = readdirSync(indexDir);
      writeFileSync(join(indexDir, file!), 'not an index');
      writeFileSync(join(indexDir, 'orphan.usearch.tmp'), 'left by a crash');

      store = await createEmbeddedVectorStore({ dataDir, indexThreshold: 100 });
      assert.ok(!readdirSync(indexDir).includes('orphan.usearch.tmp'));
      assert.equal((await store.search('p', 'c', { mode: 'vector', vector: vectors[17]!, limit: 1 }))[0]?.id, 'd17');
      await store.waitForIndexing();
      assert.equal((await store.indexStatus('p', 'c')).indexed, 300);
      await store.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps every acknowledged batch, and each batch whole, when the process is killed', async () => {
    const dataDir = temporaryDir();
    try {
      const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', writer, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let acknowledged = 0;
      let output = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          output += chunk;
          acknowledged = output.split('\n').filter((line) => line === 'ok').length;
          if (acknowledged >= 5) child.kill('SIGKILL');
        });
        child.on('exit', () => resolve());
        child.on('error', reject);
      });
      assert.ok(acknowledged >= 5);

      const store = await createEmbeddedVectorStore({ dataDir });
      const count = await countDocuments(store, 'p', 'c');
      assert.ok(count >= acknowledged * 200, `${count} documents after ${acknowledged} acknowledged batches`);
      assert.equal(count % 200, 0, 'a batch is wholly present or wholly absent');
      await store.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('embedded store: reads while a batch is written', () => {
  it('are answered meanwhile, and see each document before or after the batch, whole, never missing', async () => {
    const dataDir = temporaryDir();
    const store = await createEmbeddedVectorStore({ dataDir });
    try {
      await store.createCollection('p', 'c', { dimensions: DIMS, model: 'm' });
      const count = 3000;
      const version = (name: string, seed: number): VectorDocument[] =>
        clustered(count, DIMS, seed).map((vector, i) => ({ id: `doc-${i}`, content: `${name} common ${i}`, metadata: { version: name }, vector }));
      await store.upsert('p', 'c', version('old', 7));
      const ids = Array.from({ length: count }, (_, i) => `doc-${i}`);
      const whole = (document: { id: string; content?: string; metadata: Metadata }) =>
        document.content === `${String(document.metadata.version)} common ${document.id.slice(4)}`;

      let written = false;
      const write = store.upsert('p', 'c', version('new', 8)).then(() => (written = true));
      let readsMeanwhile = 0;
      const seen = new Set<unknown>();
      while (!written) {
        const [many, keyword] = await Promise.all([
          store.getMany('p', 'c', ids),
          store.search('p', 'c', { mode: 'keyword', text: 'common', limit: count, includeContent: true }),
        ]);
        for (const answer of [many, keyword]) {
          assert.equal(answer.length, count, 'no document goes missing while it is replaced');
          for (const document of answer) {
            assert.ok(whole(document), `${document.id}: content and metadata of one version (${document.content})`);
            seen.add(document.metadata.version);
          }
        }
        if (!written) readsMeanwhile++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await write;
      // The batch is committed on the writer's thread: the event loop answered reads while it was written.
      assert.ok(readsMeanwhile > 0, 'reads were answered while the batch was being written');
      assert.ok(seen.has('old'));
      const after = await store.getMany('p', 'c', ids);
      assert.ok(after.every((document) => document.metadata.version === 'new' && whole(document)));
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
