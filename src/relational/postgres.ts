/**
 * PostgreSQL adapter (node-postgres, pooled), the relational store of remote
 * mode. The SQL is the shared SQL of repository.ts; this file holds only what
 * differs: `$n` placeholders, JSONB and TIMESTAMPTZ parameters, case folding,
 * the migration lock, and driver errors translated into the error table.
 *
 * An outage never crashes the service: a broken connection is dropped from the
 * pool, the request gets 503 PROVIDER_UNAVAILABLE with Retry-After, and the
 * pool opens fresh connections once PostgreSQL answers again. Migrations that
 * could not run at start-up (PostgreSQL down) run before the first statement
 * that finds it up.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { INDEXED_PREFIX_LENGTH } from '../entities/define.js';
import pg from 'pg';
import { AppError } from '../errors.js';
import { applyMigrations } from './migrate.js';
import { AD_HOC_MARK, type Dialect, type RelationalStore, type Row, type SqlClient, type SqlParameter } from './port.js';
import { clientOptions, type PostgresSettings } from './postgres-connection.js';

/** Unicode case folding (as SQLite's casefold, JS toLowerCase); the C collation of the columns folds ASCII only. */
const FOLD_COLLATION = '"und-x-icu"';

const arrayTypes = { string: 'text[]', integer: 'bigint[]', number: 'float8[]', json: 'jsonb[]', timestamp: 'timestamptz[]' } as const;

export const postgresDialect: Dialect = {
  name: 'postgres',
  // The protocol counts bind parameters in 16 bits.
  maxParameters: 65_535,
  // COLLATE "C": byte order, as SQLite's BINARY, so sorting and keyset paging agree on both databases.
  types: { string: 'TEXT COLLATE "C"', integer: 'BIGINT', number: 'DOUBLE PRECISION', json: 'JSONB', timestamp: 'TIMESTAMPTZ' },
  // LIKE (with its metacharacters escaped) rather than strpos so the pg_trgm index of migration 2 serves it.
  containsInsensitive: (column) => `${foldedColumn(column)} LIKE ('%' || replace(replace(replace(?, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')`,
  // The expression migration 3's indexes are built on, written alike (C collation: a prefix sorts as its string).
  indexedPrefix: (expression) => `left(${expression}, ${INDEXED_PREFIX_LENGTH})`,
  encodeJson: (value) => JSON.stringify(value),
  encodeTimestamp: (iso) => iso,
  arrayParameter: (kind) => `?::${arrayTypes[kind]}`,
  jsonParameter: '?::jsonb',
  timestampParameter: '?::timestamptz',
};

/** The expression the name search compares and the trigram indexes cover; both must be written alike. */
export function foldedColumn(column: string): string {
  return `lower(${column} COLLATE ${FOLD_COLLATION})`;
}

/** Any constant, the same in every replica: the session lock that serialises migrations. */
const MIGRATION_LOCK = 7_305_164_209;
const RETRY_AFTER_SECONDS = 2;

/** JSON comes back as text, as from SQLite: parsed JSON would make a stored JSON string ambiguous for the codec. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.JSON || oid === pg.types.builtins.JSONB
      ? (text: string) => text
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresStoreOptions {
  settings: PostgresSettings;
  /** Told about errors of idle connections (PostgreSQL restarting); they must never crash the process. */
  onIdleError?: (error: Error) => void;
}

export function createPostgresStore({ settings, onIdleError }: PostgresStoreOptions): RelationalStore {
  const describeTls = settings.sslMode === 'disable' ? '' : ` (TLS ${settings.sslMode})`;
  const translate = (error: unknown) => translateError(error, describeTls);
  const pool = new pg.Pool({ ...clientOptions(settings), types, max: settings.poolSize, idleTimeoutMillis: 30_000 });
  pool.on('error', (error) => onIdleError?.(error));
  // A connection lost while checked out and between statements emits 'error' on its client with no listener, which
  // would crash the process; the next statement on it fails instead, and that failure is what gets reported.
  pool.on('connect', (client) => client.on('error', () => undefined));

  async function execute(client: pg.ClientBase, sql: string, params: readonly SqlParameter[] = []): Promise<pg.QueryResult> {
    try {
      return await client.query({ ...prepared(sql, params.length), values: params as SqlParameter[] });
    } catch (error) {
      throw translate(error);
    }
  }

  /** A client of the pool; one that saw the connection fail is destroyed rather than reused. */
  async function withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw translate(error);
    }
    let broken: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      if (isAppError(error, 'PROVIDER_UNAVAILABLE')) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  function over(client: pg.ClientBase): SqlClient {
    const api: SqlClient = {
      dialect: postgresDialect,
      query: async <T extends Row>(sql: string, params?: readonly SqlParameter[]) => (await execute(client, sql, params)).rows as T[],
      run: async (sql, params) => (await execute(client, sql, params)).rowCount ?? 0,
      // Already inside a transaction: nested work joins it.
      transaction: (work) => work(api),
    };
    return api;
  }

  async function inTransaction<T>(client: pg.ClientBase, work: (tx: SqlClient) => Promise<T>): Promise<T> {
    await execute(client, 'BEGIN');
    try {
      const result = await work(over(client));
      await execute(client, 'COMMIT');
      return result;
    } catch (error) {
      if (!isAppError(error, 'PROVIDER_UNAVAILABLE')) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Applies migrations on one dedicated session holding the advisory lock, so concurrent replicas take turns. */
  async function runMigrations(): Promise<number> {
    const client = new pg.Client({ ...clientOptions(settings, { statementTimeout: false }), types });
    client.on('error', () => undefined); // a lost session fails the pending query, which is what reports it
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw translate(error);
    }
    try {
      await execute(client, 'SELECT pg_advisory_lock(?)', [MIGRATION_LOCK]);
      const session = over(client);
      return await applyMigrations({ ...session, transaction: (work) => inTransaction(client, work) });
    } finally {
      // Ending the session releases the lock too, even when the unlock could not be sent.
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }

  let migrated = false;
  let migrating: Promise<number> | undefined;
  function migrate(): Promise<number> {
    migrating ??= runMigrations()
      .then((applied) => {
        migrated = true;
        return applied;
      })
      .finally(() => (migrating = undefined));
    return migrating;
  }
  const ready = async () => {
    if (!migrated) await migrate();
  };

  return {
    provider: 'postgres',
    dialect: postgresDialect,
    async query<T extends Row>(sql: string, params?: readonly SqlParameter[]) {
      await ready();
      return withClient(async (client) => (await execute(client, sql, params)).rows as T[]);
    },
    async run(sql, params) {
      await ready();
      return withClient(async (client) => (await execute(client, sql, params)).rowCount ?? 0);
    },
    async transaction(work) {
      await ready();
      return withClient((client) => inTransaction(client, work));
    },
    async snapshot(work) {
      await ready();
      return withClient(async (client) => {
        // One connection, one REPEATABLE READ transaction: every page of the export reads the same snapshot.
        await execute(client, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        try {
          return await work(over(client));
        } finally {
          await client.query('COMMIT').catch(() => undefined);
        }
      });
    },
    migrate,
    async health() {
      await ready();
      await withClient((client) => execute(client, 'SELECT 1'));
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: settings.poolSize }),
    close: () => pool.end(),
  };
}

function isAppError(error: unknown, code: AppError['code']): boolean {
  return error instanceof AppError && error.code === code;
}

/** Driver errors become errors from the table; an unreachable, restarting or overloaded server is an outage, not a bug. */
export function translateError(error: unknown, context = ''): unknown {
  if (error instanceof AppError) return error;
  const { code = '', message: text } = error as { code?: string; message?: string };
  // Node's AggregateError (every address of a host refused) has an empty message and only a code.
  const message = text || code || String(error);
  if (code.startsWith('23')) return new AppError('CONFLICT', 'the write conflicts with stored data', { cause: error });
  if (code.startsWith('22')) return new AppError('VALIDATION_FAILED', `a value PostgreSQL cannot store: ${message}`, { cause: error });
  if (isTlsFailure(code, message)) {
    return new AppError('PROVIDER_UNAVAILABLE', `PostgreSQL is unavailable: TLS failed${context}: ${message}`, {
      cause: error,
      retryAfter: RETRY_AFTER_SECONDS,
    });
  }
  if (isUnavailable(code, message)) {
    return new AppError('PROVIDER_UNAVAILABLE', `PostgreSQL is unavailable${context}: ${message}`, { cause: error, retryAfter: RETRY_AFTER_SECONDS });
  }
  return error;
}

function isTlsFailure(code: string, message: string): boolean {
  return /^(ERR_TLS_|ERR_SSL_|SELF_SIGNED|DEPTH_ZERO|UNABLE_TO_|CERT_)/.test(code) || /does not support SSL|establishing an SSL connection/.test(message);
}

function isUnavailable(code: string, message: string): boolean {
  // SQLSTATE: 08 connection, 53 resources (53300 too many connections), 57P01-03 shutdown and start-up,
  // 57014 statement timeout, 40001/40P01 retryable aborts, 28 authentication, 3D000 no such database.
  if (/^(08|53|28)|^57P0[123]$|^57014$|^40001$|^40P01$|^3D000$/.test(code)) return true;
  if (/^E(CONNREFUSED|CONNRESET|TIMEDOUT|PIPE|NOTFOUND|AI_AGAIN|HOSTUNREACH|NETUNREACH|CONNABORTED)$/.test(code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Client was closed/i.test(message);
}

/**
 * `?` placeholders become `$1..$n` (outside quoted text; the shared SQL never
 * uses `?` as an operator). Statements with a few parameters (reads, single
 * writes, the unnest batch upsert) are also named, so each connection parses and
 * plans them once: that doubles the rate of GET by id. A statement with more
 * parameters (an IN list, whose text changes with its length) stays unnamed so
 * connections do not hoard one plan per length. So does the name search: a named
 * statement may switch to a generic plan, which cannot see the pattern and walks
 * the whole project instead of the trigram index (80 ms instead of 5 at 100,000 rows).
 */
const MAX_NAMED_PARAMETERS = 100;
/** Texts converted and named, least recently used dropped first. */
const statements = new LRUCache<string, { text: string; name?: string }>({ max: 2000 });
export function prepared(sql: string, parameterCount: number): { text: string; name?: string } {
  let statement = statements.get(sql);
  if (!statement) {
    const text = toPositional(sql);
    // Named by content, so the same text always has the same name on every connection, even after the memo drops it.
    // An ad hoc order (a caller's `sort`) stays unnamed: a named statement lives as long as its connection, and
    // thousands of orders made one backend grow by 150 MB.
    const reusablePlan = parameterCount > 0 && parameterCount <= MAX_NAMED_PARAMETERS && !text.includes(' LIKE ') && !text.startsWith(AD_HOC_MARK);
    const name = reusablePlan ? `ims_${createHash('sha1').update(text).digest('hex').slice(0, 20)}` : undefined;
    statement = name ? { text, name } : { text };
    statements.set(sql, statement);
  }
  return statement;
}

export function toPositional(sql: string): string {
  let out = '';
  let index = 0;
  let quote: string | undefined;
  for (const char of sql) {
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '?') {
      out += `$${++index}`;
      continue;
    }
    out += char;
  }
  return out;
}
