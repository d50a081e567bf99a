/**
 * The one schema for the environment, and mode detection (DESIGN.md section 1).
 * Nothing else in the service reads `process.env`: `loadConfig(env)` is called
 * once by the composition root and everything downstream receives `Config`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import Type, { type Static } from 'typebox';
import { Value } from 'typebox/value';
import { OPENAI_DEFAULT_MODEL, resolveDimensions } from './embeddings/openai.js';
import { PROJECT_ID_PATTERN } from './entities/project-id.js';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Positive = Type.Integer({ minimum: 1 });

/** Every variable the service reads. Optional ones without a default stay undefined. */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.String()),
  DOCKER_ENV: Type.Optional(Type.String()),
  KUBERNETES_SERVICE_HOST: Type.Optional(Type.String()),
  IN_MEMORIA_STORAGE_MODE: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('remote'), Type.Literal('hybrid')])),
  RELATIONAL_PROVIDER: Type.Optional(Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')])),
  VECTOR_PROVIDER: Type.Optional(Type.Union([Type.Literal('embedded'), Type.Literal('qdrant')])),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  PORT: Type.Optional(Port),
  LOG_LEVEL: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)))),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  BODY_LIMIT: Type.Optional(Positive),
  TRUST_PROXY: Type.Optional(Type.String()),
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  POSTGRES_HOST: Type.Optional(Type.String({ minLength: 1 })),
  POSTGRES_PORT: Type.Optional(Port),
  POSTGRES_DB: Type.Optional(Type.String({ minLength: 1 })),
  POSTGRES_USER: Type.Optional(Type.String({ minLength: 1 })),
  POSTGRES_PASSWORD: Type.Optional(Type.String()),
  POSTGRES_SSL: Type.Optional(Type.Boolean()),
  POSTGRES_SSL_MODE: Type.Optional(Type.Union([Type.Literal('disable'), Type.Literal('require'), Type.Literal('verify-ca'), Type.Literal('verify-full')])),
  POSTGRES_SSL_CERT: Type.Optional(Type.String({ minLength: 1 })),
  POSTGRES_POOL_SIZE: Type.Optional(Positive),
  POSTGRES_TIMEOUT: Type.Optional(Positive),
  QDRANT_URL: Type.Optional(Type.String({ minLength: 1 })),
  QDRANT_API_KEY: Type.Optional(Type.String()),
  QDRANT_COLLECTION: Type.Optional(Type.String({ minLength: 1 })),
  QDRANT_TIMEOUT: Type.Optional(Positive),
  QDRANT_RETRY_ATTEMPTS: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  OPENAI_API_KEY: Type.Optional(Type.String()),
  OPENAI_BASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  EMBEDDING_PROVIDER: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('openai'), Type.Literal('local')])),
  EMBEDDING_MODEL: Type.Optional(Type.String({ minLength: 1 })),
  EMBEDDING_DIMENSIONS: Type.Optional(Type.Integer({ minimum: 8, maximum: 8192 })),
  EMBEDDING_TIMEOUT: Type.Optional(Positive),
  EMBEDDING_RETRY_ATTEMPTS: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  STORAGE_API_KEYS: Type.Optional(Type.String()),
  STORAGE_API_KEYS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  CORS_ORIGINS: Type.Optional(Type.String()),
  RATE_LIMIT_MAX: Type.Optional(Type.Integer({ minimum: 0 })),
  AUTH_FAILURE_LIMIT: Type.Optional(Type.Integer({ minimum: 0 })),
  RATE_LIMIT_WINDOW_SECONDS: Type.Optional(Positive),
  LOAD_SHED_EVENT_LOOP_DELAY_MS: Type.Optional(Type.Integer({ minimum: 0 })),
  EXPORT_IDLE_TIMEOUT_SECONDS: Type.Optional(Type.Integer({ minimum: 1 })),
  JOBS_MAX_RUNNING: Type.Optional(Positive),
  JOBS_MAX_RUNNING_PER_KEY: Type.Optional(Positive),
  JOBS_LEASE_SECONDS: Type.Optional(Positive),
  JOBS_RETENTION_HOURS: Type.Optional(Positive),
  MAX_RESPONSE_BYTES: Type.Optional(Type.Integer({ minimum: 1024 * 1024 })),
  IMPORT_MAX_BYTES: Type.Optional(Positive),
  IMPORT_MAX_LINE_BYTES: Type.Optional(Positive),
  VECTOR_MODELS: Type.Optional(Type.String()),
  MAX_COLLECTIONS_PER_PROJECT: Type.Optional(Positive),
});

export type Env = Static<typeof EnvSchema>;
export type Environment = 'development' | 'production' | 'test';
export type Mode = 'local' | 'remote' | 'hybrid';
export type RelationalProviderName = 'sqlite' | 'postgres';
export type VectorProviderName = 'embedded' | 'qdrant';

export interface Config {
  environment: Environment;
  /** NODE_ENV=production was set, not only inferred from a container. */
  productionDeclared: boolean;
  container: boolean;
  mode: Mode;
  server: {
    host: string;
    port: number;
    bodyLimit: number;
    logLevel: string;
    /** Proxies whose X-Forwarded-* headers are believed (Fastify's `trustProxy`); false: none. */
    trustProxy: string[] | false;
    /** Origins browsers may call from (CORS); false: no CORS headers, so browsers refuse cross-origin calls. */
    corsOrigins: string[] | false;
    /** Requests per key (per client address without keys) per window; 0: no limit. */
    rateLimit: { max: number; windowMs: number };
    /** Failed authentications per client address per minute before 429s; 0: unlimited. */
    authFailureLimit: number;
    /** Event-loop delay past which requests are shed with 503; 0: never. */
    loadShedEventLoopDelayMs: number;
    /** How long an export client may read nothing before the export is cut. */
    exportIdleTimeoutMs: number;
    /** Bytes one vector search answer or scroll page may hold. */
    maxResponseBytes: number;
  };
  dataDir: string;
  relational:
    | { provider: 'sqlite'; file: string }
    | {
        provider: 'postgres';
        connectionString?: string;
        host?: string;
        port?: number;
        database?: string;
        user?: string;
        password?: string;
        sslMode: 'disable' | 'require' | 'verify-ca' | 'verify-full';
        sslCaFile?: string;
        poolSize: number;
        timeoutMs: number;
      };
  vectors:
    | { provider: 'embedded'; dir: string }
    | { provider: 'qdrant'; url: string; apiKey?: string; collectionPrefix: string; timeoutMs: number; retryAttempts: number };
  embeddings: {
    /** `auto`: OpenAI when an API key is set, else local. */
    provider: 'auto' | 'openai' | 'local';
    openaiApiKey?: string;
    openaiBaseUrl?: string;
    /** The OpenAI model; the local embedder has a single model and ignores this. */
    model?: string;
    dimensions?: number;
    timeoutMs: number;
    maxRetries: number;
  };
  /** Parsed from STORAGE_API_KEYS and STORAGE_API_KEYS_FILE; empty: no authentication (refused in production). */
  apiKeys: ApiKeySpec[];
  /** Ingest jobs queued or running at once: in the service, and per API key (per client address without keys). */
  jobs: { maxRunning: number; maxRunningPerOwner: number; leaseMs: number; retentionMs: number };
  imports: {
    /** The most bytes one import may send (an HTTP import is staged in a temporary file of at most this size). */
    maxBytes: number;
    /** The longest NDJSON line an import accepts. */
    maxLineBytes: number;
  };
  collections: {
    /** Embedding spaces a client may create collections in, beyond the configured embedder's. */
    allowedModels: Array<{ model: string; dimensions: number }>;
    maxPerProject: number;
  };
}

export const roles = ['read', 'write', 'admin'] as const;
export type Role = (typeof roles)[number];

/** One configured key. The key text itself stays only here and in the keyring (auth.ts), never in a log line or an error. */
export interface ApiKeySpec {
  key: string;
  role: Role;
  /** Undefined: every project. */
  projects?: string[];
}

/** Parses `KEY:ROLE[:PROJECT|PROJECT...]` entries; a bad entry is a ConfigError naming its position, never its key. */
export function parseApiKeys(text: string, source: string): ApiKeySpec[] {
  const entries = text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('#'));
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const [key = '', role = '', projects, extra] = entry.split(':');
    const where = `${source} entry ${index + 1}`;
    if (extra !== undefined || key.length === 0) throw new ConfigError(`Invalid ${where}: expected KEY:ROLE[:PROJECT|PROJECT...]`);
    if (!(roles as readonly string[]).includes(role)) throw new ConfigError(`Invalid ${where}: role must be one of ${roles.join(', ')}`);
    if (seen.has(key)) throw new ConfigError(`Invalid ${where}: the same key appears twice`);
    seen.add(key);
    const list = projects
      ?.split('|')
      .map((project) => project.trim())
      .filter(Boolean);
    if (projects !== undefined && (!list || list.length === 0 || list.some((project) => !PROJECT_ID_PATTERN.test(project)))) {
      throw new ConfigError(`Invalid ${where}: projects must be project ids separated by |`);
    }
    return { key, role: role as Role, ...(list ? { projects: list } : {}) };
  });
}

/** A configuration error: one line naming the variable and what is allowed. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Where the container markers live; a parameter so tests can point it elsewhere. */
export interface DetectionProbe {
  dockerEnvFile: string;
}

const defaultProbe: DetectionProbe = { dockerEnvFile: '/.dockerenv' };

export interface LoadOptions {
  /** The configuration will serve HTTP (the `serve` command): the rules about keys apply. */
  serving?: boolean;
}

/** Host names of this machine's loopback: what a keyless service listens on, and the only Host headers it answers. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '::1']);
/** Keys a production service accepts: shorter ones are guessable. */
export const MIN_PRODUCTION_KEY_LENGTH = 24;

/**
 * Reads and checks the environment: every rule, including those spanning several variables, is
 * checked here, so a bad setting ends in one line naming the variable (ConfigError), never later.
 */
export function loadConfig(rawEnv: Record<string, string | undefined>, probe: DetectionProbe = defaultProbe, options: LoadOptions = {}): Config {
  const config = buildConfig(rawEnv, probe);
  checkRules(config, options);
  return config;
}

function checkRules(config: Config, options: LoadOptions): void {
  const embeddings = config.embeddings;
  if (embeddings.provider === 'openai' || (embeddings.provider === 'auto' && embeddings.openaiApiKey)) {
    if (!embeddings.openaiApiKey && !embeddings.openaiBaseUrl) {
      throw new ConfigError('EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server that takes no key)');
    }
    try {
      resolveDimensions(embeddings.model ?? OPENAI_DEFAULT_MODEL, embeddings.dimensions);
    } catch (error) {
      throw new ConfigError(`Invalid EMBEDDING_MODEL / EMBEDDING_DIMENSIONS: ${(error as Error).message} (EMBEDDING_DIMENSIONS)`);
    }
  }
  const relational = config.relational;
  if (relational.provider === 'postgres' && relational.sslMode === 'verify-ca' && relational.sslCaFile === undefined) {
    throw new ConfigError('Invalid POSTGRES_SSL_MODE="verify-ca": needs POSTGRES_SSL_CERT, the CA file to verify the server against');
  }
  if (!options.serving || config.environment !== 'production') return;
  const short = config.apiKeys.flatMap((spec, index) => (spec.key.length < MIN_PRODUCTION_KEY_LENGTH ? [index + 1] : []));
  if (short.length > 0) {
    throw new ConfigError(
      `STORAGE_API_KEYS: key ${short.join(', ')} is shorter than ${MIN_PRODUCTION_KEY_LENGTH} characters, which production refuses: use long random keys (openssl rand -hex 32)`,
    );
  }
  // A container alone makes the environment production, yet a keyless service inside one on loopback is reachable from nowhere else.
  if (config.apiKeys.length === 0 && (config.productionDeclared || !LOOPBACK_HOSTS.has(config.server.host))) {
    throw new ConfigError('STORAGE_API_KEYS (or STORAGE_API_KEYS_FILE) is required in production: KEY:ROLE[:PROJECT|PROJECT...],...');
  }
}

function buildConfig(rawEnv: Record<string, string | undefined>, probe: DetectionProbe): Config {
  const env = parseEnv(rawEnv);
  const containerSignal = env.DOCKER_ENV
    ? 'DOCKER_ENV is set'
    : env.KUBERNETES_SERVICE_HOST
      ? 'KUBERNETES_SERVICE_HOST is set'
      : existsSync(probe.dockerEnvFile)
        ? `${probe.dockerEnvFile} exists`
        : undefined;
  const container = containerSignal !== undefined;
  const environment: Environment = env.NODE_ENV === 'production' || container ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const mode: Mode = env.IN_MEMORIA_STORAGE_MODE ?? (environment === 'production' ? 'remote' : 'local');
  if (env.IN_MEMORIA_STORAGE_MODE === undefined && mode === 'remote') {
    // Remote mode nobody asked for (a CLI run in any container) must not end in a connection error to localhost.
    const missing = !env.DATABASE_URL && !env.POSTGRES_HOST ? 'DATABASE_URL (or POSTGRES_HOST)' : !env.QDRANT_URL ? 'QDRANT_URL' : undefined;
    if (missing) {
      const why = env.NODE_ENV === 'production' ? 'NODE_ENV=production' : `a container was detected (${containerSignal})`;
      throw new ConfigError(
        `remote mode was chosen because ${why}, but ${missing} is not set: set it, or set IN_MEMORIA_STORAGE_MODE=local for SQLite and the embedded vector store under DATA_DIR`,
      );
    }
  }
  const relationalProvider: RelationalProviderName = mode === 'local' ? 'sqlite' : mode === 'remote' ? 'postgres' : (env.RELATIONAL_PROVIDER ?? 'sqlite');
  const vectorProvider: VectorProviderName = mode === 'local' ? 'embedded' : mode === 'remote' ? 'qdrant' : (env.VECTOR_PROVIDER ?? 'embedded');
  const dataDir = path.resolve(env.DATA_DIR ?? './data');
  const apiKeys = [
    ...(env.STORAGE_API_KEYS ? parseApiKeys(env.STORAGE_API_KEYS, 'STORAGE_API_KEYS') : []),
    ...(env.STORAGE_API_KEYS_FILE ? parseApiKeys(readKeysFile(env.STORAGE_API_KEYS_FILE), 'STORAGE_API_KEYS_FILE') : []),
  ];

  return {
    environment,
    productionDeclared: env.NODE_ENV === 'production',
    container,
    mode,
    server: {
      host: env.HOST ?? '127.0.0.1',
      port: env.PORT ?? 8080,
      bodyLimit: env.BODY_LIMIT ?? 16 * 1024 * 1024,
      logLevel: env.LOG_LEVEL ?? 'info',
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
      // Per key by default; without keys (local, loopback only) nothing to protect against unless asked for.
      rateLimit: { max: env.RATE_LIMIT_MAX ?? (apiKeys.length > 0 ? 1200 : 0), windowMs: (env.RATE_LIMIT_WINDOW_SECONDS ?? 60) * 1000 },
      authFailureLimit: env.AUTH_FAILURE_LIMIT ?? 30,
      // NODE_ENV itself, not the environment (a container makes that production): test suites share two
      // cores, and app.inject() never lets a stale sample of a start-up stall expire.
      loadShedEventLoopDelayMs: env.LOAD_SHED_EVENT_LOOP_DELAY_MS ?? (env.NODE_ENV === 'test' ? 0 : 1000),
      exportIdleTimeoutMs: (env.EXPORT_IDLE_TIMEOUT_SECONDS ?? 60) * 1000,
      maxResponseBytes: env.MAX_RESPONSE_BYTES ?? 32 * 1024 * 1024,
    },
    dataDir,
    relational:
      relationalProvider === 'sqlite'
        ? { provider: 'sqlite', file: path.join(dataDir, 'in-memoria.db') }
        : {
            provider: 'postgres',
            connectionString: env.DATABASE_URL,
            host: env.POSTGRES_HOST,
            port: env.POSTGRES_PORT,
            database: env.POSTGRES_DB,
            user: env.POSTGRES_USER,
            password: env.POSTGRES_PASSWORD,
            // POSTGRES_SSL_* win over the URL's libpq parameters, which win over POSTGRES_SSL alone.
            sslMode: env.POSTGRES_SSL_MODE ?? urlSslMode(env.DATABASE_URL) ?? (env.POSTGRES_SSL ? 'verify-full' : 'disable'),
            sslCaFile: env.POSTGRES_SSL_CERT ?? urlParameter(env.DATABASE_URL, 'sslrootcert'),
            poolSize: env.POSTGRES_POOL_SIZE ?? 10,
            timeoutMs: env.POSTGRES_TIMEOUT ?? 5000,
          },
    vectors:
      vectorProvider === 'embedded'
        ? { provider: 'embedded', dir: path.join(dataDir, 'vectors') }
        : {
            provider: 'qdrant',
            url: env.QDRANT_URL ?? 'http://localhost:6333',
            apiKey: env.QDRANT_API_KEY,
            collectionPrefix: env.QDRANT_COLLECTION ?? 'in_memoria',
            timeoutMs: env.QDRANT_TIMEOUT ?? 10000,
            retryAttempts: env.QDRANT_RETRY_ATTEMPTS ?? 3,
          },
    embeddings: {
      provider: env.EMBEDDING_PROVIDER ?? 'auto',
      openaiApiKey: env.OPENAI_API_KEY,
      openaiBaseUrl: env.OPENAI_BASE_URL,
      model: env.EMBEDDING_MODEL,
      dimensions: env.EMBEDDING_DIMENSIONS,
      timeoutMs: env.EMBEDDING_TIMEOUT ?? 30_000,
      maxRetries: env.EMBEDDING_RETRY_ATTEMPTS ?? 3,
    },
    apiKeys,
    jobs: {
      maxRunning: env.JOBS_MAX_RUNNING ?? 4,
      maxRunningPerOwner: env.JOBS_MAX_RUNNING_PER_KEY ?? 2,
      leaseMs: (env.JOBS_LEASE_SECONDS ?? 30) * 1000,
      retentionMs: (env.JOBS_RETENTION_HOURS ?? 24) * 3600 * 1000,
    },
    // A line is one row or document: as long as the largest body that could have written it, and an envelope.
    imports: { maxBytes: env.IMPORT_MAX_BYTES ?? 4 * 1024 ** 3, maxLineBytes: env.IMPORT_MAX_LINE_BYTES ?? (env.BODY_LIMIT ?? 16 * 1024 * 1024) + 1024 * 1024 },
    collections: { allowedModels: parseModels(env.VECTOR_MODELS), maxPerProject: env.MAX_COLLECTIONS_PER_PROJECT ?? 100 },
  };
}

/** `VECTOR_MODELS=model:dimensions,...`: the model name may itself hold colons, the dimensions are after the last. */
function parseModels(value: string | undefined): Array<{ model: string; dimensions: number }> {
  if (!value?.trim()) return [];
  return value.split(',').map((entry) => {
    const separator = entry.lastIndexOf(':');
    const model = entry.slice(0, separator).trim();
    const dimensions = Number(entry.slice(separator + 1).trim());
    if (separator < 1 || !model || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > 65536) {
      throw new ConfigError(
        `VECTOR_MODELS: ${JSON.stringify(entry.trim())} is not model:dimensions (dimensions an integer from 1 to 65536), e.g. VECTOR_MODELS=text-embedding-3-small:1536`,
      );
    }
    return { model, dimensions };
  });
}

function readKeysFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Invalid STORAGE_API_KEYS_FILE=${JSON.stringify(file)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** `CORS_ORIGINS`: comma-separated origins (`https://app.example.com`); unset: CORS off. */
function parseCorsOrigins(value: string | undefined): string[] | false {
  if (value === undefined || value.trim() === '') return false;
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {}
    if (!parsed || parsed.origin !== origin) {
      throw new ConfigError(`Invalid CORS_ORIGINS=${JSON.stringify(value)}: ${JSON.stringify(origin)} is not an origin like https://app.example.com`);
    }
  }
  return origins;
}

const sslModes = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
type SslMode = (typeof sslModes)[number];

function urlParameter(url: string | undefined, name: string): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).searchParams.get(name) ?? undefined;
  } catch {
    throw new ConfigError('Invalid DATABASE_URL: expected postgres://user:password@host:port/database');
  }
}

function urlSslMode(url: string | undefined): SslMode | undefined {
  const mode = urlParameter(url, 'sslmode');
  if (mode === undefined || (sslModes as readonly string[]).includes(mode)) return mode as SslMode | undefined;
  throw new ConfigError(`Invalid DATABASE_URL sslmode=${JSON.stringify(mode)}: expected one of ${sslModes.join(', ')}`);
}

/**
 * `TRUST_PROXY`: comma-separated addresses, CIDRs, or proxy-addr's names
 * (`loopback`, `linklocal`, `uniquelocal`). There is no "trust everyone":
 * then any client could choose its own address by sending X-Forwarded-For.
 */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(value: string | undefined): string[] | false {
  if (value === undefined || value.trim() === '' || value.trim() === 'false') return false;
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (!PROXY_NAMES.has(entry) && !isAddressOrCidr(entry)) {
      throw new ConfigError(
        `Invalid TRUST_PROXY=${JSON.stringify(value)}: ${JSON.stringify(entry)} is not an IP address, a CIDR, or one of loopback, linklocal, uniquelocal`,
      );
    }
  }
  return entries;
}

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Keeps only the variables the schema knows, converts them, and reports the first bad one. */
function parseEnv(rawEnv: Record<string, string | undefined>): Env {
  const known: Record<string, unknown> = {};
  for (const name of Object.keys(EnvSchema.properties)) {
    const value = rawEnv[name];
    if (value !== undefined && value !== '') known[name] = value;
  }
  const converted = Value.Convert(EnvSchema, known);
  for (const error of Value.Errors(EnvSchema, converted)) {
    const name = error.instancePath.replace(/^\//, '');
    throw new ConfigError(`Invalid ${name}=${JSON.stringify(known[name])}: ${describeAllowed(name)}`);
  }
  return converted as Env;
}

function describeAllowed(name: string): string {
  const schema = (EnvSchema.properties as unknown as Record<string, Record<string, unknown>>)[name];
  if (!schema) return 'unknown variable';
  const literals = (schema.anyOf as Array<{ const: unknown }> | undefined)?.map((member) => member.const);
  if (literals) return `expected one of ${literals.join(', ')}`;
  if (schema.type === 'integer') {
    const bounds = [schema.minimum, schema.maximum].map((bound) => (bound === undefined ? '' : String(bound)));
    return `expected an integer${bounds[0] || bounds[1] ? ` in [${bounds[0] || '-inf'}, ${bounds[1] || 'inf'}]` : ''}`;
  }
  if (schema.type === 'boolean') return 'expected true or false';
  return 'expected a non-empty string';
}

/** The configuration with every secret replaced, for logs and `GET /v1/config`. */
export function redactConfig(config: Config): Record<string, unknown> {
  const redact = (value: string | undefined) => (value === undefined ? undefined : '[redacted]');
  const relational =
    config.relational.provider === 'postgres'
      ? {
          ...config.relational,
          password: redact(config.relational.password),
          connectionString: config.relational.connectionString && redactUrl(config.relational.connectionString),
        }
      : config.relational;
  const vectors =
    config.vectors.provider === 'qdrant' ? { ...config.vectors, url: redactUrl(config.vectors.url), apiKey: redact(config.vectors.apiKey) } : config.vectors;
  // Through JSON so absent settings are left out rather than shown as undefined.
  return JSON.parse(
    JSON.stringify({
      environment: config.environment,
      container: config.container,
      mode: config.mode,
      server: config.server,
      dataDir: config.dataDir,
      relational,
      vectors,
      embeddings: {
        ...config.embeddings,
        openaiApiKey: redact(config.embeddings.openaiApiKey),
        openaiBaseUrl: config.embeddings.openaiBaseUrl && redactUrl(config.embeddings.openaiBaseUrl),
      },
      // Roles and projects help an operator check the setup; the keys themselves never leave the process.
      apiKeys: config.apiKeys.map((spec) => ({ key: '[redacted]', role: spec.role, ...(spec.projects ? { projects: spec.projects } : {}) })),
    }),
  );
}

/** Query parameters that carry credentials (node-postgres honours `?password=`; tokens and keys travel the same way). */
const SECRET_PARAMETER = /pass|key|token|secret/i;

/** A URL as it may be printed: its userinfo and every credential parameter replaced. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.username) url.username = 'redacted';
    if (url.password) url.password = 'redacted';
    for (const name of new Set(url.searchParams.keys())) if (SECRET_PARAMETER.test(name)) url.searchParams.set(name, 'redacted');
    return url.toString();
  } catch {
    return '[redacted]';
  }
}
