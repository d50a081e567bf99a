/**
 * The method tables of In-Memoria's storage classes (0.4 and 0.6: `SQLiteDatabase`
 * in src/storage/sqlite-db.ts, `SemanticVectorDB` in src/storage/vector-db.ts),
 * shared by the synchronous facades and the worker that serves them.
 */

/** Every data method of `SQLiteDatabase`, 0.4's and those 0.6 added; `getMigrator` and `close` are the facade's own. */
export const DATABASE_METHODS = [
  'insertSemanticConcept',
  'getSemanticConcepts',
  'insertDeveloperPattern',
  'getDeveloperPatterns',
  'insertFileIntelligence',
  'getFileIntelligence',
  'insertAIInsight',
  'getAIInsights',
  'insertFeatureMap',
  'getFeatureMaps',
  'searchFeatureMaps',
  'getFeatureByName',
  'insertEntryPoint',
  'getEntryPoints',
  'insertKeyDirectory',
  'getKeyDirectories',
  'insertProjectMetadata',
  'getProjectMetadata',
  'createWorkSession',
  'updateWorkSession',
  'getCurrentWorkSession',
  'getWorkSessions',
  'upsertProjectDecision',
  'getProjectDecisions',
  'getProjectDecision',
] as const;

export const VECTOR_METHODS = [
  'initialize',
  'storeCodeEmbedding',
  'storeMultipleEmbeddings',
  'findSimilarCode',
  'findSimilarCodeByFile',
  'findSimilarCodeByLanguage',
  'updateCodeEmbedding',
  'deleteCodeEmbedding',
  'deleteCodeEmbeddingsByFile',
  'getCollectionStats',
] as const;

export type DatabaseMethod = (typeof DATABASE_METHODS)[number];
export type VectorMethod = (typeof VECTOR_METHODS)[number];

/**
 * Calls that only add rows: the worker buffers them into batches. Every other
 * call sends what is buffered first, so a read always sees earlier writes.
 */
export const BUFFERED_WRITES: ReadonlySet<string> = new Set<DatabaseMethod | VectorMethod>([
  'insertSemanticConcept',
  'insertDeveloperPattern',
  'insertFileIntelligence',
  'insertAIInsight',
  'insertFeatureMap',
  'insertEntryPoint',
  'insertKeyDirectory',
  'createWorkSession',
  'upsertProjectDecision',
  'storeCodeEmbedding',
  'storeMultipleEmbeddings',
]);

/** In-Memoria's schema version: 0.4 stops at migration 4; 0.6 (and the service's tables) at 7. */
export function inMemoriaSchemaVersion(inMemoriaVersion: string | undefined): number {
  if (!inMemoriaVersion) return 7;
  const [major = 0, minor = 0] = inMemoriaVersion.split('.').map(Number);
  return major === 0 && minor < 5 ? 4 : 7;
}

/** 0.4's getDeveloperPatterns answers every pattern; 0.6 answers 50 unless told. */
export function defaultPatternLimit(inMemoriaVersion: string | undefined): number {
  return inMemoriaSchemaVersion(inMemoriaVersion) === 4 ? Infinity : 50;
}
