/**
 * Versioned schema migrations. Each migration is frozen history: a later
 * schema change is a new entry with its own statements, never an edit here.
 * Column types come from the dialect so one text serves SQLite and PostgreSQL.
 * Every table of project data is keyed by (project_id, key) and every index
 * leads with project_id: no query ever crosses projects. The service's own
 * tables (ingest jobs, migration 4) are keyed by their ids; the routes check
 * a job's project against the caller's key.
 */
import type { Dialect } from './port.js';

export interface Migration {
  version: number;
  name: string;
  statements(dialect: Dialect): string[];
  /** Statements only one database runs, after the shared ones (indexes only it has, say). */
  dialectStatements?: Partial<Record<Dialect['name'], string[]>>;
}

/** Each entity's name-search column (registry `searchField`), frozen here as migration 2 saw them. */
const nameSearchColumns: ReadonlyArray<[table: string, column: string]> = [
  ['semantic_concepts', 'concept_name'],
  ['developer_patterns', 'pattern_type'],
  ['file_intelligence', 'file_path'],
  ['ai_insights', 'insight_type'],
  ['feature_map', 'feature_name'],
  ['entry_points', 'file_path'],
  ['key_directories', 'directory_path'],
  ['work_sessions', 'session_notes'],
  ['project_decisions', 'decision_key'],
  ['architectural_decisions', 'decision_context'],
  ['shared_patterns', 'pattern_name'],
];

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial_schema',
    statements: ({ types: t }) => [
      `CREATE TABLE projects (
        project_id ${t.string} NOT NULL PRIMARY KEY,
        project_path ${t.string},
        project_name ${t.string},
        language_primary ${t.string},
        languages_detected ${t.json},
        framework_detected ${t.json},
        intelligence_version ${t.string},
        last_full_scan ${t.timestamp},
        created_at ${t.timestamp} NOT NULL,
        updated_at ${t.timestamp} NOT NULL
      )`,
      `CREATE TABLE semantic_concepts (
        project_id ${t.string} NOT NULL,
        id ${t.string} NOT NULL,
        concept_name ${t.string} NOT NULL,
        concept_type ${t.string} NOT NULL,
        confidence_score ${t.number} NOT NULL,
        relationships ${t.json},
        evolution_history ${t.json},
        file_path ${t.string},
        line_range ${t.json},
        created_at ${t.timestamp} NOT NULL,
        updated_at ${t.timestamp} NOT NULL,
        PRIMARY KEY (project_id, id)
      )`,
      `CREATE INDEX idx_semantic_concepts_type ON semantic_concepts (project_id, concept_type, concept_name, id)`,
      `CREATE INDEX idx_semantic_concepts_file ON semantic_concepts (project_id, file_path, concept_name, id)`,
      `CREATE INDEX idx_semantic_concepts_name ON semantic_concepts (project_id, concept_name, id)`,
      `CREATE TABLE developer_patterns (
        project_id ${t.string} NOT NULL,
        pattern_id ${t.string} NOT NULL,
        pattern_type ${t.string} NOT NULL,
        pattern_content ${t.json} NOT NULL,
        frequency ${t.integer} NOT NULL,
        contexts ${t.json},
        examples ${t.json},
        confidence ${t.number} NOT NULL,
        created_at ${t.timestamp} NOT NULL,
        last_seen ${t.timestamp} NOT NULL,
        PRIMARY KEY (project_id, pattern_id)
      )`,
      `CREATE INDEX idx_developer_patterns_type ON developer_patterns (project_id, pattern_type)`,
      `CREATE INDEX idx_developer_patterns_rank ON developer_patterns (project_id, frequency DESC, confidence DESC, pattern_id)`,
      `CREATE TABLE file_intelligence (
        project_id ${t.string} NOT NULL,
        file_path ${t.string} NOT NULL,
        file_hash ${t.string} NOT NULL,
        semantic_concepts ${t.json},
        patterns_used ${t.json},
        complexity_metrics ${t.json},
        dependencies ${t.json},
        last_analyzed ${t.timestamp} NOT NULL,
        created_at ${t.timestamp} NOT NULL,
        PRIMARY KEY (project_id, file_path)
      )`,
      `CREATE INDEX idx_file_intelligence_analyzed ON file_intelligence (project_id, last_analyzed)`,
      `CREATE INDEX idx_file_intelligence_hash ON file_intelligence (project_id, file_hash)`,
      `CREATE TABLE ai_insights (
        project_id ${t.string} NOT NULL,
        insight_id ${t.string} NOT NULL,
        insight_type ${t.string} NOT NULL,
        insight_content ${t.json} NOT NULL,
        confidence_score ${t.number} NOT NULL,
        source_agent ${t.string},
        validation_status ${t.string} NOT NULL,
        impact_prediction ${t.json},
        created_at ${t.timestamp} NOT NULL,
        PRIMARY KEY (project_id, insight_id)
      )`,
      `CREATE INDEX idx_ai_insights_type ON ai_insights (project_id, insight_type)`,
      `CREATE INDEX idx_ai_insights_created ON ai_insights (project_id, created_at)`,
      `CREATE TABLE feature_map (
        project_id ${t.string} NOT NULL,
        id ${t.string} NOT NULL,
        feature_name ${t.string} NOT NULL,
        primary_files ${t.json} NOT NULL,
        related_files ${t.json},
        dependencies ${t.json},
        status ${t.string} NOT NULL,
        created_at ${t.timestamp} NOT NULL,
        updated_at ${t.timestamp} NOT NULL,
        PRIMARY KEY (project_id, id)
      )`,
      `CREATE INDEX idx_feature_map_status_name ON feature_map (project_id, status, feature_name, id)`,
      `CREATE INDEX idx_feature_map_name ON feature_map (project_id, feature_name, id)`,
      `CREATE TABLE entry_points (
        project_id ${t.string} NOT NULL,
        id ${t.string} NOT NULL,
        entry_type ${t.string} NOT NULL,
        file_path ${t.string} NOT NULL,
        description ${t.string},
        framework ${t.string},
        created_at ${t.timestamp} NOT NULL,
        PRIMARY KEY (project_id, id)
      )`,
      `CREATE INDEX idx_entry_points_type ON entry_points (project_id, entry_type, file_path)`,
      `CREATE TABLE key_directories (
        project_id ${t.string} NOT NULL,
        id ${t.string} NOT NULL,
        directory_path ${t.string} NOT NULL,
        directory_type ${t.string} NOT NULL,
        file_count ${t.integer} NOT NULL,
        description ${t.string},
        created_at ${t.timestamp} NOT NULL,
        PRIMARY KEY (project_id, id)
      )`,
      `CREATE INDEX idx_key_directories_path ON key_directories (project_id, directory_path, id)`,
      `CREATE TABLE work_sessions (
        project_id ${t.string} NOT NULL,
        id ${t.string} NOT NULL,
        session_start ${t.timestamp} NOT NULL,
        session_end ${t.timestamp},
        last_feature ${t.string},
        current_files ${t.json},
        completed_tasks ${t.json},
        pending_tasks ${t.json},
        blockers ${t.json},
        session_notes ${t.string},
        last_updated ${t.timestamp} NOT NULL,
        PRIMARY KEY (project_id, id)
      )`,
      `CREATE INDEX idx_work_sessions_start ON work_sessions (project_id, session_start DESC, id)`,
      `CREATE TABLE project_decisions (
        project_id ${t.string} NOT NULL,
        decision_key ${t.string} NOT NULL,
        decision_value ${t.json} NOT NULL,
        reasoning ${t.string},
        made_at ${t.timestamp} NOT NULL,
        PRIMARY KEY (project_id, decision_key)
      )`,
      `CREATE TABLE architectural_decisions (
        project_id ${t.string} NOT NULL,
        decision_id ${t.string} NOT NULL,
        decision_context ${t.string} NOT NULL,
        decision_rationale ${t.string},
        alternatives_considered ${t.json},
        impact_analysis ${t.json},
        decision_date ${t.timestamp} NOT NULL,
        files_affected ${t.json},
        created_at ${t.timestamp} NOT NULL,
        PRIMARY KEY (project_id, decision_id)
      )`,
      `CREATE TABLE shared_patterns (
        project_id ${t.string} NOT NULL,
        pattern_id ${t.string} NOT NULL,
        pattern_name ${t.string} NOT NULL,
        pattern_description ${t.string},
        pattern_data ${t.json},
        usage_count ${t.integer} NOT NULL,
        community_rating ${t.number} NOT NULL,
        tags ${t.json},
        created_at ${t.timestamp} NOT NULL,
        PRIMARY KEY (project_id, pattern_id)
      )`,
    ],
  },
  {
    version: 2,
    name: 'name_search_indexes',
    // SQLite scans a project's rows for `q`; PostgreSQL gets trigram indexes on the folded name so a substring
    // search stays an index lookup at 100,000 rows. The expression is the one postgresDialect.containsInsensitive compares.
    statements: () => [],
    dialectStatements: {
      postgres: [
        'CREATE EXTENSION IF NOT EXISTS pg_trgm',
        ...nameSearchColumns.map(
          ([table, column]) => `CREATE INDEX idx_${table}_${column}_trgm ON ${table} USING gin (lower(${column} COLLATE "und-x-icu") gin_trgm_ops)`,
        ),
      ],
    },
  },
  {
    version: 3,
    name: 'long_strings',
    // Strings other than keys take any length (In-Memoria's columns are TEXT). A PostgreSQL btree entry holds
    // at most 2,704 bytes, so its indexes on such columns hold a 128-character prefix (the expression
    // postgresDialect.indexedPrefix writes); SQLite's indexes hold any length and stay as they are.
    statements: () => [],
    dialectStatements: {
      postgres: [
        ...[
          'idx_semantic_concepts_type',
          'idx_semantic_concepts_file',
          'idx_semantic_concepts_name',
          'idx_developer_patterns_type',
          'idx_file_intelligence_hash',
          'idx_ai_insights_type',
          'idx_feature_map_status_name',
          'idx_feature_map_name',
          'idx_entry_points_type',
          'idx_key_directories_path',
        ].map((index) => `DROP INDEX IF EXISTS ${index}`),
        `CREATE INDEX idx_semantic_concepts_type ON semantic_concepts (project_id, left(concept_type, 128), left(concept_name, 128), id)`,
        `CREATE INDEX idx_semantic_concepts_file ON semantic_concepts (project_id, left(file_path, 128), left(concept_name, 128), id)`,
        `CREATE INDEX idx_semantic_concepts_name ON semantic_concepts (project_id, left(concept_name, 128), id)`,
        `CREATE INDEX idx_developer_patterns_type ON developer_patterns (project_id, left(pattern_type, 128))`,
        `CREATE INDEX idx_file_intelligence_hash ON file_intelligence (project_id, left(file_hash, 128))`,
        `CREATE INDEX idx_ai_insights_type ON ai_insights (project_id, left(insight_type, 128))`,
        `CREATE INDEX idx_feature_map_status_name ON feature_map (project_id, left(status, 128), left(feature_name, 128), id)`,
        `CREATE INDEX idx_feature_map_name ON feature_map (project_id, left(feature_name, 128), id)`,
        `CREATE INDEX idx_entry_points_type ON entry_points (project_id, left(entry_type, 128), left(file_path, 128))`,
        `CREATE INDEX idx_key_directories_path ON key_directories (project_id, left(directory_path, 128), id)`,
      ],
    },
  },
  {
    version: 4,
    name: 'ingest_jobs',
    // Ingest jobs outlive the replica that accepted them (src/vectors/job-store.ts): the job's report, who holds it
    // (a lease that runs out, so another replica or a restart takes the rest over), and its items until it finishes.
    statements: ({ types: t }) => [
      `CREATE TABLE ingest_jobs (
        job_id ${t.string} NOT NULL PRIMARY KEY,
        project_id ${t.string} NOT NULL,
        collection ${t.string} NOT NULL,
        owner ${t.string} NOT NULL,
        status ${t.string} NOT NULL,
        total ${t.integer} NOT NULL,
        processed ${t.integer} NOT NULL,
        failed ${t.integer} NOT NULL,
        errors ${t.json} NOT NULL,
        eta_seconds ${t.number},
        created_at ${t.string} NOT NULL,
        finished_at ${t.string},
        lease_holder ${t.string},
        lease_until ${t.number} NOT NULL
      )`,
      'CREATE INDEX idx_ingest_jobs_lease ON ingest_jobs (status, lease_until)',
      // finished_at is an ISO-8601 UTC string of fixed width: its order as text is its order in time.
      'CREATE INDEX idx_ingest_jobs_finished ON ingest_jobs (finished_at)',
      `CREATE TABLE ingest_job_batches (
        job_id ${t.string} NOT NULL,
        batch ${t.integer} NOT NULL,
        items ${t.json} NOT NULL,
        PRIMARY KEY (job_id, batch)
      )`,
    ],
  },
];

export const latestSchemaVersion = migrations[migrations.length - 1]!.version;

/** The table that records applied migrations. */
export const migrationsTable = 'schema_migrations';
