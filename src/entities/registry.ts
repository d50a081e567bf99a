/**
 * Every relational entity of DESIGN.md section 3, from In-Memoria's schema v7.
 * JSON names are the camelCase of In-Memoria's snake_case columns, so a row
 * moves between In-Memoria and this service without renaming. The project
 * column (`project_id`) is not a field: it comes from the URL.
 */
import { defineEntity, MAX_KEY_LENGTH, type EntityDefinition, type FieldDefinition } from './define.js';

// `as const` keeps the literal kinds, so the schemas (and the client's types) know each field's type.
// Only keys are bounded (MAX_KEY_LENGTH, and MAX_KEY_BYTES on write): every index holds them whole. Any
// other string takes any length a body can carry, as In-Memoria's TEXT columns do; PostgreSQL indexes
// a prefix of those it indexes (migration 3).
const key = { kind: 'string', required: true, maxLength: MAX_KEY_LENGTH } as const satisfies FieldDefinition;
const name = { kind: 'string', required: true } as const satisfies FieldDefinition;
const text = { kind: 'string' } as const satisfies FieldDefinition;
const json = { kind: 'json' } as const satisfies FieldDefinition;
const timestamp = { kind: 'timestamp' } as const satisfies FieldDefinition;
const confidence = { kind: 'number', default: 0 } as const satisfies FieldDefinition;

export const concepts = defineEntity({
  name: 'concepts',
  title: 'Semantic concepts',
  table: 'semantic_concepts',
  key: 'id',
  fields: {
    id: key,
    conceptName: name,
    conceptType: name,
    confidenceScore: confidence,
    relationships: json,
    evolutionHistory: json,
    filePath: { kind: 'string' },
    lineRange: json,
    createdAt: timestamp,
    updatedAt: timestamp,
  },
  filters: ['conceptType', 'filePath', 'conceptName'],
  searchField: 'conceptName',
  sortable: ['id', 'conceptName', 'conceptType', 'confidenceScore', 'createdAt', 'updatedAt'],
  defaultSort: ['conceptName'],
  groupBy: ['conceptType'],
  timestamps: { created: 'createdAt', touched: 'updatedAt' },
  confidenceField: 'confidenceScore',
});

export const patterns = defineEntity({
  name: 'patterns',
  title: 'Developer patterns',
  table: 'developer_patterns',
  key: 'patternId',
  fields: {
    patternId: key,
    patternType: name,
    patternContent: { kind: 'json', required: true },
    frequency: { kind: 'integer', default: 1 },
    contexts: json,
    examples: json,
    confidence,
    createdAt: timestamp,
    lastSeen: timestamp,
  },
  filters: ['patternType'],
  searchField: 'patternType',
  sortable: ['patternId', 'patternType', 'frequency', 'confidence', 'createdAt', 'lastSeen'],
  // In-Memoria's getDeveloperPatterns: most frequent first, then most confident.
  defaultSort: ['-frequency', '-confidence'],
  groupBy: ['patternType'],
  timestamps: { created: 'createdAt', touched: 'lastSeen' },
  confidenceField: 'confidence',
});

export const files = defineEntity({
  name: 'files',
  title: 'File intelligence',
  table: 'file_intelligence',
  key: 'filePath',
  fields: {
    filePath: key,
    fileHash: name,
    semanticConcepts: json,
    patternsUsed: json,
    complexityMetrics: json,
    dependencies: json,
    lastAnalyzed: timestamp,
    createdAt: timestamp,
  },
  filters: ['fileHash'],
  searchField: 'filePath',
  sortable: ['filePath', 'lastAnalyzed', 'createdAt'],
  defaultSort: ['filePath'],
  groupBy: [],
  timestamps: { created: 'createdAt', touched: 'lastAnalyzed' },
});

export const insights = defineEntity({
  name: 'insights',
  title: 'AI insights',
  table: 'ai_insights',
  key: 'insightId',
  fields: {
    insightId: key,
    insightType: name,
    insightContent: { kind: 'json', required: true },
    confidenceScore: confidence,
    sourceAgent: { kind: 'string' },
    validationStatus: { kind: 'string', default: 'pending' },
    impactPrediction: json,
    createdAt: timestamp,
  },
  filters: ['insightType', 'sourceAgent', 'validationStatus'],
  searchField: 'insightType',
  sortable: ['insightId', 'insightType', 'confidenceScore', 'validationStatus', 'createdAt'],
  defaultSort: ['-createdAt'],
  groupBy: ['insightType', 'validationStatus', 'sourceAgent'],
  timestamps: { created: 'createdAt' },
  confidenceField: 'confidenceScore',
});

export const features = defineEntity({
  name: 'features',
  title: 'Feature map',
  table: 'feature_map',
  key: 'id',
  fields: {
    id: key,
    featureName: name,
    primaryFiles: { kind: 'json', required: true },
    relatedFiles: json,
    dependencies: json,
    status: { kind: 'string', default: 'active' },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
  filters: ['status', 'featureName'],
  searchField: 'featureName',
  sortable: ['id', 'featureName', 'status', 'createdAt', 'updatedAt'],
  // In-Memoria lists features by name.
  defaultSort: ['featureName'],
  groupBy: ['status'],
  timestamps: { created: 'createdAt', touched: 'updatedAt' },
});

export const entryPoints = defineEntity({
  name: 'entry-points',
  title: 'Entry points',
  table: 'entry_points',
  key: 'id',
  fields: {
    id: key,
    entryType: name,
    filePath: { kind: 'string', required: true },
    description: text,
    framework: { kind: 'string' },
    createdAt: timestamp,
  },
  filters: ['entryType', 'filePath', 'framework'],
  searchField: 'filePath',
  sortable: ['id', 'entryType', 'filePath', 'createdAt'],
  defaultSort: ['entryType', 'filePath'],
  groupBy: ['entryType', 'framework'],
  timestamps: { created: 'createdAt' },
});

export const keyDirectories = defineEntity({
  name: 'key-directories',
  title: 'Key directories',
  table: 'key_directories',
  key: 'id',
  fields: {
    id: key,
    directoryPath: { kind: 'string', required: true },
    directoryType: name,
    fileCount: { kind: 'integer', default: 0 },
    description: text,
    createdAt: timestamp,
  },
  filters: ['directoryType', 'directoryPath'],
  searchField: 'directoryPath',
  sortable: ['id', 'directoryPath', 'directoryType', 'fileCount', 'createdAt'],
  defaultSort: ['directoryPath'],
  groupBy: ['directoryType'],
  timestamps: { created: 'createdAt' },
});

export const workSessions = defineEntity({
  name: 'work-sessions',
  title: 'Work sessions',
  table: 'work_sessions',
  key: 'id',
  fields: {
    id: key,
    sessionStart: timestamp,
    sessionEnd: timestamp,
    lastFeature: { kind: 'string' },
    currentFiles: json,
    completedTasks: json,
    pendingTasks: json,
    blockers: json,
    sessionNotes: text,
    lastUpdated: timestamp,
  },
  filters: ['lastFeature'],
  searchField: 'sessionNotes',
  sortable: ['id', 'sessionStart', 'lastUpdated'],
  defaultSort: ['-sessionStart'],
  groupBy: ['lastFeature'],
  // sessionStart defaults to the time of creation, like In-Memoria's column default.
  timestamps: { created: 'sessionStart', touched: 'lastUpdated' },
});

export const decisions = defineEntity({
  name: 'decisions',
  title: 'Project decisions',
  table: 'project_decisions',
  key: 'decisionKey',
  fields: {
    decisionKey: key,
    decisionValue: { kind: 'json', required: true },
    reasoning: text,
    madeAt: timestamp,
  },
  filters: [],
  searchField: 'decisionKey',
  sortable: ['decisionKey', 'madeAt'],
  defaultSort: ['-madeAt'],
  groupBy: [],
  // Upserting a decision by key replaces it, and it is made again now.
  timestamps: { touched: 'madeAt' },
});

export const architectureDecisions = defineEntity({
  name: 'architecture-decisions',
  title: 'Architectural decisions',
  table: 'architectural_decisions',
  key: 'decisionId',
  fields: {
    decisionId: key,
    decisionContext: { kind: 'string', required: true },
    decisionRationale: text,
    alternativesConsidered: json,
    impactAnalysis: json,
    decisionDate: { kind: 'timestamp', defaultNow: true },
    filesAffected: json,
    createdAt: timestamp,
  },
  filters: [],
  searchField: 'decisionContext',
  sortable: ['decisionId', 'decisionDate', 'createdAt'],
  defaultSort: ['-decisionDate'],
  groupBy: [],
  timestamps: { created: 'createdAt' },
});

export const sharedPatterns = defineEntity({
  name: 'shared-patterns',
  title: 'Shared patterns',
  table: 'shared_patterns',
  key: 'patternId',
  fields: {
    patternId: key,
    patternName: name,
    patternDescription: text,
    patternData: json,
    usageCount: { kind: 'integer', default: 0 },
    communityRating: { kind: 'number', default: 0 },
    tags: json,
    createdAt: timestamp,
  },
  filters: ['patternName'],
  searchField: 'patternName',
  sortable: ['patternId', 'patternName', 'usageCount', 'communityRating', 'createdAt'],
  defaultSort: ['-usageCount', 'patternName'],
  groupBy: [],
  timestamps: { created: 'createdAt' },
});

export const entities: readonly EntityDefinition[] = [
  concepts,
  patterns,
  files,
  insights,
  features,
  entryPoints,
  keyDirectories,
  workSessions,
  decisions,
  architectureDecisions,
  sharedPatterns,
];

export const entitiesByName = new Map(entities.map((entity) => [entity.name, entity]));

/** The entities `PUT /v1/projects/{projectId}/intelligence` replaces, by body field. */
export const learnedEntities = {
  concepts,
  patterns,
  files,
  features,
  entryPoints,
  keyDirectories,
} as const;

/** The project itself (In-Memoria's project_metadata): one row per project, keyed by projectId. */
export const projectFieldDefinitions = {
  projectPath: { kind: 'string' },
  projectName: { kind: 'string' },
  languagePrimary: { kind: 'string' },
  languagesDetected: json,
  frameworkDetected: json,
  intelligenceVersion: { kind: 'string' },
  lastFullScan: timestamp,
  createdAt: timestamp,
  updatedAt: timestamp,
} as const satisfies Record<string, FieldDefinition>;
export const projectFields: Record<string, FieldDefinition> = projectFieldDefinitions;
