/**
 * The bridge's storage classes against a real service, called as In-Memoria
 * calls them: synchronously, with In-Memoria's arguments, In-Memoria 0.6's
 * whole method table. Semantics In-Memoria relies on, team sharing across two
 * checkout roots, concurrent writers, and errors that carry the service's code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { KEYS, facadeModules, json, makeWorkDirectory, startBridgeService } from './support.js';

let service: Awaited<ReturnType<typeof startBridgeService>>;
let work: string;
// Loaded after the settings are in the environment: the bridge's worker reads them when it starts.
let SQLiteDatabase: typeof import('../../packages/client/src/in-memoria/sqlite-db.js').SQLiteDatabase;
let SemanticVectorDB: typeof import('../../packages/client/src/in-memoria/vector-db.js').SemanticVectorDB;

before(async () => {
  service = await startBridgeService();
  work = makeWorkDirectory();
  process.env.IN_MEMORIA_STORAGE_URL = service.url;
  process.env.IN_MEMORIA_STORAGE_API_KEY = KEYS.writer;
  ({ SQLiteDatabase } = (await import(pathToFileURL(facadeModules.database).href)) as typeof import('../../packages/client/src/in-memoria/sqlite-db.js'));
  ({ SemanticVectorDB } = (await import(pathToFileURL(facadeModules.vectors).href)) as typeof import('../../packages/client/src/in-memoria/vector-db.js'));
});
after(async () => {
  await service.close();
  rmSync(work, { recursive: true, force: true });
});

/** A checkout's database path: `<work>/<who>/<project>/in-memoria.db`, as In-Memoria names it. */
function databasePath(who: string, project: string): string {
  const directory = path.join(work, who, project);
  mkdirSync(directory, { recursive: true });
  return path.join(directory, 'in-memoria.db');
}

const concept = (id: string, filePath: string, extra: Record<string, unknown> = {}) => ({
  id,
  conceptName: `Name ${id}`,
  conceptType: 'class',
  confidenceScore: 0.5,
  relationships: { uses: ['x'] },
  evolutionHistory: {},
  filePath,
  lineRange: { start: 1, end: 9 },
  ...extra,
});

describe('one project through the synchronous facade', () => {
  test("In-Memoria 0.6's method table: writes read back at once, in In-Memoria's order, with Dates", () => {
    const db = new SQLiteDatabase(databasePath('solo', 'method-table'));
    const root = path.join(work, 'solo', 'method-table');
    assert.equal(db.getMigrator().needsMigration(), false);
    assert.equal(db.getMigrator().getCurrentVersion(), db.getMigrator().getLatestVersion());

    // Metadata is null until In-Memoria writes it, although rows below create the project.
    db.insertSemanticConcept(concept('c1', path.join(root, 'src/a.ts')));
    assert.equal(db.getProjectMetadata(root), null);
    db.insertProjectMetadata({
      projectId: 'x',
      projectPath: root,
      projectName: 'method-table',
      languagesDetected: ['typescript'],
      frameworkDetected: ['fastify'],
    });
    const metadata = db.getProjectMetadata(root)!;
    assert.equal(metadata.projectPath, root);
    assert.deepEqual(metadata.languagesDetected, ['typescript']);
    assert.ok(metadata.createdAt instanceof Date);

    // INSERT OR REPLACE: a second insert of an id replaces the row.
    db.insertSemanticConcept(concept('c1', path.join(root, 'src/a.ts'), { conceptName: 'Renamed' }));
    db.insertSemanticConcept(concept('c2', './src/b.ts'));
    const concepts = db.getSemanticConcepts();
    assert.deepEqual(
      concepts.map((row) => [row.id, row.conceptName]),
      [
        ['c1', 'Renamed'],
        ['c2', 'Name c2'],
      ],
    );
    assert.ok(concepts[0]!.createdAt instanceof Date && concepts[0]!.updatedAt instanceof Date);
    assert.deepEqual(
      db.getSemanticConcepts(path.join(root, 'src/a.ts')).map((row) => row.id),
      ['c1'],
    );

    for (const [patternId, frequency, confidence] of [
      ['p1', 2, 0.9],
      ['p2', 5, 0.1],
      ['p3', 5, 0.7],
    ] as const) {
      db.insertDeveloperPattern({
        patternId,
        patternType: 'naming',
        patternContent: { description: patternId },
        frequency,
        contexts: [],
        examples: [],
        confidence,
      });
    }
    assert.deepEqual(
      db.getDeveloperPatterns().map((row) => row.patternId),
      ['p3', 'p2', 'p1'],
      'most frequent, then most confident',
    );
    assert.deepEqual(
      db.getDeveloperPatterns('naming', 1).map((row) => row.patternId),
      ['p3'],
    );
    assert.ok(db.getDeveloperPatterns()[0]!.lastSeen instanceof Date);

    db.insertFileIntelligence({
      filePath: path.join(root, 'src/a.ts'),
      fileHash: 'h1',
      semanticConcepts: ['c1'],
      patternsUsed: [],
      complexityMetrics: { cyclomatic: 3 },
      dependencies: [],
      lastAnalyzed: new Date(),
    });
    assert.equal(db.getFileIntelligence(path.join(root, 'src/a.ts'))!.fileHash, 'h1');
    assert.equal(db.getFileIntelligence(path.join(root, 'src/none.ts')), null);

    db.insertAIInsight({
      insightId: 'i1',
      insightType: 'bug',
      insightContent: { a: 1 },
      confidenceScore: 0.2,
      sourceAgent: 'test',
      validationStatus: 'pending',
      impactPrediction: {},
    });
    db.insertAIInsight({
      insightId: 'i2',
      insightType: 'bug',
      insightContent: { a: 2 },
      confidenceScore: 0.8,
      sourceAgent: 'test',
      validationStatus: 'pending',
      impactPrediction: {},
    });
    assert.deepEqual(
      db.getAIInsights('bug').map((row) => row.insightId),
      ['i2', 'i1'],
    );

    db.insertFeatureMap({
      id: 'f2',
      projectPath: root,
      featureName: 'Search',
      primaryFiles: [path.join(root, 'src/search.ts')],
      relatedFiles: [],
      dependencies: [],
      status: 'active',
    });
    db.insertFeatureMap({ id: 'f1', projectPath: root, featureName: 'Auth', primaryFiles: [], relatedFiles: [], dependencies: [], status: 'active' });
    db.insertFeatureMap({ id: 'f3', projectPath: root, featureName: 'Old', primaryFiles: [], relatedFiles: [], dependencies: [], status: 'deprecated' });
    assert.deepEqual(
      db.getFeatureMaps(root).map((row) => row.featureName),
      ['Auth', 'Search'],
    );
    assert.deepEqual(
      db.searchFeatureMaps(root, 'sea').map((row) => row.id),
      ['f2'],
    );
    assert.deepEqual(db.getFeatureByName(root, 'Search')!.primaryFiles, [path.join(root, 'src/search.ts')]);

    db.insertEntryPoint({ id: 'e2', projectPath: root, entryType: 'cli', filePath: path.join(root, 'bin.ts') });
    db.insertEntryPoint({ id: 'e1', projectPath: root, entryType: 'api', filePath: path.join(root, 'server.ts'), framework: 'fastify' });
    assert.deepEqual(
      db.getEntryPoints(root).map((row) => row.id),
      ['e1', 'e2'],
    );
    db.insertKeyDirectory({ id: 'd1', projectPath: root, directoryPath: path.join(root, 'src'), directoryType: 'source', fileCount: 3 });
    assert.equal(db.getKeyDirectories(root)[0]!.directoryPath, path.join(root, 'src'));

    db.createWorkSession({ id: 's1', projectPath: root, currentFiles: [path.join(root, 'src/a.ts')], completedTasks: [], pendingTasks: ['x'], blockers: [] });
    db.updateWorkSession('s1', { lastFeature: 'Search', pendingTasks: [] });
    db.updateWorkSession('no-such-session', { lastFeature: 'ignored' });
    const current = db.getCurrentWorkSession(root)!;
    assert.equal(current.lastFeature, 'Search');
    assert.deepEqual(current.currentFiles, [path.join(root, 'src/a.ts')]);
    assert.ok(current.sessionStart instanceof Date && current.sessionEnd === undefined);
    db.updateWorkSession('s1', { sessionEnd: new Date() });
    assert.equal(db.getCurrentWorkSession(root), null);
    assert.equal(db.getWorkSessions(root).length, 1);

    db.upsertProjectDecision({ id: 'x1', projectPath: root, decisionKey: 'db', decisionValue: 'sqlite' });
    db.upsertProjectDecision({ id: 'x2', projectPath: root, decisionKey: 'db', decisionValue: 'postgres', reasoning: 'shared' });
    assert.deepEqual(
      db.getProjectDecisions(root).map((row) => row.decisionValue),
      ['postgres'],
    );
    assert.equal(db.getProjectDecision(root, 'db')!.reasoning, 'shared');

    db.close();
    assert.throws(() => db.getSemanticConcepts(), { name: 'TypeError', message: 'The database connection is not open' });
    assert.throws(() => db.getMigrator().getCurrentVersion(), TypeError);
    db.close(); // twice is fine, as on better-sqlite3
  });

  test('a service error reaches In-Memoria as an Error with the service code and status', () => {
    const db = new SQLiteDatabase(databasePath('solo', 'errors'));
    try {
      assert.throws(
        () => db.getFeatureByName('.', 'x'.repeat(5000)),
        (error: Error & { code?: string; status?: number }) => {
          assert.equal(error.status, 400);
          assert.equal(error.code, 'VALIDATION_FAILED');
          return true;
        },
      );
    } finally {
      db.close();
    }
  });
});

test('two checkouts at different absolute paths share one memory; paths come back under each reader root', async () => {
  const alice = new SQLiteDatabase(databasePath('alice', 'shared-app'));
  const aliceRoot = path.join(work, 'alice', 'shared-app');
  const bobRoot = path.join(work, 'bob', 'shared-app');
  alice.insertSemanticConcept(concept('abs', path.join(aliceRoot, 'src/x.ts')));
  alice.insertSemanticConcept(concept('rel', './src/y.ts'));
  alice.insertSemanticConcept(concept('outside', '/etc/hosts'));
  alice.insertFileIntelligence({
    filePath: path.join(aliceRoot, 'src/x.ts'),
    fileHash: 'h',
    semanticConcepts: [],
    patternsUsed: [],
    complexityMetrics: {},
    dependencies: [],
    lastAnalyzed: new Date(),
  });
  const aliceVectors = new SemanticVectorDB();
  await aliceVectors.initialize();
  await aliceVectors.storeCodeEmbedding('class UserService { find() {} }', {
    id: 'chunk-1',
    filePath: path.join(aliceRoot, 'src/x.ts'),
    language: 'typescript',
    complexity: 2,
    lineCount: 3,
    lastModified: new Date(),
  });
  alice.close();
  await aliceVectors.close();

  const stored = await json<{ items: Array<{ id: string; filePath: string }> }>(`${service.url}/v1/projects/shared-app/concepts?sort=id`);
  assert.deepEqual(
    stored.items.map((row) => [row.id, row.filePath]),
    [
      ['abs', '{root}/src/x.ts'],
      ['outside', '/etc/hosts'],
      ['rel', './src/y.ts'],
    ],
  );

  const bob = new SQLiteDatabase(databasePath('bob', 'shared-app'));
  const byId = new Map(bob.getSemanticConcepts().map((row) => [row.id, row.filePath]));
  assert.equal(byId.get('abs'), path.join(bobRoot, 'src/x.ts'));
  assert.equal(byId.get('rel'), './src/y.ts');
  assert.equal(byId.get('outside'), '/etc/hosts');
  assert.equal(bob.getFileIntelligence(path.join(bobRoot, 'src/x.ts'))!.filePath, path.join(bobRoot, 'src/x.ts'));
  const bobVectors = new SemanticVectorDB();
  await bobVectors.initialize();
  const chunks = await bobVectors.findSimilarCodeByFile(path.join(bobRoot, 'src/x.ts'));
  assert.deepEqual(
    chunks.map((chunk) => [chunk.id, chunk.metadata.filePath]),
    [['chunk-1', path.join(bobRoot, 'src/x.ts')]],
  );
  const found = await bobVectors.findSimilarCode('UserService find', 5);
  assert.equal(found[0]?.id, 'chunk-1');
  bob.close();
});

test('concurrent writers in two processes lose nothing; writes buffered at exit are sent before the process ends', () => {
  const script = (writer: string) => `
    const { SQLiteDatabase } = await import(${JSON.stringify(pathToFileURL(facadeModules.database).href)});
    const db = new SQLiteDatabase('in-memoria.db');
    for (let i = 0; i < 1500; i++) db.insertSemanticConcept({ id: '${writer}-' + i, conceptName: 'C' + i, conceptType: 'function', confidenceScore: 0.5, relationships: {}, evolutionHistory: {}, filePath: 'src/' + i + '.ts', lineRange: { start: 1, end: 2 } });
    process.exit(0); // no close(): the exit sends what is buffered
  `;
  const directory = path.dirname(databasePath('team', 'concurrent-app'));
  const env = { PATH: process.env.PATH ?? '', IN_MEMORIA_STORAGE_URL: service.url, IN_MEMORIA_STORAGE_API_KEY: KEYS.writer };
  const runs = ['w1', 'w2'].map((writer) =>
    import('node:child_process').then(
      ({ spawn }) =>
        new Promise<number | null>((resolve) =>
          spawn(process.execPath, ['--input-type=module', '-e', script(writer)], { cwd: directory, env, stdio: 'inherit' }).once('exit', resolve),
        ),
    ),
  );
  return Promise.all(runs).then(async (codes) => {
    assert.deepEqual(codes, [0, 0]);
    const { count } = await json<{ count: number }>(`${service.url}/v1/projects/concurrent-app/concepts/count`);
    assert.equal(count, 3000);
  });
});

test('rows the service refuses: the call that sends them throws with the code; the exit says so and is 1', () => {
  const script = `
    const { SQLiteDatabase } = await import(${JSON.stringify(pathToFileURL(facadeModules.database).href)});
    const db = new SQLiteDatabase('in-memoria.db');
    db.insertSemanticConcept({ id: 'bad', conceptName: 'X', conceptType: 'class', confidenceScore: 'high', relationships: {}, evolutionHistory: {}, filePath: 'a.ts', lineRange: { start: 1, end: 2 } });
    try { db.getSemanticConcepts(); } catch (error) { console.log(JSON.stringify({ code: error.code, status: error.status })); }
  `;
  const directory = path.dirname(databasePath('team', 'refused-app'));
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: directory,
    env: { PATH: process.env.PATH ?? '', IN_MEMORIA_STORAGE_URL: service.url, IN_MEMORIA_STORAGE_API_KEY: KEYS.writer },
    encoding: 'utf8',
  });
  assert.deepEqual(JSON.parse(result.stdout.trim()), { code: 'VALIDATION_FAILED', status: 400 });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /in-memoria-remote: the storage service refused 1 writes: .*: 400 body\.items\.0\.confidenceScore must be number/);
});
