/**
 * Export, import into an empty target, export again: the same content (ignoring
 * order) and the same checksums, on every pair of providers the tests have
 * (SQLite / PostgreSQL x embedded / the Qdrant test server).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { importBackup } from '../../src/backup/import.js';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { rmSync } from 'node:fs';
import { makeDataDir, testEnv } from '../support/app.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { startQdrantTestServer, type QdrantTestServer } from '../support/qdrant-test-server.js';
import { chunked, contentOf, exportText, seed, trailerOf } from './support.js';

let postgres: TestPostgres;
let qdrant: QdrantTestServer;
let databases = 0;
let prefixes = 0;
const dataDirs: string[] = [];

before(async () => {
  postgres = await startPostgres();
  qdrant = await startQdrantTestServer();
});
after(async () => {
  await qdrant?.stop();
  postgres?.destroy();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

type Relational = 'sqlite' | 'postgres';
type Vectors = 'embedded' | 'qdrant';

async function open(relational: Relational, vectors: Vectors): Promise<Services> {
  const extra: Record<string, string> = {
    IN_MEMORIA_STORAGE_MODE: 'hybrid',
    RELATIONAL_PROVIDER: relational,
    VECTOR_PROVIDER: vectors,
    EMBEDDING_PROVIDER: 'local',
  };
  if (relational === 'postgres') extra.DATABASE_URL = await postgres.createDatabase(`backup_${++databases}`);
  if (vectors === 'qdrant') Object.assign(extra, { QDRANT_URL: qdrant.url, QDRANT_COLLECTION: `backup_${++prefixes}` });
  const dataDir = makeDataDir();
  dataDirs.push(dataDir);
  return createServices(loadConfig(testEnv(dataDir, extra)));
}

const pairs: Array<[Relational, Vectors]> = [
  ['sqlite', 'embedded'],
  ['sqlite', 'qdrant'],
  ['postgres', 'embedded'],
  ['postgres', 'qdrant'],
];

for (const [sourceRelational, sourceVectors] of pairs) {
  test(`round trip from ${sourceRelational}+${sourceVectors} into every provider pair`, async () => {
    const source = await open(sourceRelational, sourceVectors);
    try {
      await seed(source);
      const original = await exportText(source);
      const originalTrailer = trailerOf(original);
      assert.equal(originalTrailer.summary['alpha/concepts']?.count, 3);
      assert.equal(originalTrailer.summary['beta/collections/code']?.count, 12);
      assert.equal(originalTrailer.summary.projects?.count, 2);

      for (const [targetRelational, targetVectors] of pairs) {
        const target = await open(targetRelational, targetVectors);
        try {
          const report = await importBackup(target, () => chunked(original));
          assert.equal(report.documents, 24);
          const again = await exportText(target);
          assert.deepEqual(contentOf(again), contentOf(original), `content differs into ${targetRelational}+${targetVectors}`);
          assert.deepEqual(trailerOf(again).summary, originalTrailer.summary);
        } finally {
          await target.close();
        }
      }
    } finally {
      await source.close();
    }
  });
}
