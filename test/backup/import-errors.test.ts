/** Import failures: each a clear error, nothing half-written, and a repeat import finishes the job. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { importBackup } from '../../src/backup/import.js';
import { AppError } from '../../src/errors.js';
import { startTestService, type TestService } from '../support/app.js';
import { chunked, contentOf, exportText, seed, trailerOf } from './support.js';

let source: TestService;
let backup: string;

before(async () => {
  source = await startTestService({ env: { EMBEDDING_PROVIDER: 'local' } });
  await seed(source.services);
  backup = await exportText(source.services);
});
after(() => source.destroy());

async function withTarget(work: (target: TestService) => Promise<void>, env: Record<string, string> = {}): Promise<void> {
  const target = await startTestService({ env: { EMBEDDING_PROVIDER: 'local', ...env } });
  try {
    await work(target);
  } finally {
    await target.destroy();
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

const lines = () => backup.split('\n').filter(Boolean);
const projectCount = async (target: TestService) => (await target.services.relational.listProjects(100)).items.length;

test('importing twice changes nothing', async () => {
  await withTarget(async (target) => {
    const first = await importBackup(target.services, chunked(backup));
    const once = await exportText(target.services);
    const second = await importBackup(target.services, chunked(backup));
    assert.deepEqual(second, first);
    const twice = await exportText(target.services);
    assert.deepEqual(contentOf(twice), contentOf(once));
    assert.deepEqual(trailerOf(twice).summary, trailerOf(backup).summary);
    assert.equal((await target.services.relational.count('concepts', 'alpha', {})).count, 3);
  });
});

test('a stream cut inside a batch names the last complete line, keeps whole batches only, and resumes', async () => {
  const all = lines();
  const secondConcept = all.findIndex((line, index) => line.includes('"entity":"concepts"') && all[index - 1]!.includes('"entity":"concepts"'));
  const cut = all.slice(0, secondConcept).join('\n') + '\n' + all[secondConcept]!.slice(0, 40);
  await withTarget(async (target) => {
    await rejectsWith(importBackup(target.services, chunked(cut)), 'BACKUP_TRUNCATED', new RegExp(`after line ${secondConcept} \\(the last complete line\\)`));
    // The project line was committed; the half-read concepts batch was not.
    assert.equal(await projectCount(target), 1);
    assert.equal((await target.services.relational.count('concepts', 'alpha', {})).count, 0);
    await importBackup(target.services, chunked(backup));
    assert.deepEqual(contentOf(await exportText(target.services)), contentOf(backup));
  });
});

test('a stream without its trailer is truncated too', async () => {
  const withoutTrailer = lines().slice(0, -1).join('\n') + '\n';
  await withTarget(async (target) => {
    await rejectsWith(importBackup(target.services, chunked(withoutTrailer)), 'BACKUP_TRUNCATED', /without its trailer/);
  });
});

test('a corrupted line is refused by number', async () => {
  const all = lines();
  const broken = all.findIndex((line) => line.includes('"type":"document"'));
  all[broken] = all[broken]!.slice(0, 30) + '#garbage';
  await withTarget(async (target) => {
    await rejectsWith(importBackup(target.services, chunked(all.join('\n') + '\n')), 'INVALID_BACKUP', new RegExp(`line ${broken + 1}: not valid JSON`));
    // Documents come in batches: the batch holding the corrupted line was never written.
    assert.equal(await target.services.vectors.store.count('alpha', 'code'), 0);
  });
});

test('an altered value is caught by the trailer checksums', async () => {
  const altered = backup.replace('"conceptName":"conceptName-a-0000"', '"conceptName":"conceptName-X-0000"');
  assert.notEqual(altered, backup);
  await withTarget(async (target) => {
    await rejectsWith(importBackup(target.services, chunked(altered)), 'CHECKSUM_MISMATCH', /alpha\/concepts/);
  });
});

test('another format version is refused before anything is written', async () => {
  const [header, ...rest] = lines();
  const future = [header!.replace('"version":1', '"version":99'), ...rest].join('\n') + '\n';
  await withTarget(async (target) => {
    await rejectsWith(importBackup(target.services, chunked(future)), 'UNSUPPORTED_BACKUP_VERSION', /version 99 is not supported.*version 1/);
    assert.equal(await projectCount(target), 0);
  });
  await withTarget(async (target) => {
    await rejectsWith(importBackup(target.services, chunked('{"hello":"world"}\n')), 'INVALID_BACKUP', /line 1: not an in-memoria-storage backup/);
  });
});

test('vectors of another size are refused unless re-embedding is asked for', async () => {
  await withTarget(async (target) => {
    await rejectsWith(importBackup(target.services, chunked(backup)), 'DIMENSION_MISMATCH', /384 dimensions.*makes 64.*--reembed.*nothing was imported/);
    assert.equal(await projectCount(target), 0);
    const report = await importBackup(target.services, chunked(backup), { reembed: true });
    assert.equal(report.reembedded, 24);
    const collection = await target.services.vectors.getCollection('alpha', 'code');
    assert.equal(collection.dimensions, 64);
    assert.equal(collection.count, 12);
    const [hit] = await target.services.vectors.search('alpha', 'code', { query: 'handler3 loadUser', mode: 'vector', limit: 1 });
    assert.ok(hit, 'a re-embedded collection is searchable with the target embedder');
  }, { EMBEDDING_DIMENSIONS: '64' });
});
