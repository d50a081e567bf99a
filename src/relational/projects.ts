/**
 * The project rows (In-Memoria's project_metadata). A project exists once it
 * has metadata or any data: writing an entity creates its project row.
 */
import { columnName } from '../entities/define.js';
import { PROJECT_ID_PATTERN } from '../entities/project-id.js';
import { projectFields } from '../entities/registry.js';
import { decodeRow, encodeValue, placeholder, type Item } from './codec.js';
import { quoteIdent, type SqlClient, type SqlValue } from './port.js';
import { decodeCursor, encodeCursor, isObject } from '../cursor.js';

const table = quoteIdent('projects');
const PROJECT = quoteIdent('project_id');
const fieldNames = Object.keys(projectFields);
const selectList = [PROJECT, ...fieldNames.map((field) => quoteIdent(columnName(field)))].join(', ');

export type ProjectItem = Item & { projectId: string };

export type ProjectPage = {
  items: ProjectItem[];
  nextCursor: string | null;
};

function decodeProject(row: Record<string, unknown>): ProjectItem {
  return { projectId: String(row.project_id), ...decodeRow(projectFields, row) };
}

export async function ensureProject(db: SqlClient, projectId: string): Promise<void> {
  const now = new Date().toISOString();
  const d = db.dialect;
  await db.run(
    `INSERT INTO ${table} (${PROJECT}, created_at, updated_at) VALUES (?, ${d.timestampParameter}, ${d.timestampParameter}) ON CONFLICT (${PROJECT}) DO NOTHING`,
    [projectId, d.encodeTimestamp(now), d.encodeTimestamp(now)],
  );
}

export async function getProject(db: SqlClient, projectId: string): Promise<ProjectItem | null> {
  const [row] = await db.query(`SELECT ${selectList} FROM ${table} WHERE ${PROJECT} = ?`, [projectId]);
  return row ? decodeProject(row) : null;
}

/** Replaces the project's metadata; `createdAt` is kept once set, `updatedAt` is now unless given. */
export async function putProject(db: SqlClient, projectId: string, metadata: Item): Promise<ProjectItem> {
  const now = new Date().toISOString();
  const d = db.dialect;
  const values: SqlValue[] = [projectId];
  for (const field of fieldNames) {
    let value = metadata[field];
    if ((value === undefined || value === null) && (field === 'createdAt' || field === 'updatedAt')) value = now;
    values.push(encodeValue(d, projectFields[field]!, field, value));
  }
  const updates = fieldNames.filter((field) => field !== 'createdAt').map((field) => quoteIdent(columnName(field)));
  const [row] = await db.query(
    `INSERT INTO ${table} (${selectList}) VALUES (?, ${fieldNames.map((field) => placeholder(d, projectFields[field]!)).join(', ')})
     ON CONFLICT (${PROJECT}) DO UPDATE SET ${updates.map((c) => `${c} = excluded.${c}`).join(', ')} RETURNING ${selectList}`,
    values,
  );
  return decodeProject(row!);
}

export async function listProjects(db: SqlClient, limit: number, cursor?: string, only?: readonly string[]): Promise<ProjectPage> {
  const clauses: string[] = [];
  const params: SqlValue[] = [];
  if (cursor !== undefined) {
    const { after } = decodeCursor(
      cursor,
      (value): value is { after: string } => isObject(value) && typeof value.after === 'string' && PROJECT_ID_PATTERN.test(value.after),
    );
    clauses.push(`${PROJECT} > ?`);
    params.push(after);
  }
  if (only) {
    if (only.length === 0) return { items: [], nextCursor: null };
    clauses.push(`${PROJECT} IN (${only.map(() => '?').join(', ')})`);
    params.push(...only);
  }
  const whereSql = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
  const rows = await db.query(`SELECT ${selectList} FROM ${table} ${whereSql} ORDER BY ${PROJECT} LIMIT ?`, [...params, limit + 1]);
  const items = rows.slice(0, limit).map(decodeProject);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor({ after: last.projectId }) : null };
}

export async function removeProjectRow(db: SqlClient, projectId: string): Promise<boolean> {
  return (await db.run(`DELETE FROM ${table} WHERE ${PROJECT} = ?`, [projectId])) > 0;
}
