/**
 * The shapes In-Memoria's storage classes (`SQLiteDatabase` in
 * src/storage/sqlite-db.ts, `SemanticVectorDB` in src/storage/vector-db.ts)
 * take and return, so the adapters slot in where those classes were used.
 * Timestamps are Dates, as In-Memoria reads them; JSON columns are the loose
 * `Record<string, any>` In-Memoria declares. test/client/in-memoria.test.ts
 * checks at compile time that every field here is a field of the service's
 * entity, so a rename on either side fails the build.
 */

export interface SemanticConcept {
  id: string;
  conceptName: string;
  conceptType: string;
  confidenceScore: number;
  relationships: Record<string, any>;
  evolutionHistory: Record<string, any>;
  filePath: string;
  lineRange: { start: number; end: number };
  createdAt: Date;
  updatedAt: Date;
}

export interface DeveloperPattern {
  patternId: string;
  patternType: string;
  patternContent: Record<string, any>;
  frequency: number;
  contexts: string[];
  examples: Record<string, any>[];
  confidence: number;
  createdAt: Date;
  lastSeen: Date;
}

export interface FileIntelligence {
  filePath: string;
  fileHash: string;
  semanticConcepts: string[];
  patternsUsed: string[];
  complexityMetrics: Record<string, number>;
  dependencies: string[];
  lastAnalyzed: Date;
  createdAt: Date;
}

export interface AIInsight {
  insightId: string;
  insightType: string;
  insightContent: Record<string, any>;
  confidenceScore: number;
  sourceAgent: string;
  validationStatus: 'pending' | 'validated' | 'rejected';
  impactPrediction: Record<string, any>;
  createdAt: Date;
}

/** `projectPath` is In-Memoria's tenant column; the service scopes by the adapter's project id instead. */
export interface FeatureMap {
  id: string;
  projectPath: string;
  featureName: string;
  primaryFiles: string[];
  relatedFiles: string[];
  dependencies: string[];
  status: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface EntryPoint {
  id: string;
  projectPath: string;
  entryType: string;
  filePath: string;
  description?: string;
  framework?: string;
  createdAt: Date;
}

export interface KeyDirectory {
  id: string;
  projectPath: string;
  directoryPath: string;
  directoryType: string;
  fileCount: number;
  description?: string;
  createdAt: Date;
}

export interface WorkSession {
  id: string;
  projectPath: string;
  sessionStart: Date;
  sessionEnd?: Date;
  lastFeature?: string;
  currentFiles: string[];
  completedTasks: string[];
  pendingTasks: string[];
  blockers: string[];
  sessionNotes?: string;
  lastUpdated: Date;
}

/** The service keys decisions by `decisionKey`; `id` reads back as the key. */
export interface ProjectDecision {
  id: string;
  projectPath: string;
  decisionKey: string;
  decisionValue: string;
  reasoning?: string;
  madeAt: Date;
}

export interface ProjectMetadataInput {
  projectId: string;
  projectPath: string;
  projectName?: string;
  languagePrimary?: string;
  languagesDetected?: string[];
  frameworkDetected?: string[];
  intelligenceVersion?: string;
  lastFullScan?: Date;
}

export interface ProjectMetadata extends Omit<ProjectMetadataInput, 'languagesDetected' | 'frameworkDetected'> {
  languagesDetected: string[];
  frameworkDetected: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface CodeMetadata {
  id: string;
  filePath: string;
  functionName?: string;
  className?: string;
  language: string;
  complexity: number;
  lineCount: number;
  lastModified: Date;
}

export interface SemanticSearchResult {
  id: string;
  code: string;
  metadata: CodeMetadata;
  /** The service's score: higher is more similar (cosine in vector mode, fused rank in hybrid). */
  similarity: number;
}
