/**
 * A real, throw-away PostgreSQL server for tests and the bench: initdb into a
 * temporary directory, listen on 127.0.0.1 on a free port, stop and start it at
 * will (outage tests), remove it at the end.
 *
 * It uses the machine's PostgreSQL binaries (Debian's postgresql package puts
 * them under /usr/lib/postgresql/<version>/bin). When there are none it fails
 * and says why: a PostgreSQL suite that silently skipped would prove nothing.
 * PostgreSQL refuses to run as root, so as root the server runs as the
 * `postgres` user (or `nobody`) through runuser.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';

export { freePort };

export interface TestPostgres {
  host: string;
  port: number;
  user: string;
  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url(database?: string): string;
  dataDir: string;
  /**
   * Creates an empty database and returns its URL. `icuLocale` makes an ICU locale its default
   * collation, as a production database might have (the server itself runs in the C locale).
   */
  createDatabase(name: string, options?: { icuLocale?: string }): Promise<string>;
  /** Runs one statement as the superuser on `database` and returns its rows. */
  sql<T = Record<string, unknown>>(text: string, database?: string): Promise<T[]>;
  start(): void;
  /** Fast shutdown: connections are terminated, as when PostgreSQL is restarted or fails over. */
  stop(): void;
  /** Stops the server and removes its files. */
  destroy(): void;
}

export interface StartPostgresOptions {
  /** PEM files of the server certificate and key; the server then accepts TLS (and still plain connections). */
  ssl?: { certFile: string; keyFile: string };
}

const USER = 'postgres';
const running = new Set<TestPostgres>();
// A test file that fails half-way must not leave servers behind.
process.once('exit', () => {
  for (const server of running) server.stop();
});

/** Hybrid mode: PostgreSQL for the relational store, the embedded vector store. */
export function postgresEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return { IN_MEMORIA_STORAGE_MODE: 'hybrid', RELATIONAL_PROVIDER: 'postgres', VECTOR_PROVIDER: 'embedded', DATABASE_URL: databaseUrl, ...extra };
}

export function findPostgresBinaries(): string {
  const candidates: string[] = [];
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => path.join(root, version, 'bin')));
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const found = candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
  if (!found) {
    throw new Error(
      'PostgreSQL tests need PostgreSQL server binaries (initdb, pg_ctl) and found none under /usr/lib/postgresql/*/bin or from pg_config. ' +
        'Install them (Debian: apt-get install postgresql) and run the tests again.',
    );
  }
  return found;
}

/** Runs a PostgreSQL binary as a user PostgreSQL accepts. */
function asServerUser(): { wrap(command: string, args: string[]): [string, string[]]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { wrap: (command, args) => [command, args] };
  const name = ['postgres', 'nobody'].find((candidate) => spawnSync('id', ['-u', candidate]).status === 0);
  if (!name) throw new Error('running as root, PostgreSQL needs an unprivileged user to run as, and neither postgres nor nobody exists');
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { wrap: (command, args) => ['runuser', ['-u', name, '--', command, ...args]], uid, gid };
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bin = findPostgresBinaries();
  const runner = asServerUser();
  const root = mkdtempSync(path.join(tmpdir(), 'ims-pg-'));
  const dataDir = path.join(root, 'data');
  const socketDir = path.join(root, 'socket');
  const logFile = path.join(root, 'server.log');
  mkdirSync(socketDir);
  writeFileSync(logFile, '');
  const own = (file: string) => runner.uid !== undefined && chownSync(file, runner.uid, runner.gid!);
  for (const file of [root, socketDir, logFile]) own(file);

  const run = (command: string, args: string[]) => {
    const [program, argv] = runner.wrap(path.join(bin, command), args);
    const result = spawnSync(program, argv, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`PostgreSQL ${command} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}${result.stdout}\n${log}`);
    }
  };

  try {
    run('initdb', ['-D', dataDir, '-U', USER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  const settings = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${socketDir}'`,
    // Test servers trade durability for speed; a clean stop still writes everything.
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
  ];
  if (options.ssl) {
    for (const [name, file] of [
      ['server.crt', options.ssl.certFile],
      ['server.key', options.ssl.keyFile],
    ] as const) {
      // PostgreSQL refuses a key file others can read, or one it does not own.
      writeFileSync(path.join(dataDir, name), readFileSync(file), { mode: 0o600 });
      own(path.join(dataDir, name));
    }
    settings.push('ssl = on', "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'");
  }
  const conf = path.join(dataDir, 'postgresql.conf');
  writeFileSync(conf, `${readFileSync(conf, 'utf8')}\n${settings.join('\n')}\n`);

  const host = '127.0.0.1';
  const url = (database = 'postgres') => `postgres://${USER}@${host}:${port}/${database}`;
  async function sql<T>(text: string, database = 'postgres'): Promise<T[]> {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query(text)).rows as T[];
    } finally {
      await client.end();
    }
  }

  let up = false;
  const server: TestPostgres = {
    host,
    port,
    user: USER,
    url,
    dataDir,
    sql,
    async createDatabase(name, options = {}) {
      const locale = options.icuLocale ? ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${options.icuLocale}'` : '';
      await sql(`CREATE DATABASE "${name}"${locale}`);
      return url(name);
    },
    start() {
      if (up) return;
      run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
      up = true;
      running.add(server);
    },
    stop() {
      if (!up) return;
      run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      up = false;
      running.delete(server);
    },
    destroy() {
      server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    server.start();
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return server;
}
