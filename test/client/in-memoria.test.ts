/**
 * The In-Memoria adapters against the real listening service: every method of
 * SQLiteDatabase and SemanticVectorDB that In-Memoria calls, with its semantics.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { RemoteSQLiteDatabase, RemoteSemanticVectorDB, StorageClient, createInMemoriaStorage, type CodeMetadata } from '../../packages/client/src/index.js';
import type {
  AIInsight,
  Concept,
  Decision,
  DeveloperPattern,
  EntryPoint,
  EntryPointItem,
  Feature,
  FeatureMap,
  FileIntelligence,
  FileIntelligenceItem,
  Insight,
  KeyDirectory,
  KeyDirectoryItem,
  Pattern,
  ProjectDecision,
  SemanticConcept,
  WorkSession,
  WorkSessionItem,
} from '../../packages/client/src/index.js';
import { countingFetch, startListeningService, type ListeningService } from './listening.js';

// Compile-time: every field of In-Memoria's shapes is a field of the service's entity
// (projectPath is In-Memoria's tenant column; a decision's id reads back as its key).
type FieldsOf<InMemoria, Service> = Exclude<keyof InMemoria, 'projectPath'> extends keyof Service ? true : Exclude<keyof InMemoria, keyof Service>;
const fieldChecks: true[] = [
  true as FieldsOf<SemanticConcept, Concept>,
  true as FieldsOf<DeveloperPattern, Pattern>,
  true as FieldsOf<FileIntelligence, FileIntelligenceItem>,
  true as FieldsOf<AIInsight, Insight>,
  true as FieldsOf<FeatureMap, Feature>,
  true as FieldsOf<EntryPoint, EntryPointItem>,
  true as FieldsOf<KeyDirectory, KeyDirectoryItem>,
  true as FieldsOf<WorkSession, WorkSessionItem>,
  true as FieldsOf<Omit<ProjectDecision, 'id'>, Decision>,
];

const PATH = '/home/dev/app';

describe('In-Memoria adapters against a listening service', () => {
  let target: ListeningService;
  let client: StorageClient;
  let db: RemoteSQLiteDatabase;
  const counter = countingFetch();
  before(async () => {
    target = await startListeningService();
    client = new StorageClient({ baseUrl: target.url, fetch: counter.fetch });
    db = new RemoteSQLiteDatabase(client, 'im-app');
    assert.equal(fieldChecks.length, 9);
  });
  after(() => target.destroy());

  test('semantic concepts: insert replaces by id, read back with Dates and In-Memoria defaults, filter by file, count', async () => {
    await db.insertSemanticConcept({
      id: 'c1',
      conceptName: 'UserService',
      conceptType: 'class',
      confidenceScore: 0.9,
      relationships: { uses: ['Db'] },
      evolutionHistory: {},
      filePath: 'src/user.ts',
      lineRange: { start: 1, end: 40 },
    });
    await db.insertSemanticConcept({
      id: 'c1',
      conceptName: 'UserService',
      conceptType: 'class',
      confidenceScore: 0.95,
      relationships: {},
      evolutionHistory: {},
      filePath: 'src/user.ts',
      lineRange: { start: 1, end: 41 },
    });
    await client.entity('concepts').put('im-app', 'c2', { conceptName: 'helper', conceptType: 'function', filePath: 'src/util.ts' });
    const all = await db.getSemanticConcepts();
    assert.equal(all.length, 2);
    const c1 = all.find((concept) => concept.id === 'c1')!;
    assert.equal(c1.confidenceScore, 0.95);
    assert.deepEqual(c1.lineRange, { start: 1, end: 41 });
    assert.ok(c1.createdAt instanceof Date && !Number.isNaN(c1.createdAt.getTime()));
    const c2 = all.find((concept) => concept.id === 'c2')!;
    assert.deepEqual([c2.relationships, c2.evolutionHistory, c2.lineRange], [{}, {}, { start: 0, end: 0 }], 'NULL JSON columns read as In-Memoria defaults');
    assert.deepEqual(
      (await db.getSemanticConcepts('src/user.ts')).map((concept) => concept.id),
      ['c1'],
    );
    counter.calls.length = 0;
    assert.equal(await db.countSemanticConcepts(), 2);
    assert.equal(await db.countSemanticConcepts('src/util.ts'), 1);
    assert.deepEqual(counter.calls, ['GET /v1/projects/im-app/concepts/count', 'GET /v1/projects/im-app/concepts/count'], 'counts do not pull the table');
  });

  test('developer patterns: default limit 50, most frequent first then most confident; type filter; explicit limit; count', async () => {
    const items = Array.from({ length: 55 }, (_, index) => ({
      patternId: `p${index}`,
      patternType: index % 5 === 0 ? 'naming' : 'structure',
      patternContent: { index },
      frequency: index % 7,
      confidence: (index % 3) / 3,
    }));
    await client.entity('patterns').batch('im-app', items);
    const top = await db.getDeveloperPatterns();
    assert.equal(top.length, 50);
    for (let index = 1; index < top.length; index++) {
      const [a, b] = [top[index - 1]!, top[index]!];
      assert.ok(a.frequency > b.frequency || (a.frequency === b.frequency && a.confidence >= b.confidence), `ordered at ${index}`);
    }
    const expectedFirst = [...items].sort((a, b) => b.frequency - a.frequency || b.confidence - a.confidence)[0]!;
    assert.equal(top[0]!.frequency, expectedFirst.frequency);
    assert.equal(top[0]!.confidence, expectedFirst.confidence);
    assert.deepEqual(top[0]!.contexts, []);
    assert.ok(top[0]!.lastSeen instanceof Date);
    const naming = await db.getDeveloperPatterns('naming');
    assert.equal(naming.length, 11);
    assert.ok(naming.every((pattern) => pattern.patternType === 'naming'));
    assert.equal((await db.getDeveloperPatterns(undefined, 3)).length, 3);
    assert.equal((await db.getDeveloperPatterns(undefined, 1200)).length, 55, 'a limit above one page walks pages');
    await db.insertDeveloperPattern({
      patternId: 'p0',
      patternType: 'naming',
      patternContent: { rule: 'camelCase' },
      frequency: 99,
      contexts: ['ts'],
      examples: [{ code: 'fooBar' }],
      confidence: 1,
    });
    const first = (await db.getDeveloperPatterns('naming', 1))[0]!;
    assert.deepEqual([first.patternId, first.patternContent, first.examples], ['p0', { rule: 'camelCase' }, [{ code: 'fooBar' }]]);
    assert.equal(await db.countDeveloperPatterns(), 55);
    assert.equal(await db.countDeveloperPatterns('naming'), 11);
  });

  test('file intelligence: insert, read by path (slashes kept), null when absent', async () => {
    await db.insertFileIntelligence({
      filePath: 'src/deep/file.ts',
      fileHash: 'abc',
      semanticConcepts: ['c1'],
      patternsUsed: [],
      complexityMetrics: { cyclomatic: 3 },
      dependencies: ['fs'],
      lastAnalyzed: new Date(0),
    });
    const file = await db.getFileIntelligence('src/deep/file.ts');
    assert.equal(file?.fileHash, 'abc');
    assert.deepEqual(file?.complexityMetrics, { cyclomatic: 3 });
    assert.ok(file!.lastAnalyzed.getTime() > Date.now() - 60_000, 'lastAnalyzed is the time of the write, as in In-Memoria');
    assert.equal(await db.getFileIntelligence('src/missing.ts'), null);
  });

  test('AI insights: ordered by confidence then newest; type filter', async () => {
    await db.insertAIInsight({
      insightId: 'i1',
      insightType: 'bug_pattern',
      insightContent: { a: 1 },
      confidenceScore: 0.5,
      sourceAgent: 'x',
      validationStatus: 'pending',
      impactPrediction: {},
    });
    await db.insertAIInsight({
      insightId: 'i2',
      insightType: 'refactor',
      insightContent: { b: 2 },
      confidenceScore: 0.9,
      sourceAgent: 'x',
      validationStatus: 'validated',
      impactPrediction: { risk: 'low' },
    });
    await db.insertAIInsight({
      insightId: 'i3',
      insightType: 'refactor',
      insightContent: { c: 3 },
      confidenceScore: 0.7,
      sourceAgent: 'y',
      validationStatus: 'rejected',
      impactPrediction: {},
    });
    assert.deepEqual(
      (await db.getAIInsights()).map((insight) => insight.insightId),
      ['i2', 'i3', 'i1'],
    );
    const refactors = await db.getAIInsights('refactor');
    assert.deepEqual(
      refactors.map((insight) => insight.insightId),
      ['i2', 'i3'],
    );
    assert.equal(refactors[0]!.validationStatus, 'validated');
    assert.equal(await db.countAIInsights('refactor'), 2);
  });

  test('features: only active, ordered by name; name search; by name; count', async () => {
    const feature = (id: string, featureName: string, status: string) => ({
      id,
      projectPath: PATH,
      featureName,
      primaryFiles: [`src/${id}.ts`],
      relatedFiles: [],
      dependencies: [],
      status,
    });
    await db.insertFeatureMap(feature('f1', 'Search', 'active'));
    await db.insertFeatureMap(feature('f2', 'authentication', 'active'));
    await db.insertFeatureMap(feature('f3', 'Billing', 'deprecated'));
    await db.insertFeatureMap(feature('f4', 'Auth Admin', 'active'));
    const active = await db.getFeatureMaps(PATH);
    assert.deepEqual(
      active.map((item) => item.featureName),
      ['Auth Admin', 'Search', 'authentication'],
    );
    assert.ok(active.every((item) => item.projectPath === PATH && item.status === 'active'));
    assert.deepEqual(
      (await db.searchFeatureMaps(PATH, 'AUTH')).map((item) => item.id),
      ['f4', 'f2'],
    );
    assert.equal((await db.getFeatureByName(PATH, 'Search'))?.id, 'f1');
    assert.equal(await db.getFeatureByName(PATH, 'Billing'), null, 'inactive features are not found by name');
    assert.deepEqual((await db.getFeatureByName(PATH, 'Search'))?.primaryFiles, ['src/f1.ts']);
    assert.equal(await db.countFeatureMaps(), 3);
  });

  test('entry points and key directories, in In-Memoria order', async () => {
    await db.insertEntryPoint({ id: 'e1', projectPath: PATH, entryType: 'web', filePath: 'src/server.ts', framework: 'fastify' });
    await db.insertEntryPoint({ id: 'e2', projectPath: PATH, entryType: 'cli', filePath: 'src/cli.ts' });
    await db.insertEntryPoint({ id: 'e3', projectPath: PATH, entryType: 'api', filePath: 'src/b.ts', description: 'b' });
    await db.insertEntryPoint({ id: 'e4', projectPath: PATH, entryType: 'api', filePath: 'src/a.ts' });
    const entryPoints = await db.getEntryPoints(PATH);
    assert.deepEqual(
      entryPoints.map((entry) => entry.id),
      ['e4', 'e3', 'e2', 'e1'],
    );
    assert.equal(entryPoints[3]!.framework, 'fastify');
    assert.equal(entryPoints[0]!.projectPath, PATH);

    await db.insertKeyDirectory({ id: 'd1', projectPath: PATH, directoryPath: 'src/z', directoryType: 'components', fileCount: 3 });
    await db.insertKeyDirectory({ id: 'd2', projectPath: PATH, directoryPath: 'src/a', directoryType: 'services', fileCount: 5, description: 'svc' });
    await db.insertKeyDirectory({ id: 'd3', projectPath: PATH, directoryPath: 'lib', directoryType: 'components', fileCount: 1 });
    const directories = await db.getKeyDirectories(PATH);
    assert.deepEqual(
      directories.map((directory) => directory.id),
      ['d3', 'd1', 'd2'],
    );
    assert.equal(directories[2]!.description, 'svc');
  });

  test('work sessions: create, update (undefined fields left alone, unknown id a no-op), current = open with latest start, newest first', async () => {
    const session = (id: string) => ({ id, projectPath: PATH, currentFiles: [], completedTasks: [], pendingTasks: ['t'], blockers: [] });
    assert.equal(await db.getCurrentWorkSession(PATH), null);
    await db.createWorkSession(session('s1'));
    await sleep(5);
    await db.createWorkSession(session('s2'));
    await sleep(5);
    await db.createWorkSession(session('s3'));
    assert.equal((await db.getCurrentWorkSession(PATH))?.id, 's3');
    const end = new Date();
    await db.updateWorkSession('s3', { sessionEnd: end, completedTasks: ['t'], sessionNotes: undefined });
    const current = await db.getCurrentWorkSession(PATH);
    assert.equal(current?.id, 's2', 'the ended session is no longer current');
    assert.ok(current!.sessionStart instanceof Date);
    await db.updateWorkSession('s2', { lastFeature: 'search', sessionNotes: 'halfway' });
    assert.deepEqual([(await db.getCurrentWorkSession(PATH))?.lastFeature, (await db.getCurrentWorkSession(PATH))?.pendingTasks], ['search', ['t']]);
    await db.updateWorkSession('no-such-session', { sessionNotes: 'x' });
    await db.updateWorkSession('s2', {});
    const sessions = await db.getWorkSessions(PATH);
    assert.deepEqual(
      sessions.map((item) => item.id),
      ['s3', 's2', 's1'],
    );
    assert.equal(sessions[0]!.sessionEnd?.toISOString(), end.toISOString());
    assert.deepEqual(sessions[0]!.completedTasks, ['t']);
    assert.equal((await db.getWorkSessions(PATH, 2)).length, 2);
  });

  test('project decisions: replaced by key, newest first, one by key', async () => {
    await db.upsertProjectDecision({ id: 'x1', projectPath: PATH, decisionKey: 'db', decisionValue: 'sqlite', reasoning: 'simple' });
    await sleep(5);
    await db.upsertProjectDecision({ id: 'x2', projectPath: PATH, decisionKey: 'style', decisionValue: 'prettier' });
    await sleep(5);
    await db.upsertProjectDecision({ id: 'x3', projectPath: PATH, decisionKey: 'db', decisionValue: 'postgres', reasoning: 'shared' });
    const decisions = await db.getProjectDecisions(PATH);
    assert.deepEqual(
      decisions.map((decision) => [decision.decisionKey, decision.decisionValue]),
      [
        ['db', 'postgres'],
        ['style', 'prettier'],
      ],
    );
    assert.equal((await db.getProjectDecisions(PATH, 1)).length, 1);
    const db1 = await db.getProjectDecision(PATH, 'db');
    assert.deepEqual([db1?.id, db1?.reasoning, db1?.projectPath], ['db', 'shared', PATH]);
    assert.ok(db1!.madeAt instanceof Date);
    assert.equal(await db.getProjectDecision(PATH, 'nope'), null);
  });

  test('project metadata: absent is null, insert then read with Dates and list defaults', async () => {
    const fresh = new RemoteSQLiteDatabase(client, 'im-fresh');
    assert.equal(await fresh.getProjectMetadata(PATH), null);
    const scanned = new Date('2026-01-02T03:04:05.000Z');
    await fresh.insertProjectMetadata({
      projectId: 'uuid-from-in-memoria',
      projectPath: PATH,
      projectName: 'app',
      languagesDetected: ['typescript'],
      lastFullScan: scanned,
    });
    const metadata = await fresh.getProjectMetadata(PATH);
    assert.equal(metadata?.projectId, 'im-fresh');
    assert.equal(metadata?.projectPath, PATH);
    assert.deepEqual(metadata?.languagesDetected, ['typescript']);
    assert.deepEqual(metadata?.frameworkDetected, []);
    assert.equal(metadata?.lastFullScan?.toISOString(), scanned.toISOString());
  });

  test('stats in one call instead of pulling tables', async () => {
    counter.calls.length = 0;
    const stats = await db.getIntelligenceStats();
    assert.deepEqual(counter.calls, ['GET /v1/projects/im-app/stats']);
    assert.equal(stats.entities.patterns?.count, 55);
    assert.equal(stats.entities.features?.count, 4);
  });

  test('SemanticVectorDB: store, store many, find similar (by text, file, language), delete by file, collection stats', async () => {
    const { vectors } = createInMemoriaStorage({ baseUrl: target.url, projectId: 'im-vec' });
    assert.ok(vectors instanceof RemoteSemanticVectorDB);
    assert.equal((await vectors.getCollectionStats()).count, 0, 'no collection yet');
    assert.deepEqual(await vectors.findSimilarCode('anything'), [], 'no collection yet: nothing found');
    await vectors.initialize();
    const meta = (id: string, filePath: string, language: string, functionName?: string): CodeMetadata => ({
      id,
      filePath,
      language,
      functionName,
      complexity: 2,
      lineCount: 10,
      lastModified: new Date('2026-03-01T00:00:00.000Z'),
    });
    await vectors.storeCodeEmbedding(
      'async function getUserById(id) { return db.users.findOne({ id }); }',
      meta('users#1', 'src/users.ts', 'typescript', 'getUserById'),
    );
    await vectors.storeMultipleEmbeddings(
      [
        'def parse_xml_document(text): return ElementTree.fromstring(text)',
        'function renderChart(canvas, series) { plot every series }',
        'function deleteUser(id) { return db.users.remove({ id }); }',
      ],
      [meta('xml#1', 'lib/xml.py', 'python'), meta('chart#1', 'src/chart.ts', 'typescript'), meta('users#2', 'src/users.ts', 'typescript', 'deleteUser')],
    );
    await vectors.storeCodeEmbedding(
      'async function getUserById(id) { return db.users.findOne({ id }); }',
      meta('users#1', 'src/users.ts', 'typescript', 'getUserById'),
    );
    assert.equal((await vectors.getCollectionStats()).count, 4, 're-storing a chunk replaces it');
    await assert.rejects(vectors.storeMultipleEmbeddings(['a'], []), /same length/);

    const similar = await vectors.findSimilarCode('get user by id', 2);
    assert.equal(similar.length, 2);
    assert.equal(similar[0]!.id, 'users#1');
    assert.match(similar[0]!.code, /getUserById/);
    assert.equal(similar[0]!.metadata.functionName, 'getUserById');
    assert.equal(similar[0]!.metadata.lastModified.toISOString(), '2026-03-01T00:00:00.000Z');
    assert.ok(similar[0]!.similarity >= similar[1]!.similarity && similar[0]!.similarity > 0);
    assert.deepEqual(
      (await vectors.findSimilarCodeByLanguage('parse document', 'python')).map((result) => result.id),
      ['xml#1'],
    );
    const byFile = await vectors.findSimilarCodeByFile('src/users.ts');
    assert.deepEqual(byFile.map((result) => result.id).sort(), ['users#1', 'users#2']);
    assert.ok(
      byFile.every((result) => result.similarity === 0.5),
      "In-Memoria's similarity for unranked rows",
    );

    assert.equal(await vectors.deleteCodeEmbeddingsByFile('src/users.ts'), 2);
    assert.equal(await vectors.deleteCodeEmbeddingsByFile('src/users.ts'), 0);
    await vectors.deleteCodeEmbedding('chart#1');
    const stats = await vectors.getCollectionStats();
    assert.equal(stats.count, 1);
    assert.equal(stats.metadata.model, 'local-hash-v1');
  });
});
