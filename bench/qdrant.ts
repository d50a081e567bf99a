/**
 * The service's overhead over a direct @qdrant/js-client-rest call to the same
 * Qdrant endpoint, for batch upserts and searches, measured in one run:
 *   npx tsx bench/qdrant.ts [--batches 50] [--searches 300]
 * Two direct baselines: a plain collection (dense vectors, no filter), and the
 * same operation the service's adapter sends, made directly (the service's
 * physical collection: dense + BM25 sparse vectors, the tenant payload, a search
 * filtered to one project and collection). The second is like for like: its
 * ratio is what the service adds (HTTP hop, validation, registry check). The
 * adapter prints vectors with 9 significant digits (vectorToCompactArray) where a
 * direct caller's float32 values print with up to 17: a third line sends the
 * adapter's very text directly, so what the service saves that way shows apart.
 * No Qdrant server can run here, so the endpoint is the Qdrant 1.19 test
 * server (in memory, in its own process): the ratio is meaningful, absolute
 * figures need a real Qdrant.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { QdrantClient } from '@qdrant/js-client-rest';
import { encodeVector, vectorToArray, vectorToCompactArray } from '../src/shared/vector-encoding.js';
import { documentSparseVector } from '../src/vectors/qdrant-bm25.js';
import { documentPointId, physicalCollectionName } from '../src/vectors/qdrant.js';
import { jsonHeaders, productionEnv, startChild } from './support.js';
import { createVectorData, percentile } from './vector-data.js';

const { values } = parseArgs({ options: { batches: { type: 'string', default: '50' }, searches: { type: 'string', default: '300' } } });
const BATCHES = Number(values.batches);
const SEARCHES = Number(values.searches);
const BATCH = 100;
const API_KEY = 'bench-key';
const data = createVectorData({ n: BATCHES * BATCH, dims: 384, queries: SEARCHES });

/**
 * Times each kind of call once per round, in turn, so that the machine's speed drifting over the run (it does, by up
 * to 2x within minutes here) weighs on every kind alike; latencies come back sorted, per kind.
 */
async function timeInTurn(rounds: number, kinds: Array<(round: number) => Promise<unknown>>): Promise<number[][]> {
  const latencies = kinds.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [kind, work] of kinds.entries()) {
      const started = performance.now();
      await work(round);
      latencies[kind]!.push(performance.now() - started);
    }
  }
  return latencies.map((list) => list.sort((a, b) => a - b));
}

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: jsonHeaders, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ims-qbench-'));
  const qdrant = await startChild(['--import', 'tsx', 'bench/qdrant-server.ts'], { QDRANT_API_KEY: API_KEY }, '/healthz');
  // Qdrant alone on its core, as on its own machine; the service beside this process, which only waits while it works.
  const service = await startChild(
    ['dist/cli/main.js', 'serve'],
    {
      DATA_DIR: dataDir,
      IN_MEMORIA_STORAGE_MODE: 'hybrid',
      RELATIONAL_PROVIDER: 'sqlite',
      VECTOR_PROVIDER: 'qdrant',
      QDRANT_URL: qdrant.url,
      QDRANT_API_KEY: API_KEY,
      LOG_LEVEL: 'warn',
      ...productionEnv,
    },
    '/health',
    0,
  );
  try {
    const client = new QdrantClient({ url: qdrant.url, apiKey: API_KEY, checkCompatibility: false });
    await client.createCollection('direct', { vectors: { size: data.D, distance: 'Cosine' } });
    const batches = Array.from({ length: BATCHES }, (_unused, b) => data.documentsOf(b * BATCH, BATCH));
    const queries = data.queryVectors();

    const base = `${service.url}/v1/projects/bench/collections/code`;
    await fetch(base, { method: 'PUT', headers: jsonHeaders, body: JSON.stringify({ dimensions: data.D, model: 'bench' }) });
    // Like for like: the points and the query the adapter sends, into a collection made as the adapter makes its own
    // (dense + BM25 sparse vectors, the same payload indexes), holding as many points as the service's.
    const physical = 'layout';
    const made = await client.getCollection(physicalCollectionName('in_memoria', 'bench', data.D));
    await client.createCollection(physical, { vectors: made.config.params.vectors, sparse_vectors: made.config.params.sparse_vectors });
    for (const [field, schema] of Object.entries(made.payload_schema)) {
      await client.createPayloadIndex(physical, { field_name: field, field_schema: (schema!.params ?? schema!.data_type) as never, wait: true });
    }
    const tenant = {
      must: [
        { key: 'project_id', match: { value: 'direct' } },
        { key: 'collection', match: { value: 'code' } },
      ],
    };

    const directUpsert = (b: number) =>
      client.upsert('direct', {
        wait: true,
        points: batches[b]!.map((document, i) => ({
          id: b * BATCH + i,
          vector: vectorToArray(document.vector),
          payload: { content: document.content, ...document.metadata },
        })),
      });
    // The adapter's points: ids from (project, collection, id), so the second pass replaces the first, as the service's does.
    const layoutUpsertWith = (toArray: (vector: Float32Array) => number[]) => (b: number) =>
      client.upsert(physical, {
        wait: true,
        points: batches[b]!.map((document) => {
          const vector = toArray(document.vector);
          const terms = documentSparseVector(document.content);
          return {
            id: documentPointId('direct', 'code', document.id),
            vector: terms ? { dense: vector, bm25: terms } : { dense: vector },
            payload: { project_id: 'direct', collection: 'code', doc_id: document.id, content: document.content, metadata: document.metadata, vector_norm: 1 },
          };
        }),
      });
    const serviceUpsertWith = (encode: (vector: Float32Array) => number[] | string) => (b: number) =>
      post(`${base}/documents/batch`, {
        items: batches[b]!.map((document) => ({ id: document.id, content: document.content, metadata: document.metadata, embedding: encode(document.vector) })),
      });
    // Each batch twice, in turn: first inserted (JSON arrays to the service), then replaced (base64 float32 to the service).
    // Every side makes its arrays as the adapter does (vectorToArray; Array.from is ~1.5 ms slower per batch).
    // Then replaced once more directly, with the adapter's compact numbers.
    const [directUpsertTimes, layoutInsert, serviceUpsert, layoutReplace, serviceUpsertBase64, layoutReplaceCompact] = await timeInTurn(BATCHES, [
      directUpsert,
      layoutUpsertWith(vectorToArray),
      serviceUpsertWith(vectorToArray),
      layoutUpsertWith(vectorToArray),
      serviceUpsertWith(encodeVector),
      layoutUpsertWith(vectorToCompactArray),
    ]);
    const [directSearch, layoutSearch, serviceSearch, serviceSearchBase64] = await timeInTurn(SEARCHES, [
      (q) => client.query('direct', { query: vectorToArray(queries[q]!), limit: 10, with_payload: true }),
      (q) =>
        client.query(physical, {
          query: vectorToArray(queries[q]!),
          using: 'dense',
          filter: tenant,
          limit: 10,
          with_payload: ['doc_id', 'metadata', 'vector_norm', 'content'],
        }),
      (q) => post(`${base}/search`, { vector: vectorToArray(queries[q]!), limit: 10 }),
      (q) => post(`${base}/search`, { vector: encodeVector(queries[q]!), limit: 10 }),
    ]);

    const line = (what: string, direct: number[], viaService: number[]) => {
      const [d50, s50] = [percentile(direct, 50), percentile(viaService, 50)];
      return `${what.padEnd(34)} direct p50 ${d50.toFixed(2).padStart(7)} ms   service p50 ${s50.toFixed(2).padStart(7)} ms   ratio ${(s50 / d50).toFixed(2)}x   (p99 ${percentile(direct, 99).toFixed(2)} / ${percentile(viaService, 99).toFixed(2)} ms)`;
    };
    process.stdout.write(
      `\nQdrant provider overhead: the service vs a direct client call, same endpoint (the Qdrant 1.19 test server, not a real Qdrant: absolute figures need a real Qdrant)\n\n` +
        'against a plain collection:\n' +
        `${line(`upsert batch of ${BATCH} x ${data.D}`, directUpsertTimes!, serviceUpsert!)}\n${line('search top-10', directSearch!, serviceSearch!)}\n` +
        "like for like (the adapter's own points and filtered query, sent directly):\n" +
        `${line(`upsert batch of ${BATCH} x ${data.D}`, layoutInsert!, serviceUpsert!)}\n${line('search top-10', layoutSearch!, serviceSearch!)}\n` +
        'like for like, vectors sent to the service as base64 float32:\n' +
        `${line(`upsert batch of ${BATCH} x ${data.D} (a replace)`, layoutReplace!, serviceUpsertBase64!)}\n${line('search top-10', layoutSearch!, serviceSearchBase64!)}\n` +
        "the same, the direct call sending the adapter's 9-digit numbers:\n" +
        `${line(`upsert batch of ${BATCH} x ${data.D} (a replace)`, layoutReplaceCompact!, serviceUpsertBase64!)}\n`,
    );
  } finally {
    await service.stop();
    await qdrant.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
