/**
 * The relational port. CRUD is written once over `SqlClient` (see
 * repository.ts); an adapter (sqlite.ts, postgres.ts) supplies a connection and
 * its `Dialect`, which holds only what differs between databases.
 *
 * SQL text uses `?` placeholders; every value is bound. Identifiers come only
 * from the entity registry and are quoted by `quoteIdent`.
 */

export type SqlValue = string | number | bigint | null;
/** A bound parameter: a value, or an array of values for dialects with `arrayParameter`. */
export type SqlParameter = SqlValue | readonly SqlValue[];
export type Row = Record<string, unknown>;

/**
 * Marks a statement whose text comes from a caller's choice (a `sort` of their own), of which
 * there are many: adapters run it without keeping a plan per text (postgres.ts names none).
 */
export const AD_HOC_MARK = '/* ad hoc */';

export interface SqlClient {
  readonly dialect: Dialect;
  query<T extends Row = Row>(sql: string, params?: readonly SqlParameter[]): Promise<T[]>;
  /** Runs a statement and returns how many rows it changed. */
  run(sql: string, params?: readonly SqlParameter[]): Promise<number>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T>;
}

export interface RelationalStore extends SqlClient {
  readonly provider: 'sqlite' | 'postgres';
  /** Applies pending migrations; safe when several replicas start at once. */
  migrate(): Promise<number>;
  /**
   * Runs read-only `work` on one consistent snapshot of the database (exports):
   * every statement sees the same committed state, whatever is written meanwhile.
   */
  snapshot<T>(work: (db: SqlClient) => Promise<T>): Promise<T>;
  /** Throws when the database cannot serve requests. */
  health(): Promise<void>;
  close(): Promise<void>;
  /** Connection pool usage for /metrics; stores without a pool (SQLite) leave it out. */
  poolStats?(): PoolStats;
}

export interface PoolStats {
  total: number;
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
  max: number;
}

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** Most bound parameters one statement may carry. */
  readonly maxParameters: number;
  /** SQL column type of each field kind. */
  readonly types: { string: string; integer: string; number: string; json: string; timestamp: string };
  /** `column` contains `needle` (already lower-cased), ignoring case. */
  containsInsensitive(column: string): string;
  /**
   * The prefix of a long string column that the database's indexes hold, when they cannot hold it whole
   * (PostgreSQL: btree entries of at most 2,704 bytes). Present: sorts and equality filters on non-key
   * strings go through it first, so those indexes serve them. Absent: the column is indexed whole.
   */
  indexedPrefix?(expression: string): string;
  /** How a JSON value is bound, and how a timestamp is bound. */
  encodeJson(value: unknown): SqlValue;
  encodeTimestamp(iso: string): SqlValue;
  /**
   * How a multi-row upsert binds its rows. Absent: one `VALUES` tuple per row, chunked by
   * `maxParameters`. Present: one array parameter per column of the given kind (`?::text[]`),
   * unnested into rows, so a batch of any size is one short statement parsed and planned once.
   */
  arrayParameter?(kind: keyof Dialect['types']): string;
  /** Cast applied to a bound JSON parameter inside SQL (`?::jsonb` on PostgreSQL). */
  jsonParameter: string;
  timestampParameter: string;
}

export function quoteIdent(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(identifier)) throw new Error(`refusing to quote identifier ${JSON.stringify(identifier)}`);
  return `"${identifier}"`;
}
