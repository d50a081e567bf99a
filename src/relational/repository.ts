/**
 * CRUD for every entity, written once over `SqlClient`. The SQL text is built
 * from the entity registry (identifiers quoted in one place) and every value is
 * bound. Dialects differ only in what `Dialect` describes.
 */
import type { Static } from 'typebox';
import { decodeCursor, encodeCursor, isObject } from '../cursor.js';
import { AppError } from '../errors.js';
import type { CountSchema } from '../schemas/entities.js';
import type { EntityStatsSchema } from '../schemas/projects.js';
import { columnName, MAX_KEY_BYTES, type EntityDefinition, type FieldDefinition } from '../entities/define.js';
import { decodeRow, decodeValue, encodeValue, placeholder, rejectNul, toIsoTimestamp, type Item } from './codec.js';
import { AD_HOC_MARK, quoteIdent, type Dialect, type SqlClient, type SqlValue } from './port.js';

export interface ListQuery {
  filters?: Record<string, string | number>;
  q?: string;
  sort?: string;
  limit: number;
  cursor?: string;
}

export type Page = {
  items: Item[];
  nextCursor: string | null;
};

export type CountResult = Static<typeof CountSchema>;

interface SortTerm {
  field: string;
  descending: boolean;
}

const PROJECT = quoteIdent('project_id');
/** Fields one `sort` may name (each once). */
export const MAX_SORT_TERMS = 3;

export interface EntityRepository {
  readonly entity: EntityDefinition;
  list(db: SqlClient, projectId: string, query: ListQuery): Promise<Page>;
  count(db: SqlClient, projectId: string, query: { filters?: Record<string, string | number>; q?: string; groupBy?: string }): Promise<CountResult>;
  get(db: SqlClient, projectId: string, key: string): Promise<Item | null>;
  /** Inserts or replaces the rows (deduplicated by key, last wins); returns how many were written. */
  upsertMany(db: SqlClient, projectId: string, items: Item[], options?: WriteOptions): Promise<number>;
  upsert(db: SqlClient, projectId: string, item: Item, options?: WriteOptions): Promise<Item>;
  remove(db: SqlClient, projectId: string, key: string): Promise<boolean>;
  removeAll(db: SqlClient, projectId: string): Promise<number>;
  stats(db: SqlClient, projectId: string): Promise<EntityStats>;
}

export interface WriteOptions {
  /** Keep the `touched` timestamp the item carries (imports and migrations); the API always sets it to now. */
  keepTimestamps?: boolean;
}

export type EntityStats = Static<typeof EntityStatsSchema>;

/** Characters of sort values a cursor carries; longer ones make it carry the row's key instead. */
const CURSOR_VALUES_LENGTH = 512;

export function createEntityRepository(entity: EntityDefinition, dialect: Dialect): EntityRepository {
  const table = quoteIdent(entity.table);
  const fieldNames = Object.keys(entity.fields);
  const column = (field: string) => quoteIdent(columnName(field));
  const keyColumn = column(entity.key);
  const selectList = fieldNames.map(column).join(', ');
  const insertColumns = [PROJECT, ...fieldNames.map(column)].join(', ');
  const rowPlaceholders = `(?, ${fieldNames.map((field) => placeholder(dialect, entity.fields[field]!)).join(', ')})`;
  const updatable = fieldNames.filter((field) => field !== entity.key && field !== entity.timestamps.created);
  const onConflict =
    `ON CONFLICT (${PROJECT}, ${keyColumn}) DO ` +
    (updatable.length ? `UPDATE SET ${updatable.map((field) => `${column(field)} = excluded.${column(field)}`).join(', ')}` : 'NOTHING');
  const rowsPerStatement = Math.max(1, Math.floor(dialect.maxParameters / (fieldNames.length + 1)));
  const arrayParameter = dialect.arrayParameter;
  const unnestRows =
    arrayParameter && `unnest(${['string' as const, ...fieldNames.map((field) => entity.fields[field]!.kind)].map((kind) => arrayParameter(kind)).join(', ')})`;
  const { created, touched } = entity.timestamps;
  /** A non-key string the database indexes by prefix (dialect.indexedPrefix): compared on the prefix first, then whole. */
  const prefixed = (field: string) => dialect.indexedPrefix !== undefined && field !== entity.key && entity.fields[field]!.kind === 'string';
  const orderBy = (terms: SortTerm[]) =>
    terms
      .flatMap((term) =>
        (prefixed(term.field) ? [dialect.indexedPrefix!(column(term.field)), column(term.field)] : [column(term.field)]).map(
          (expression) => `${expression} ${term.descending ? 'DESC' : 'ASC'}`,
        ),
      )
      .join(', ');

  /** The row's bound values, with defaults and service-set timestamps filled in. */
  function rowValues(projectId: string, item: Item, now: string, options: WriteOptions): SqlValue[] {
    const key = item[entity.key];
    if (typeof key === 'string' && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${entity.key} is ${Buffer.byteLength(key, 'utf8')} bytes in UTF-8; a key is at most ${MAX_KEY_BYTES} (every index holds it whole)`,
      );
    }
    const values: SqlValue[] = [projectId];
    const stamp = dialect.encodeTimestamp(now);
    for (const field of fieldNames) {
      const spec = entity.fields[field]!;
      const value = item[field];
      const absent = value === undefined || value === null;
      // `now` is already normalised: bind it directly (re-parsing it per row showed in bulk-upsert profiles).
      if (
        (field === touched && !options.keepTimestamps) ||
        (absent && spec.default === undefined && (spec.defaultNow || field === created || field === touched))
      ) {
        values.push(stamp);
      } else values.push(encodeValue(dialect, spec, field, absent ? spec.default : value));
    }
    return values;
  }

  function where(projectId: string, filters: Record<string, string | number> = {}, q?: string): { sql: string; params: SqlValue[] } {
    const clauses = [`${PROJECT} = ?`];
    const params: SqlValue[] = [projectId];
    for (const [field, value] of Object.entries(filters)) {
      if (!entity.filters.includes(field)) throw new AppError('UNKNOWN_FILTER_FIELD', `${entity.name} cannot be filtered by ${field}`);
      rejectNul(value, field);
      if (prefixed(field)) {
        clauses.push(`${dialect.indexedPrefix!(column(field))} = ${dialect.indexedPrefix!('?')}`);
        params.push(value);
      }
      clauses.push(`${column(field)} = ?`);
      params.push(value);
    }
    if (q !== undefined && q !== '') {
      if (!entity.searchField) throw new AppError('UNKNOWN_FILTER_FIELD', `${entity.name} has no searchable name`);
      rejectNul(q, 'q');
      clauses.push(dialect.containsInsensitive(column(entity.searchField)));
      params.push(q.toLowerCase());
    }
    return { sql: clauses.join(' AND '), params };
  }

  function parseSort(sort: string | undefined): SortTerm[] {
    const spec = sort === undefined || sort === '' ? entity.defaultSort : sort.split(',');
    // Every distinct order is a distinct statement, prepared and kept: a bounded set of orders keeps that memory bounded.
    if (spec.length > MAX_SORT_TERMS) throw new AppError('INVALID_SORT', `sort takes at most ${MAX_SORT_TERMS} fields, got ${spec.length}`);
    const seen = new Set<string>();
    const terms = spec.map((raw) => {
      const descending = raw.startsWith('-');
      const field = descending ? raw.slice(1) : raw;
      if (!entity.sortable.includes(field)) {
        throw new AppError('UNKNOWN_SORT_FIELD', `${entity.name} cannot be sorted by ${JSON.stringify(field)}; allowed: ${entity.sortable.join(', ')}`);
      }
      if (seen.has(field)) throw new AppError('INVALID_SORT', `sort names ${JSON.stringify(field)} twice`);
      seen.add(field);
      return { field, descending };
    });
    // The key makes the order total, so keyset paging never skips or repeats a row.
    if (!terms.some((term) => term.field === entity.key)) terms.push({ field: entity.key, descending: false });
    return terms;
  }

  /** The order a cursor belongs to, as `sort` names it: a cursor of another order is refused. */
  const orderOf = (terms: SortTerm[]) => terms.map((term) => (term.descending ? '-' : '') + term.field).join(',');

  /**
   * The last row's sort values, or only its key when those are long (a string field can hold any length,
   * and a cursor travels in a URL): the next page then reads the values from that row.
   */
  function cursorAfter(terms: SortTerm[], item: Item): string {
    const values = terms.map((term) => item[term.field] ?? null);
    return encodeCursor(JSON.stringify(values).length > CURSOR_VALUES_LENGTH ? { s: orderOf(terms), k: item[entity.key] } : { s: orderOf(terms), v: values });
  }

  /** The sort values to resume after: the cursor's own, or those of the row whose key it carries. */
  async function cursorValues(db: SqlClient, projectId: string, terms: SortTerm[], cursor: string): Promise<SqlValue[]> {
    const fits = (value: unknown, term: SortTerm) => {
      const kind = entity.fields[term.field]!.kind;
      return kind === 'integer' || kind === 'number' ? typeof value === 'number' && Number.isFinite(value) : typeof value === 'string';
    };
    const position = decodeCursor(
      cursor,
      (value): value is { s: string; k?: string; v?: unknown[] } =>
        isObject(value) &&
        value.s === orderOf(terms) &&
        (typeof value.k === 'string' ||
          (Array.isArray(value.v) && value.v.length === terms.length && terms.every((term, index) => fits((value.v as unknown[])[index], term)))),
    );
    let values = position.v;
    if (typeof position.k === 'string') {
      const row = await getItem(db, projectId, position.k);
      if (!row) throw new AppError('INVALID_CURSOR', 'the row this cursor continues after was deleted meanwhile; start again without it');
      values = terms.map((term) => row[term.field]);
    }
    return terms.map((term, index) => {
      const value = values![index];
      return entity.fields[term.field]!.kind === 'timestamp' ? dialect.encodeTimestamp(toIsoTimestamp(value as string, 'cursor')) : (value as SqlValue);
    });
  }

  // The one statement of every GET by id: its text is built once, so the statement cache finds it without hashing a new string.
  const selectByKey = `SELECT ${selectList} FROM ${table} WHERE ${PROJECT} = ? AND ${keyColumn} = ?`;

  async function getItem(db: SqlClient, projectId: string, key: string): Promise<Item | null> {
    rejectNul(key, entity.key);
    const [row] = await db.query(selectByKey, [projectId, key]);
    return row ? decodeRow(entity.fields, row) : null;
  }

  /** Rows strictly after the cursor row in the given order. */
  function keysetClause(terms: SortTerm[], values: SqlValue[]): { sql: string; params: SqlValue[] } {
    const alternatives: string[] = [];
    const params: SqlValue[] = [];
    terms.forEach((term, index) => {
      const parts: string[] = [];
      for (let previous = 0; previous < index; previous++) {
        const prior = terms[previous]!;
        parts.push(`${column(prior.field)} = ${placeholder(dialect, entity.fields[prior.field]!)}`);
        params.push(values[previous]!);
      }
      parts.push(`${column(term.field)} ${term.descending ? '<' : '>'} ${placeholder(dialect, entity.fields[term.field]!)}`);
      params.push(values[index]!);
      alternatives.push(`(${parts.join(' AND ')})`);
    });
    return { sql: `(${alternatives.join(' OR ')})`, params };
  }

  return {
    entity,

    async list(db, projectId, query) {
      const terms = parseSort(query.sort);
      const filter = where(projectId, query.filters, query.q);
      let sql = `SELECT ${selectList} FROM ${table} WHERE ${filter.sql}`;
      const params = [...filter.params];
      if (query.cursor !== undefined) {
        const keyset = keysetClause(terms, await cursorValues(db, projectId, terms, query.cursor));
        sql += ` AND ${keyset.sql}`;
        params.push(...keyset.params);
      }
      sql += ` ORDER BY ${orderBy(terms)} LIMIT ?`;
      // A caller's own order is marked ad hoc: PostgreSQL then plans it without naming it on the connection (postgres.ts).
      if (query.sort !== undefined && query.sort !== '' && query.sort !== entity.defaultSort.join(',')) sql = `${AD_HOC_MARK} ${sql}`;
      params.push(query.limit + 1);
      const rows = await db.query(sql, params);
      const items = rows.slice(0, query.limit).map((row) => decodeRow(entity.fields, row));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > query.limit && last ? cursorAfter(terms, last) : null };
    },

    async count(db, projectId, query) {
      const filter = where(projectId, query.filters, query.q);
      const [total] = await db.query<{ count: number | string }>(`SELECT COUNT(*) AS count FROM ${table} WHERE ${filter.sql}`, filter.params);
      const result: CountResult = { count: Number(total?.count ?? 0) };
      if (query.groupBy !== undefined) {
        if (!entity.groupBy.includes(query.groupBy)) {
          throw new AppError(
            'UNKNOWN_FILTER_FIELD',
            `${entity.name} cannot be grouped by ${JSON.stringify(query.groupBy)}; allowed: ${entity.groupBy.join(', ') || 'none'}`,
          );
        }
        result.groups = await groupCounts(db, column(query.groupBy), entity.fields[query.groupBy]!, filter);
      }
      return result;
    },

    get: getItem,

    async upsertMany(db, projectId, items, options = {}) {
      const byKey = new Map<string, Item>();
      for (const item of items) byKey.set(String(item[entity.key]), item);
      const unique = [...byKey.values()];
      const now = new Date().toISOString();
      if (unnestRows && unique.length > 0) {
        const rows = unique.map((item) => rowValues(projectId, item, now, options));
        const columns = rows[0]!.map((_unused, index) => rows.map((row) => row[index]!));
        await db.run(`INSERT INTO ${table} (${insertColumns}) SELECT * FROM ${unnestRows} ${onConflict}`, columns);
        return unique.length;
      }
      for (let start = 0; start < unique.length; start += rowsPerStatement) {
        const chunk = unique.slice(start, start + rowsPerStatement);
        const params = chunk.flatMap((item) => rowValues(projectId, item, now, options));
        await db.run(`INSERT INTO ${table} (${insertColumns}) VALUES ${chunk.map(() => rowPlaceholders).join(', ')} ${onConflict}`, params);
      }
      return unique.length;
    },

    async upsert(db, projectId, item, options = {}) {
      const now = new Date().toISOString();
      const [row] = await db.query(
        `INSERT INTO ${table} (${insertColumns}) VALUES ${rowPlaceholders} ${onConflict} RETURNING ${selectList}`,
        rowValues(projectId, item, now, options),
      );
      return decodeRow(entity.fields, row!);
    },

    async remove(db, projectId, key) {
      rejectNul(key, entity.key);
      return (await db.run(`DELETE FROM ${table} WHERE ${PROJECT} = ? AND ${keyColumn} = ?`, [projectId, key])) > 0;
    },

    async removeAll(db, projectId) {
      return db.run(`DELETE FROM ${table} WHERE ${PROJECT} = ?`, [projectId]);
    },

    async stats(db, projectId) {
      const latestField = entity.timestamps.touched ?? entity.timestamps.created;
      const confidence = entity.confidenceField ? column(entity.confidenceField) : undefined;
      const selects = [
        'COUNT(*) AS count',
        latestField ? `MAX(${column(latestField)}) AS latest` : 'NULL AS latest',
        ...(confidence
          ? [
              `SUM(CASE WHEN ${confidence} >= 0.8 THEN 1 ELSE 0 END) AS high`,
              `SUM(CASE WHEN ${confidence} >= 0.5 AND ${confidence} < 0.8 THEN 1 ELSE 0 END) AS medium`,
              `AVG(${confidence}) AS average`,
            ]
          : []),
      ];
      const [row] = await db.query(`SELECT ${selects.join(', ')} FROM ${table} WHERE ${PROJECT} = ?`, [projectId]);
      const count = Number(row?.count ?? 0);
      const stats: EntityStats = {
        count,
        latestUpdate: latestField ? ((decodeValue(entity.fields[latestField]!, row?.latest) as string | undefined) ?? null) : null,
      };
      if (confidence) {
        const high = Number(row?.high ?? 0);
        const medium = Number(row?.medium ?? 0);
        stats.confidence = { high, medium, low: count - high - medium, average: row?.average == null ? null : Number(row.average) };
      }
      const typeField = entity.groupBy[0];
      if (typeField) stats.byType = await groupCounts(db, column(typeField), entity.fields[typeField]!, where(projectId));
      return stats;
    },
  };

  async function groupCounts(db: SqlClient, groupColumn: string, spec: FieldDefinition, filter: { sql: string; params: SqlValue[] }) {
    const rows = await db.query<{ key: unknown; count: number | string }>(
      `SELECT ${groupColumn} AS ${quoteIdent('key')}, COUNT(*) AS count FROM ${table} WHERE ${filter.sql} GROUP BY ${groupColumn} ORDER BY count DESC, ${groupColumn} ASC`,
      filter.params,
    );
    return rows.map((row) => ({ key: (decodeValue(spec, row.key) as string | number | undefined) ?? null, count: Number(row.count) }));
  }
}
