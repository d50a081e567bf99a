/**
 * Imports a real In-Memoria SQLite database (`in-memoria.db`) as one project.
 *
 * Whatever its schema version (0.4.x files stop at migration 4 and lack the
 * feature/entry-point/directory/session/decision tables; 0.6.x reach 7), each
 * of the service's entities is read from its In-Memoria table when the file has
 * it. The service's field names are the camelCase of In-Memoria's columns, so
 * the mapping is by name: columns the service does not keep (In-Memoria's own
 * `project_id`, say) are reported, never silently lost.
 *
 * Values: JSON text columns are parsed (text that is not JSON is kept as a JSON
 * string); In-Memoria's `YYYY-MM-DD HH:MM:SS` timestamps are UTC
 * (`datetime('now','utc')`) and become ISO-8601; timestamps are kept, not reset.
 * Every row is written in one transaction: all or nothing.
 */
import Database from 'better-sqlite3';
import { AppError } from '../errors.js';
import { columnName, type EntityDefinition, type FieldDefinition } from '../entities/define.js';
import { entities, projectFields } from '../entities/registry.js';
import type { Item } from '../relational/codec.js';
import type { RelationalWriter } from '../relational/service.js';
import type { Services } from '../services.js';

export interface InMemoriaImportOptions {
  file: string;
  projectId: string;
  /** Embed the concepts into this collection after the rows are written. */
  embedInto?: string;
  onProgress?: (progress: { done: number; phase: string }) => void;
}

export interface TableReport {
  table: string;
  entity: string;
  sourceRows: number;
  imported: number;
  /** Columns of the In-Memoria table the service has no field for. */
  droppedColumns: string[];
}

export interface InMemoriaImportReport {
  file: string;
  projectId: string;
  schemaVersion: number | null;
  tables: TableReport[];
  /** In-Memoria tables the file lacks (older schema versions). */
  missingTables: string[];
  projectMetadata: boolean;
  embedded: number;
}

const BATCH = 1000;
const EMBED_BATCH = 256;
const SQLITE_UTC = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$/;

function toTimestamp(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return new Date(value).toISOString();
  const text = String(value);
  const date = new Date(SQLITE_UTC.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  if (Number.isNaN(date.getTime())) throw new AppError('INVALID_BACKUP', `timestamp ${JSON.stringify(text)} is not a date`);
  return date.toISOString();
}

function toValue(spec: FieldDefinition, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (spec.kind) {
    case 'json':
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
    case 'timestamp':
      return toTimestamp(value);
    case 'integer':
    case 'number':
      return typeof value === 'number' ? value : Number(value);
    case 'string':
      return String(value);
  }
}

function mapRow(fields: Record<string, FieldDefinition>, row: Record<string, unknown>): Item {
  const item: Item = {};
  for (const [field, spec] of Object.entries(fields)) {
    const column = columnName(field);
    if (column in row) {
      const value = toValue(spec, row[column]);
      if (value !== null) item[field] = value;
    }
  }
  return item;
}

export async function importInMemoria(services: Pick<Services, 'relational' | 'vectors'>, options: InMemoriaImportOptions): Promise<InMemoriaImportReport> {
  let source: Database.Database;
  try {
    source = new Database(options.file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new AppError('INVALID_BACKUP', `cannot open In-Memoria database ${options.file}: ${(error as Error).message}`);
  }
  try {
    const tables = new Set((source.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((row) => row.name));
    if (!tables.has('semantic_concepts')) throw new AppError('INVALID_BACKUP', `${options.file} is not an In-Memoria database (no semantic_concepts table)`);
    const schemaVersion = tables.has('migrations')
      ? ((source.prepare('SELECT MAX(version) AS version FROM migrations').get() as { version: number | null }).version ?? null)
      : null;
    const columnsOf = (table: string) => (source.prepare(`PRAGMA table_info("${table}")`).all() as Array<{ name: string }>).map((column) => column.name);

    const report: InMemoriaImportReport = {
      file: options.file,
      projectId: options.projectId,
      schemaVersion,
      tables: [],
      missingTables: [],
      projectMetadata: false,
      embedded: 0,
    };
    const present = entities.filter((entity) => tables.has(entity.table));
    report.missingTables = entities.filter((entity) => !tables.has(entity.table)).map((entity) => entity.table);

    await services.relational.transaction(async (tx) => {
      // Metadata first: a project row made by ensureProject would keep the import's time as createdAt.
      if (tables.has('project_metadata')) {
        const rows = source.prepare('SELECT * FROM project_metadata ORDER BY project_id').all() as Array<Record<string, unknown>>;
        // One In-Memoria file is one project: its row, or the one named like the target project when there are several.
        const row = rows.find((candidate) => candidate.project_id === options.projectId) ?? rows[0];
        if (row) {
          await tx.putProject(options.projectId, mapRow(projectFields, row));
          report.projectMetadata = true;
        }
      }
      await tx.ensureProject(options.projectId);
      for (const entity of present) report.tables.push(await copyTable(tx, entity));
    });

    async function copyTable(tx: RelationalWriter, entity: EntityDefinition): Promise<TableReport> {
      const known = new Set(Object.keys(entity.fields).map(columnName));
      const droppedColumns = columnsOf(entity.table).filter((column) => !known.has(column));
      const sourceRows = (source.prepare(`SELECT COUNT(*) AS count FROM "${entity.table}"`).get() as { count: number }).count;
      let imported = 0;
      let batch: Item[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        imported += await tx.batch(entity.name, options.projectId, batch, { keepTimestamps: true });
        batch = [];
        options.onProgress?.({ done: imported, phase: entity.table });
      };
      for (const row of source.prepare(`SELECT * FROM "${entity.table}"`).iterate() as Iterable<Record<string, unknown>>) {
        const item = mapRow(entity.fields, row);
        if (typeof item[entity.key] !== 'string' || item[entity.key] === '') {
          throw new AppError('INVALID_BACKUP', `a row of ${entity.table} has no ${columnName(entity.key)}; nothing was imported`);
        }
        batch.push(item);
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      return { table: entity.table, entity: entity.name, sourceRows, imported, droppedColumns };
    }

    if (options.embedInto) {
      const collection = options.embedInto;
      let batch: Array<{ id: string; content: string; metadata: Record<string, string | number> }> = [];
      const flush = async () => {
        if (batch.length === 0) return;
        report.embedded += await services.vectors.upsert(options.projectId, collection, batch);
        batch = [];
        options.onProgress?.({ done: report.embedded, phase: `embedding into ${collection}` });
      };
      for (const row of source.prepare('SELECT * FROM semantic_concepts').iterate() as Iterable<Record<string, unknown>>) {
        const id = String(row.id);
        const name = String(row.concept_name ?? '');
        const type = String(row.concept_type ?? '');
        const filePath = row.file_path == null ? '' : String(row.file_path);
        const metadata: Record<string, string | number> = { conceptName: name, conceptType: type, filePath };
        const range = toValue({ kind: 'json' } as FieldDefinition, row.line_range) as { start?: unknown; end?: unknown } | null;
        if (range && typeof range.start === 'number') metadata.lineStart = range.start;
        if (range && typeof range.end === 'number') metadata.lineEnd = range.end;
        batch.push({ id, content: `${type} ${name} in ${filePath}`.trim(), metadata });
        if (batch.length >= EMBED_BATCH) await flush();
      }
      await flush();
    }
    return report;
  } finally {
    source.close();
  }
}
