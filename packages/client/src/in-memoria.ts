/**
 * In-Memoria's storage, served by the service: `RemoteSQLiteDatabase` has the
 * method names and argument shapes of In-Memoria's `SQLiteDatabase`, async,
 * bound to one project; `RemoteSemanticVectorDB` (in-memoria-vectors.ts) does
 * the same for `SemanticVectorDB`. Swapping is `await` at the call sites.
 *
 * In-Memoria's `projectPath` arguments are accepted and echoed back in the
 * rows it reads, but the tenant is the project id given to the constructor.
 * Counting calls (`count*`, `getIntelligenceStats`) use the count and stats
 * endpoints: `(await db.getSemanticConcepts()).length` pulls the whole table.
 *
 * The In-Memoria bridge (in-memoria/) runs this adapter in a worker behind a
 * synchronous facade, with its `writes` buffering upserts into batches and its
 * `paths` mapping checkout roots (in-memoria/paths.ts).
 */
import { StorageClient, type StorageClientOptions } from './client.js';
import { StorageError, orNull } from './errors.js';
import { collect } from './pagination.js';
import { RemoteSemanticVectorDB, type VectorAdapterOptions } from './in-memoria-vectors.js';
import { mapPaths, unchangedPaths, type PathCodec } from './in-memoria/paths.js';
import type {
  AIInsight,
  DeveloperPattern,
  EntryPoint,
  FeatureMap,
  FileIntelligence,
  KeyDirectory,
  ProjectDecision,
  ProjectMetadata,
  ProjectMetadataInput,
  SemanticConcept,
  WorkSession,
} from './in-memoria-types.js';
import type { EntityKeyedInput, EntityInput, EntityListQuery, EntityName, EntityItem, IntelligenceInput, IntelligenceResult, ProjectStats } from './types.js';

export { RemoteSemanticVectorDB, type VectorAdapterOptions };

/** The largest page the service serves. */
const PAGE = 1000;

const toDate = (value: string | undefined): Date => new Date(value ?? 0);
const optionalDate = (value: string | undefined): Date | undefined => (value === undefined ? undefined : new Date(value));
const iso = (value: Date | string | null | undefined): string | null | undefined => (value instanceof Date ? value.toISOString() : value);

// Rows leave JSON columns out when NULL; In-Memoria reads them with these defaults.
const object = (value: unknown) => (value ?? {}) as Record<string, any>;
const list = <T>(value: unknown) => (value ?? []) as T[];

type SessionUpdates = Partial<Omit<WorkSession, 'id' | 'projectPath' | 'sessionStart' | 'lastUpdated'>>;

/** Stores one row (its key is in the item too); resolves when the write is accepted. */
export type EntityWrites = <N extends EntityName>(name: N, key: string, item: EntityKeyedInput<N>) => Promise<void>;

export interface SQLiteAdapterOptions {
  /** Maps checkout paths to their stored form and back (team sharing); unchanged by default. */
  paths?: PathCodec;
  /** Where `insert*` rows go; by default each is PUT at once. */
  writes?: EntityWrites;
  /** Rows `getDeveloperPatterns` answers without a limit: 50 as In-Memoria 0.6 does (default); 0.4 has no limit (Infinity). */
  defaultPatternLimit?: number;
}

export class RemoteSQLiteDatabase {
  private readonly paths: PathCodec;
  private readonly upsert: EntityWrites;
  private readonly defaultPatternLimit: number;

  constructor(
    readonly client: StorageClient,
    readonly projectId: string,
    options: SQLiteAdapterOptions = {},
  ) {
    this.paths = options.paths ?? unchangedPaths;
    this.upsert = options.writes ?? (async (name, key, item) => void (await client.entity(name).put(projectId, key, item as EntityInput<typeof name>)));
    this.defaultPatternLimit = options.defaultPatternLimit ?? 50;
  }

  /** Every row of a query, page by page; `max` stops early (positive finite), else all. */
  private all<N extends EntityName>(name: N, query: EntityListQuery<N>, max = Infinity): Promise<EntityItem<N>[]> {
    const limited = Number.isFinite(max) && max > 0;
    const pageSize = limited ? Math.min(max, PAGE) : PAGE;
    return collect(this.client.entity(name).iterate(this.projectId, { ...query, limit: pageSize }), limited ? max : Infinity);
  }

  // Semantic concepts

  async insertSemanticConcept(concept: Omit<SemanticConcept, 'createdAt' | 'updatedAt'>): Promise<void> {
    await this.upsert('concepts', concept.id, {
      id: concept.id,
      conceptName: concept.conceptName,
      conceptType: concept.conceptType,
      confidenceScore: concept.confidenceScore,
      relationships: concept.relationships,
      evolutionHistory: concept.evolutionHistory,
      filePath: concept.filePath === undefined ? undefined : this.paths.toStored(concept.filePath),
      lineRange: concept.lineRange,
    });
  }

  /** In write order (In-Memoria's SQL has no ORDER BY: SQLite answers in rowid order, and a replace moves a row last). */
  async getSemanticConcepts(filePath?: string): Promise<SemanticConcept[]> {
    const rows = await this.all('concepts', { ...(filePath ? { filePath: this.paths.toStored(filePath) } : {}), sort: 'updatedAt' });
    return rows.map((row) => ({
      id: row.id,
      conceptName: row.conceptName,
      conceptType: row.conceptType,
      confidenceScore: row.confidenceScore,
      relationships: object(row.relationships),
      evolutionHistory: object(row.evolutionHistory),
      filePath: this.paths.fromStored(row.filePath ?? ''),
      lineRange: (row.lineRange ?? { start: 0, end: 0 }) as SemanticConcept['lineRange'],
      createdAt: toDate(row.createdAt),
      updatedAt: toDate(row.updatedAt),
    }));
  }

  async countSemanticConcepts(filePath?: string): Promise<number> {
    return (await this.client.entity('concepts').count(this.projectId, filePath ? { filePath: this.paths.toStored(filePath) } : {})).count;
  }

  // Developer patterns

  async insertDeveloperPattern(pattern: Omit<DeveloperPattern, 'createdAt' | 'lastSeen'>): Promise<void> {
    await this.upsert('patterns', pattern.patternId, {
      patternId: pattern.patternId,
      patternType: pattern.patternType,
      patternContent: pattern.patternContent,
      frequency: pattern.frequency,
      contexts: pattern.contexts,
      examples: pattern.examples,
      confidence: pattern.confidence,
    });
  }

  /** Most frequent first, then most confident (the service's order for patterns); `defaultPatternLimit` unless told. */
  async getDeveloperPatterns(patternType?: string, limit = this.defaultPatternLimit): Promise<DeveloperPattern[]> {
    const rows = await this.all('patterns', patternType ? { patternType } : {}, limit);
    return rows.map((row) => ({
      patternId: row.patternId,
      patternType: row.patternType,
      patternContent: object(row.patternContent),
      frequency: row.frequency,
      contexts: list<string>(row.contexts),
      examples: list<Record<string, any>>(row.examples),
      confidence: row.confidence,
      createdAt: toDate(row.createdAt),
      lastSeen: toDate(row.lastSeen),
    }));
  }

  async countDeveloperPatterns(patternType?: string): Promise<number> {
    return (await this.client.entity('patterns').count(this.projectId, patternType ? { patternType } : {})).count;
  }

  // File intelligence

  async insertFileIntelligence(file: Omit<FileIntelligence, 'createdAt'>): Promise<void> {
    // lastAnalyzed is set to now by the service, as In-Memoria's CURRENT_TIMESTAMP did.
    const filePath = this.paths.toStored(file.filePath);
    await this.upsert('files', filePath, {
      filePath,
      fileHash: file.fileHash,
      semanticConcepts: file.semanticConcepts,
      patternsUsed: file.patternsUsed,
      complexityMetrics: file.complexityMetrics,
      dependencies: file.dependencies,
    });
  }

  async getFileIntelligence(filePath: string): Promise<FileIntelligence | null> {
    const row = await orNull(this.client.entity('files').get(this.projectId, this.paths.toStored(filePath)));
    if (!row) return null;
    return {
      filePath: this.paths.fromStored(row.filePath),
      fileHash: row.fileHash,
      semanticConcepts: list<string>(row.semanticConcepts),
      patternsUsed: list<string>(row.patternsUsed),
      complexityMetrics: object(row.complexityMetrics),
      dependencies: list<string>(row.dependencies),
      lastAnalyzed: toDate(row.lastAnalyzed),
      createdAt: toDate(row.createdAt),
    };
  }

  // AI insights

  async insertAIInsight(insight: Omit<AIInsight, 'createdAt'>): Promise<void> {
    await this.upsert('insights', insight.insightId, {
      insightId: insight.insightId,
      insightType: insight.insightType,
      insightContent: insight.insightContent,
      confidenceScore: insight.confidenceScore,
      sourceAgent: insight.sourceAgent,
      validationStatus: insight.validationStatus,
      impactPrediction: insight.impactPrediction,
    });
  }

  /** Most confident first, then newest, as In-Memoria orders them. */
  async getAIInsights(insightType?: string): Promise<AIInsight[]> {
    const rows = await this.all('insights', { ...(insightType ? { insightType } : {}), sort: '-confidenceScore,-createdAt' });
    return rows.map((row) => ({
      insightId: row.insightId,
      insightType: row.insightType,
      insightContent: object(row.insightContent),
      confidenceScore: row.confidenceScore,
      sourceAgent: row.sourceAgent ?? '',
      validationStatus: row.validationStatus as AIInsight['validationStatus'],
      impactPrediction: object(row.impactPrediction),
      createdAt: toDate(row.createdAt),
    }));
  }

  async countAIInsights(insightType?: string): Promise<number> {
    return (await this.client.entity('insights').count(this.projectId, insightType ? { insightType } : {})).count;
  }

  // Feature map

  async insertFeatureMap(feature: Omit<FeatureMap, 'createdAt' | 'updatedAt'>): Promise<void> {
    await this.upsert('features', feature.id, {
      id: feature.id,
      featureName: feature.featureName,
      primaryFiles: mapPaths(feature.primaryFiles, this.paths.toStored),
      relatedFiles: mapPaths(feature.relatedFiles, this.paths.toStored),
      dependencies: feature.dependencies,
      status: feature.status,
    });
  }

  /** Active features ordered by name. */
  async getFeatureMaps(projectPath: string): Promise<FeatureMap[]> {
    return (await this.all('features', { status: 'active' })).map((row) => this.feature(row, projectPath));
  }

  /** Active features whose name contains `query`, case-insensitively, ordered by name. */
  async searchFeatureMaps(projectPath: string, query: string): Promise<FeatureMap[]> {
    return (await this.all('features', { status: 'active', q: query })).map((row) => this.feature(row, projectPath));
  }

  async getFeatureByName(projectPath: string, featureName: string): Promise<FeatureMap | null> {
    const page = await this.client.entity('features').list(this.projectId, { status: 'active', featureName, limit: 1 });
    return page.items[0] ? this.feature(page.items[0], projectPath) : null;
  }

  async countFeatureMaps(): Promise<number> {
    return (await this.client.entity('features').count(this.projectId, { status: 'active' })).count;
  }

  private feature(row: EntityItem<'features'>, projectPath: string): FeatureMap {
    return {
      id: row.id,
      projectPath,
      featureName: row.featureName,
      primaryFiles: mapPaths(list<string>(row.primaryFiles), this.paths.fromStored),
      relatedFiles: mapPaths(list<string>(row.relatedFiles), this.paths.fromStored),
      dependencies: list<string>(row.dependencies),
      status: row.status,
      createdAt: toDate(row.createdAt),
      updatedAt: toDate(row.updatedAt),
    };
  }

  // Entry points and key directories

  async insertEntryPoint(entryPoint: Omit<EntryPoint, 'createdAt'>): Promise<void> {
    await this.upsert('entry-points', entryPoint.id, {
      id: entryPoint.id,
      entryType: entryPoint.entryType,
      filePath: this.paths.toStored(entryPoint.filePath),
      description: entryPoint.description,
      framework: entryPoint.framework,
    });
  }

  /** Ordered by entry type, then file path. */
  async getEntryPoints(projectPath: string): Promise<EntryPoint[]> {
    const rows = await this.all('entry-points', { sort: 'entryType,filePath' });
    return rows.map((row) => ({
      id: row.id,
      projectPath,
      entryType: row.entryType,
      filePath: this.paths.fromStored(row.filePath),
      description: row.description,
      framework: row.framework,
      createdAt: toDate(row.createdAt),
    }));
  }

  async insertKeyDirectory(directory: Omit<KeyDirectory, 'createdAt'>): Promise<void> {
    await this.upsert('key-directories', directory.id, {
      id: directory.id,
      directoryPath: this.paths.toStored(directory.directoryPath),
      directoryType: directory.directoryType,
      fileCount: directory.fileCount,
      description: directory.description,
    });
  }

  /** Ordered by directory type, then path, as In-Memoria lists them. */
  async getKeyDirectories(projectPath: string): Promise<KeyDirectory[]> {
    const rows = await this.all('key-directories', { sort: 'directoryType,directoryPath' });
    return rows.map((row) => ({
      id: row.id,
      projectPath,
      directoryPath: this.paths.fromStored(row.directoryPath),
      directoryType: row.directoryType,
      fileCount: row.fileCount,
      description: row.description,
      createdAt: toDate(row.createdAt),
    }));
  }

  // Work sessions

  /** The service sets sessionStart (and lastUpdated) to now, as In-Memoria's column defaults did. */
  async createWorkSession(session: Omit<WorkSession, 'sessionStart' | 'lastUpdated'>): Promise<void> {
    await this.upsert('work-sessions', session.id, {
      id: session.id,
      sessionEnd: iso(session.sessionEnd),
      lastFeature: session.lastFeature,
      currentFiles: mapPaths(session.currentFiles, this.paths.toStored),
      completedTasks: session.completedTasks,
      pendingTasks: session.pendingTasks,
      blockers: session.blockers,
      sessionNotes: session.sessionNotes,
    });
  }

  /** Changes the fields given (undefined ones are left alone); a session that does not exist is a no-op, as in In-Memoria. */
  async updateWorkSession(sessionId: string, updates: SessionUpdates): Promise<void> {
    const changes: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(updates)) {
      if (value === undefined) continue;
      changes[field] = field === 'sessionEnd' ? (iso(value as Date | null) ?? null) : field === 'currentFiles' ? mapPaths(value, this.paths.toStored) : value;
    }
    if (Object.keys(changes).length === 0) return;
    try {
      await this.client.entity('work-sessions').patch(this.projectId, sessionId, changes);
    } catch (error) {
      // In-Memoria's UPDATE of an unknown id changes nothing and does not throw; callers rely on that.
      if (!(error instanceof StorageError && error.code === 'NOT_FOUND')) throw error;
    }
  }

  /** The open session (no end) with the latest start, or null. */
  async getCurrentWorkSession(projectPath: string): Promise<WorkSession | null> {
    const row = await orNull(this.client.projects.currentWorkSession(this.projectId));
    return row ? this.session(row, projectPath) : null;
  }

  /** Newest first. */
  async getWorkSessions(projectPath: string, limit = 10): Promise<WorkSession[]> {
    return (await this.all('work-sessions', {}, limit)).map((row) => this.session(row, projectPath));
  }

  private session(row: EntityItem<'work-sessions'>, projectPath: string): WorkSession {
    return {
      id: row.id,
      projectPath,
      sessionStart: toDate(row.sessionStart),
      sessionEnd: optionalDate(row.sessionEnd),
      lastFeature: row.lastFeature,
      currentFiles: mapPaths(list<string>(row.currentFiles), this.paths.fromStored),
      completedTasks: list<string>(row.completedTasks),
      pendingTasks: list<string>(row.pendingTasks),
      blockers: list<string>(row.blockers),
      sessionNotes: row.sessionNotes,
      lastUpdated: toDate(row.lastUpdated),
    };
  }

  // Project decisions

  /** Replaces the decision with the same key (and marks it made now). */
  async upsertProjectDecision(decision: Omit<ProjectDecision, 'madeAt'>): Promise<void> {
    await this.upsert('decisions', decision.decisionKey, {
      decisionKey: decision.decisionKey,
      decisionValue: decision.decisionValue,
      reasoning: decision.reasoning,
    });
  }

  /** Most recent first. */
  async getProjectDecisions(projectPath: string, limit = 20): Promise<ProjectDecision[]> {
    return (await this.all('decisions', {}, limit)).map((row) => this.decision(row, projectPath));
  }

  async getProjectDecision(projectPath: string, decisionKey: string): Promise<ProjectDecision | null> {
    const row = await orNull(this.client.entity('decisions').get(this.projectId, decisionKey));
    return row ? this.decision(row, projectPath) : null;
  }

  private decision(row: EntityItem<'decisions'>, projectPath: string): ProjectDecision {
    const value = row.decisionValue;
    return {
      id: row.decisionKey,
      projectPath,
      decisionKey: row.decisionKey,
      decisionValue: typeof value === 'string' ? value : JSON.stringify(value),
      reasoning: row.reasoning,
      madeAt: toDate(row.madeAt),
    };
  }

  // Project metadata

  /** Stores the metadata on the adapter's project; In-Memoria's own projectId is not the tenant here. */
  async insertProjectMetadata(metadata: ProjectMetadataInput): Promise<void> {
    await this.client.projects.put(this.projectId, {
      projectPath: this.paths.toStored(metadata.projectPath),
      projectName: metadata.projectName,
      languagePrimary: metadata.languagePrimary,
      languagesDetected: metadata.languagesDetected,
      frameworkDetected: metadata.frameworkDetected,
      intelligenceVersion: metadata.intelligenceVersion,
      lastFullScan: iso(metadata.lastFullScan) ?? undefined,
    });
  }

  /**
   * Null until In-Memoria stores its metadata: a write to any entity creates the
   * project row too, but without the path In-Memoria's insertProjectMetadata always sets.
   */
  async getProjectMetadata(_projectPath: string): Promise<ProjectMetadata | null> {
    const project = await orNull(this.client.projects.get(this.projectId));
    if (!project || project.projectPath == null) return null;
    return {
      projectId: project.projectId,
      projectPath: this.paths.fromStored(project.projectPath),
      projectName: project.projectName,
      languagePrimary: project.languagePrimary,
      languagesDetected: list<string>(project.languagesDetected),
      frameworkDetected: list<string>(project.frameworkDetected),
      intelligenceVersion: project.intelligenceVersion,
      lastFullScan: optionalDate(project.lastFullScan),
      createdAt: toDate(project.createdAt),
      updatedAt: toDate(project.updatedAt),
    };
  }

  // Beyond In-Memoria's methods: what lets it stop pulling tables to count, and re-learn without duplicates.

  /** Counts per entity, by type, confidence bands, vector counts: one call. */
  getIntelligenceStats(): Promise<ProjectStats> {
    return this.client.projects.stats(this.projectId);
  }

  /** Replaces the learned sections sent, in one transaction. */
  replaceIntelligence(sections: IntelligenceInput): Promise<IntelligenceResult> {
    return this.client.projects.replaceIntelligence(this.projectId, sections);
  }

  /** Nothing to release: the client holds no connection. Kept so `close()` call sites stay. */
  close(): void {}
}

export interface InMemoriaStorageOptions extends StorageClientOptions, VectorAdapterOptions {
  projectId: string;
}

/** A client and both adapters over one project. */
export function createInMemoriaStorage(options: InMemoriaStorageOptions): {
  client: StorageClient;
  database: RemoteSQLiteDatabase;
  vectors: RemoteSemanticVectorDB;
} {
  const client = new StorageClient(options);
  return {
    client,
    database: new RemoteSQLiteDatabase(client, options.projectId),
    vectors: new RemoteSemanticVectorDB(client, options.projectId, options),
  };
}
