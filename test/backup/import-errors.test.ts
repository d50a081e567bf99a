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
    const first = await importBackup(target.services, () => chunked(backup));
    const once = await exportText(target.services);
    const second = await importBackup(target.services, () => chunked(backup));
    assert.deepEqual(second, first);
    const twice = await exportText(target.services);
    assert.deepEqual(contentOf(twice), contentOf(once));
    assert.deepEqual(trailerOf(twice).summary, trailerOf(backup).summary);
    assert.equal((await target.services.relational.count('concepts', 'alpha', {})).count, 3);
  });
});

test('a stream cut inside a batch names the last complete line and writes nothing; the whole backup then imports', async () => {
  const all = lines();
  const secondConcept = all.findIndex((line, index) => line.includes('"entity":"concepts"') && all[index - 1]!.includes('"entity":"concepts"'));
  const cut = all.slice(0, secondConcept).join('\n') + '\n' + all[secondConcept]!.slice(0, 40);
  await withTarget(async (target) => {
    await rejectsWith(
      importBackup(target.services, () => chunked(cut)),
      'BACKUP_TRUNCATED',
      new RegExp(`after line ${secondConcept} \\(the last complete line\\)`),
    );
    // Verified before written: not even the project line before the cut was stored.
    assert.equal(await projectCount(target), 0);
    assert.equal((await target.services.relational.count('concepts', 'alpha', {})).count, 0);
    await importBackup(target.services, () => chunked(backup));
    assert.deepEqual(contentOf(await exportText(target.services)), contentOf(backup));
  });
});

test('a stream without its trailer is truncated too', async () => {
  const withoutTrailer = lines().slice(0, -1).join('\n') + '\n';
  await withTarget(async (target) => {
    await rejectsWith(
      importBackup(target.services, () => chunked(withoutTrailer)),
      'BACKUP_TRUNCATED',
      /without its trailer/,
    );
  });
});

test('a corrupted line is refused by number', async () => {
  const all = lines();
  const broken = all.findIndex((line) => line.includes('"type":"document"'));
  all[broken] = all[broken]!.slice(0, 30) + '#garbage';
  await withTarget(async (target) => {
    await rejectsWith(
      importBackup(target.services, () => chunked(all.join('\n') + '\n')),
      'INVALID_BACKUP',
      new RegExp(`line ${broken + 1}: not valid JSON`),
    );
    assert.equal(await projectCount(target), 0, 'nothing before the corrupted line was written either');
  });
});

test('an altered value is caught by the trailer checksums', async () => {
  const altered = backup.replace('"conceptName":"conceptName-a-0000"', '"conceptName":"conceptName-X-0000"');
  assert.notEqual(altered, backup);
  await withTarget(async (target) => {
    await rejectsWith(
      importBackup(target.services, () => chunked(altered)),
      'CHECKSUM_MISMATCH',
      /alpha\/concepts.*nothing was imported/,
    );
    assert.equal(await projectCount(target), 0, 'checked before anything was written');
  });
});

test('another format version is refused before anything is written', async () => {
  const [header, ...rest] = lines();
  const future = [header!.replace('"version":1', '"version":99'), ...rest].join('\n') + '\n';
  await withTarget(async (target) => {
    await rejectsWith(
      importBackup(target.services, () => chunked(future)),
      'UNSUPPORTED_BACKUP_VERSION',
      /version 99 is not supported.*version 1/,
    );
    assert.equal(await projectCount(target), 0);
  });
  await withTarget(async (target) => {
    await rejectsWith(
      importBackup(target.services, () => chunked('{"hello":"world"}\n')),
      'INVALID_BACKUP',
      /line 1: not an in-memoria-storage backup/,
    );
  });
});

test('vectors of another size are refused unless re-embedding is asked for', async () => {
  await withTarget(
    async (target) => {
      await rejectsWith(
        importBackup(target.services, () => chunked(backup)),
        'DIMENSION_MISMATCH',
        /384 dimensions.*makes 64.*--reembed.*nothing was imported/,
      );
      assert.equal(await projectCount(target), 0);
      const report = await importBackup(target.services, () => chunked(backup), { reembed: true });
      assert.equal(report.reembedded, 24);
      const collection = await target.services.vectors.getCollection('alpha', 'code');
      assert.equal(collection.dimensions, 64);
      assert.equal(collection.count, 12);
      const [hit] = await target.services.vectors.search('alpha', 'code', { query: 'handler3 loadUser', mode: 'vector', limit: 1 });
      assert.ok(hit, 'a re-embedded collection is searchable with the target embedder');
    },
    { EMBEDDING_DIMENSIONS: '64' },
  );
});

test('a row the API would refuse is refused by line, before anything is written; the project stays readable', async () => {
  const all = lines();
  const concept = all.findIndex((line) => line.includes('"entity":"concepts"'));
  const cases: Array<[string, (line: string) => string, RegExp]> = [
    [
      'a number as text',
      (line) => line.replace(/"confidenceScore":[0-9.]+/, '"confidenceScore":"not-a-number"'),
      /concepts row: confidenceScore must be number/,
    ],
    ['an unknown field', (line) => line.replace('"item":{', '"item":{"surprise":1,'), /concepts row: the record has unknown field "surprise"/],
  ];
  for (const [what, alter, message] of cases) {
    const bad = [...all];
    bad[concept] = alter(all[concept]!);
    assert.notEqual(bad[concept], all[concept], what);
    await withTarget(async (target) => {
      await rejectsWith(
        importBackup(target.services, () => chunked(bad.join('\n') + '\n')),
        'INVALID_BACKUP',
        new RegExp(`line ${concept + 1}: ${message.source}.*nothing was imported`),
      );
      assert.equal(await projectCount(target), 0, what);
    });
  }
  const document = all.findIndex((line) => line.includes('"type":"document"'));
  const shortVector = [...all];
  shortVector[document] = all[document]!.replace(/"vector":"[^"]*"/, '"vector":"AACAPw=="');
  await withTarget(async (target) => {
    await rejectsWith(
      importBackup(target.services, () => chunked(shortVector.join('\n') + '\n')),
      'INVALID_BACKUP',
      new RegExp(`line ${document + 1}: the document's vector is not 384 float32`),
    );
    assert.equal(await projectCount(target), 0);
  });
});

test('NDJSON limits: a line over IMPORT_MAX_LINE_BYTES and a backup over IMPORT_MAX_BYTES are 413s, read in linear time', async () => {
  await withTarget(async (target) => {
    const longest = Math.max(...lines().map((line) => Buffer.byteLength(line)));
    await rejectsWith(
      importBackup(target.services, () => chunked(backup), { limits: { maxLineBytes: longest - 1 } }),
      'BODY_TOO_LARGE',
      /line \d+ is longer than .* bytes \(IMPORT_MAX_LINE_BYTES\); nothing was imported/,
    );
    await rejectsWith(
      importBackup(target.services, () => chunked(backup), { limits: { maxBytes: 1000 } }),
      'BODY_TOO_LARGE',
      /larger than 1000 bytes \(IMPORT_MAX_BYTES\)/,
    );
    assert.equal(await projectCount(target), 0);
    // One 8 MB line in 64-byte pieces: a splitter that searched the whole pending line on every piece would scan ~500 GB.
    const piece = Buffer.alloc(64, 0x61);
    async function* oneLongLine() {
      for (let sent = 0; sent < 8 * 1024 * 1024; sent += piece.length) yield piece;
      yield Buffer.from('\n');
    }
    await rejectsWith(importBackup(target.services, oneLongLine), 'INVALID_BACKUP', /line 1: not valid JSON/);
    await importBackup(target.services, () => chunked(backup), { limits: { maxLineBytes: longest, maxBytes: Buffer.byteLength(backup) } });
    assert.equal(await projectCount(target), 2);
  });
});
