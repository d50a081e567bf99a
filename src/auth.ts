/**
 * API keys and roles (DESIGN.md section 5). Keys are parsed once at start from
 * `STORAGE_API_KEYS` or a keys file: `KEY:ROLE[:PROJECT|PROJECT...]`, comma or
 * newline separated. Each route declares the role it needs in its route config
 * (`config: { role: 'read' }`); one onRequest hook checks the bearer key.
 * No keys configured (allowed outside production only): everything is open.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { ApiKeySpec, Role } from './config.js';
import { ErrorSchema } from './errors.js';
import { AppError } from './errors.js';

/** What a request's key allows, attached to the request by the hook. */
export interface Principal {
  /** `key 2`: the key's position in the configuration, safe to log and to key a rate limit by. */
  id: string;
  role: Role;
  projects?: ReadonlySet<string>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role a route needs; a route without one is open (health, readiness, metrics, docs). */
    role?: Role;
  }
  interface FastifyRequest {
    /** The caller's key; undefined when no keys are configured or the route is open. */
    principal?: Principal;
  }
}

const rank: Record<Role, number> = { read: 1, write: 2, admin: 3 };

// One-shot hashing: half the cost of createHash().update().digest() on every authenticated request.
const digest = (text: string) => hash('sha256', text, 'buffer');

/**
 * Finds the key a token matches. Both sides are hashed first so every comparison has the same
 * length, and every key is compared (no early exit), so the time says nothing about the keys.
 */
export function createKeyring(specs: ApiKeySpec[]): { size: number; find(token: string): Principal | undefined } {
  const keys = specs.map((spec, index) => ({
    digest: digest(spec.key),
    principal: { id: `key ${index + 1}`, role: spec.role, projects: spec.projects && new Set(spec.projects) },
  }));
  // Tokens already found, so a client pays the hashing once, not on every request (it was ~3% of a
  // GET by id). Only configured keys ever enter it, so it is as small as the keyring. A lookup compares
  // strings only when their seeded hashes collide, so its time tells nothing of a key's characters;
  // whether a token is valid, the answer (200 or 401) says anyway.
  const known = new Map<string, Principal>();
  return {
    size: keys.length,
    find(token) {
      const cached = known.get(token);
      if (cached) return cached;
      const presented = digest(token);
      let found: Principal | undefined;
      for (const key of keys) if (timingSafeEqual(key.digest, presented)) found = key.principal;
      if (found) known.set(token, found);
      return found;
    },
  };
}

/** Whether a principal may touch a project (keys limited to projects see only theirs). */
export function allowsProject(principal: Principal | undefined, projectId: string): boolean {
  return !principal?.projects || principal.projects.has(projectId);
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}

/** The window of AUTH_FAILURE_LIMIT: failed authentications one client address may make in it before 429s until it ends. */
const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Addresses tracked at once: beyond it the oldest are forgotten, so a flood of addresses cannot grow memory. */
const AUTH_FAILURE_ADDRESSES = 10_000;

/**
 * Failed authentications per client address, in fixed windows: guessing keys from one address
 * is slowed to `limit` tries a minute (the per-key rate limit cannot see callers without a
 * valid key). 0: unlimited.
 */
function createFailureCounter(limit: number) {
  // An entry lives as long as its window (set once, never refreshed); the least recently seen addresses go first beyond the bound.
  const windows = new LRUCache<string, { started: number; failures: number }>({ max: AUTH_FAILURE_ADDRESSES, ttl: AUTH_FAILURE_WINDOW_MS });
  return {
    /** Seconds until the address may try again, or 0 when it may now. */
    blockedFor(address: string): number {
      const entry = windows.get(address);
      return limit > 0 && entry && entry.failures >= limit ? Math.max(0, Math.ceil((entry.started + AUTH_FAILURE_WINDOW_MS - Date.now()) / 1000)) : 0;
    },
    fail(address: string): void {
      const entry = windows.get(address);
      if (entry) entry.failures++;
      else windows.set(address, { started: Date.now(), failures: 1 });
    },
  };
}

/** The onRequest hook: 401 without a valid key, 403 when the key's role or projects do not cover the route. */
export function registerAuth(app: FastifyInstance, specs: ApiKeySpec[], authFailureLimit: number): void {
  // The OpenAPI document says which routes need a key and which role, whether or not keys are configured.
  app.addHook('onRoute', (route) => {
    const role = route.config?.role;
    // HEAD routes share their GET's schema object: document it once.
    if (!role || !route.schema || route.schema.security) return;
    route.schema.security = [{ bearer: [] }];
    const responses = route.schema.response as Record<string, unknown> | undefined;
    if (responses) Object.assign(responses, { 401: ErrorSchema, 403: ErrorSchema, 429: ErrorSchema, ...responses });
    route.schema.description = `${route.schema.description ? `${route.schema.description}\n\n` : ''}Needs an API key with the \`${role}\` role (or higher).`;
  });
  if (specs.length === 0) return;
  const keyring = createKeyring(specs);
  const failures = createFailureCounter(authFailureLimit);
  // A callback hook, not an async one: no promise and no extra microtask on every request. It runs
  // after the instance's onRequest hooks (shedding, security headers), and only on routes that need
  // a role: open routes (probes, docs) do not call it at all.
  const checkFor =
    (required: Role): onRequestHookHandler =>
    (request, reply, done) => {
      let failure: AppError | undefined;
      try {
        request.principal = authenticate(request, required);
        reply.header('cache-control', 'no-store');
      } catch (error) {
        failure = error as AppError;
      }
      done(failure);
    };
  app.addHook('onRoute', (route) => {
    const role = route.config?.role;
    if (!role) return;
    const check = checkFor(role);
    const hooks = route.onRequest;
    route.onRequest = hooks === undefined ? [check] : Array.isArray(hooks) ? [...hooks, check] : [hooks, check];
  });

  /** The request's principal, or the AppError that refuses it (401, 403, or 429 after too many failures). */
  function authenticate(request: FastifyRequest, required: Role): Principal {
    const blocked = failures.blockedFor(request.ip);
    if (blocked > 0) throw new AppError('RATE_LIMITED', `too many failed authentications from this address: retry in ${blocked} s`, { retryAfter: blocked });
    const token = bearerToken(request);
    // The messages never repeat what was sent: a mistyped key must not travel back into a log.
    if (token === undefined) {
      failures.fail(request.ip);
      throw new AppError('UNAUTHORIZED', 'send an API key as Authorization: Bearer <key>');
    }
    const principal = keyring.find(token);
    if (!principal) {
      failures.fail(request.ip);
      throw new AppError('UNAUTHORIZED', 'the API key is not valid');
    }
    if (rank[principal.role] < rank[required]) throw new AppError('FORBIDDEN', `this route needs the ${required} role; the key has ${principal.role}`);
    const projectId = (request.params as { projectId?: unknown } | undefined)?.projectId;
    if (typeof projectId === 'string' && !allowsProject(principal, projectId)) {
      throw new AppError('FORBIDDEN', 'the API key does not cover this project');
    }
    // Admin routes outside a project (config, export, import) reach every project: not for a limited key.
    if (required === 'admin' && projectId === undefined && principal.projects) {
      throw new AppError('FORBIDDEN', 'this route reaches every project; the API key is limited to some');
    }
    return principal;
  }
}
