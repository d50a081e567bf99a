/**
 * Stands in for In-Memoria's `dist/storage/sqlite-db.js` (the hooks in
 * hooks.ts load this module instead): the same export, `SQLiteDatabase`, the
 * same constructor, the same synchronous methods, served by the storage
 * service through the bridge's worker. The database path picks the project
 * (settings.ts); no file is created.
 */
import type { RemoteSQLiteDatabase } from '../in-memoria.js';
import { bridgeCall, openOrStop } from './sync.js';
import { DATABASE_METHODS, inMemoriaSchemaVersion, type DatabaseMethod } from './methods.js';

/** The In-Memoria version the hooks found beside the module they replaced (`?in-memoria=0.4.1`). */
const inMemoriaVersion = new URL(import.meta.url).searchParams.get('in-memoria') ?? undefined;

type Synchronous<T> = { [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never };

/** What In-Memoria asks of `getMigrator()`: the service's schema is always current, so there is nothing to migrate. */
export interface RemoteMigrator {
  getCurrentVersion(): number;
  getLatestVersion(): number;
  needsMigration(): boolean;
  migrate(): void;
  rollback(targetVersion?: number): void;
  status(): void;
}

interface State {
  handle: number;
  open: boolean;
}
const states = new WeakMap<object, State>();

function state(database: object): State {
  const found = states.get(database);
  // better-sqlite3's words for a closed connection, so callers that match them keep working.
  if (!found?.open) throw new TypeError('The database connection is not open');
  return found;
}

export interface SQLiteDatabase extends Pick<Synchronous<RemoteSQLiteDatabase>, DatabaseMethod> {}

export class SQLiteDatabase {
  constructor(dbPath = ':memory:') {
    const handle = openOrStop({ op: 'open-database', dbPath, cwd: process.cwd(), inMemoriaVersion });
    states.set(this, { handle, open: true });
  }

  /** The versions In-Memoria's migrator reports; what reads the database fails once it is closed, as on SQLite. */
  getMigrator(): RemoteMigrator {
    const version = inMemoriaSchemaVersion(inMemoriaVersion);
    const current = (): number => (state(this), version);
    return {
      getCurrentVersion: current,
      getLatestVersion: () => version,
      needsMigration: () => current() < version,
      migrate: () => void current(),
      rollback: () => {
        current();
        throw new Error('the storage service keeps its own schema: In-Memoria migrations cannot be rolled back through it');
      },
      status: () => console.log(`Database Status:\n  Current version: ${current()}\n  Latest version: ${version}\n  Needs migration: false`),
    };
  }

  /** Sends every buffered write; calls after it fail, as on a closed better-sqlite3 database. */
  close(): void {
    const found = states.get(this);
    if (!found?.open) return;
    found.open = false;
    bridgeCall({ op: 'close', handle: found.handle });
  }
}

for (const method of DATABASE_METHODS) {
  Object.defineProperty(SQLiteDatabase.prototype, method, {
    value: function (this: SQLiteDatabase, ...args: unknown[]) {
      return bridgeCall({ op: 'call', handle: state(this).handle, method, args });
    },
    writable: true,
    configurable: true,
  });
}
