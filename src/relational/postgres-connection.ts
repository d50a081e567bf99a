/**
 * From the `postgres` part of Config to node-postgres client options: where to
 * connect, the timeouts, and TLS.
 *
 * TLS modes mean what libpq means, not what node-postgres guesses: node-postgres
 * treats `require` and `verify-ca` as `verify-full` (and rewrites `sslmode` found
 * in a URL), so every ssl parameter is taken out of the URL here and `ssl` is
 * built from the mode:
 *
 * | mode | TLS | certificate chain checked | host name checked |
 * |---|---|---|---|
 * | disable | no | - | - |
 * | require | yes | no; yes (as verify-ca) when a CA file is given, as libpq does | no |
 * | verify-ca | yes | against POSTGRES_SSL_CERT | no |
 * | verify-full | yes | against POSTGRES_SSL_CERT, else the system's CAs | yes |
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
import { ConfigError, type Config } from '../config.js';

export type PostgresSettings = Extract<Config['relational'], { provider: 'postgres' }>;

/** URL parameters node-postgres would turn into its own TLS settings. */
const sslUrlParameters = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'uselibpqcompat', 'sslnegotiation'];

export function tlsOptions(settings: Pick<PostgresSettings, 'sslMode' | 'sslCaFile'>): false | ConnectionOptions {
  const { sslMode, sslCaFile } = settings;
  if (sslMode === 'disable') return false;
  const ca = sslCaFile === undefined ? undefined : readCa(sslCaFile);
  // Node checks the host name through checkServerIdentity; a no-op keeps the chain check only.
  const skipHostName = { checkServerIdentity: () => undefined };
  if (sslMode === 'require') return ca ? { ca, rejectUnauthorized: true, ...skipHostName } : { rejectUnauthorized: false };
  // verify-ca always has its CA file: loadConfig refuses the mode without one.
  if (sslMode === 'verify-ca') return { ca, rejectUnauthorized: true, ...skipHostName };
  return ca ? { ca, rejectUnauthorized: true } : { rejectUnauthorized: true };
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Invalid POSTGRES_SSL_CERT=${JSON.stringify(file)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function withoutSslParameters(connectionString: string): string {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw new ConfigError('Invalid DATABASE_URL: expected postgres://user:password@host:port/database');
  }
  for (const name of sslUrlParameters) url.searchParams.delete(name);
  return url.toString();
}

/**
 * Options for one client. `statementTimeout: false` is for the migration
 * session, whose index builds may rightly take longer than a request.
 */
export function clientOptions(settings: PostgresSettings, { statementTimeout = true } = {}): pg.ClientConfig {
  const where: pg.ClientConfig = settings.connectionString
    ? { connectionString: withoutSslParameters(settings.connectionString) }
    : { host: settings.host, port: settings.port, database: settings.database, user: settings.user, password: settings.password };
  return {
    ...where,
    ssl: tlsOptions(settings),
    application_name: 'in-memoria-storage',
    connectionTimeoutMillis: settings.timeoutMs,
    keepAlive: true,
    ...(statementTimeout
      ? {
          statement_timeout: settings.timeoutMs,
          // The server cancels a slow statement; this client-side limit is for a server that stopped answering at all.
          query_timeout: settings.timeoutMs + 2000,
        }
      : {}),
  };
}
