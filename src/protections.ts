/**
 * Secure defaults around every route: security headers, CORS only when
 * configured, per-key rate limits (429 with Retry-After), and load shedding
 * (503 with Retry-After) when the event loop falls behind, so an overload
 * turns away some requests instead of slowing every one of them to a timeout.
 */
import cors from '@fastify/cors';
import helmet from 'helmet';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { LOOPBACK_HOSTS, type Config } from './config.js';
import { AppError } from './errors.js';

const SHED_RETRY_AFTER_SECONDS = 2;
const MIN_SAMPLE_INTERVAL_MS = 100;

/** The host name of a Host header, without its port or IPv6 brackets, lower-cased. */
function hostName(header: string): string {
  const name = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.split(':')[0]!;
  return name.toLowerCase();
}

export async function registerProtections(app: FastifyInstance, config: Config): Promise<void> {
  const { corsOrigins, rateLimit: limit, loadShedEventLoopDelayMs } = config.server;
  if (config.apiKeys.length === 0) {
    // Without keys the service listens on loopback only, but a web page can still reach it through a
    // name it controls that resolves to 127.0.0.1 (DNS rebinding); browsers send that name as Host.
    app.addHook('onRequest', (request, _reply, done) => {
      const host = request.headers.host;
      if (host !== undefined && !LOOPBACK_HOSTS.has(hostName(host))) {
        return done(new AppError('UNTRUSTED_HOST', 'without API keys the service answers only to localhost, 127.0.0.1 and [::1]'));
      }
      done();
    });
  }
  if (loadShedEventLoopDelayMs > 0) {
    // under-pressure reads the mean of Node's event-loop delay histogram once per window and counts an
    // empty window as an infinite delay (fastify/under-pressure#125). With 100 ms windows, one 200 ms
    // parse of a large batch shed the next requests of a single, sequential client. A window is empty
    // with fewer than two turns of the loop in it, not one: the histogram records the time between two
    // of its timer's runs, and the first run after each reading starts afresh. Windows as long as the
    // limit still shed, rarely, under 150 ms stalls against a 300 ms limit (one sample per window, lost
    // to a turn's timing). Three limits long, a window holds at least two samples unless a stall
    // reaches the limit, which is what shedding is for.
    const window = Math.max(MIN_SAMPLE_INTERVAL_MS, 3 * loadShedEventLoopDelayMs);
    // Start-up (compiling every route's schemas) stalls the loop too, and is not an overload:
    // shedding starts two windows after the app is ready, once those samples have aged out.
    let shedFrom = Infinity;
    app.addHook('onReady', async () => {
      shedFrom = performance.now() + 2 * window;
    });
    await app.register(underPressure, {
      maxEventLoopDelay: loadShedEventLoopDelayMs,
      sampleInterval: window,
      // Probes (/health, /ready, /metrics: no role) always answer, and truthfully: an orchestrator must not
      // restart a service because it shed load. Elsewhere a rejected promise reaches the error handler.
      pressureHandler: async (request) => {
        if (!request.routeOptions.config.role || performance.now() < shedFrom) return;
        throw new AppError('OVERLOADED', 'the service is overloaded; retry shortly', { retryAfter: SHED_RETRY_AFTER_SECONDS });
      },
    });
  }
  const securityHeaders = helmetHeaders();
  // Callback hooks here and in auth.ts: an async hook costs a promise and a microtask on every request.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(securityHeaders);
    done();
  });
  if (corsOrigins) {
    await app.register(cors, {
      origin: corsOrigins,
      methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type'],
      maxAge: 600,
    });
  }
  if (limit.max > 0) {
    // Open routes (health, readiness, metrics, docs) are never limited: probes must always get through.
    // Marked before the plugin sees the route, so they carry no rate-limit hook at all (an allow-list
    // still ran the plugin's async hook on every probe).
    app.addHook('onRoute', (route) => {
      if (!route.config?.role) route.config = { ...route.config, rateLimit: false };
    });
    await app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.windowMs,
      // After the auth hook (onRequest), so the bucket is the key's, not the address's.
      hook: 'preValidation',
      keyGenerator: (request) => request.principal?.id ?? `ip ${request.ip}`,
      errorResponseBuilder: (_request, context) =>
        new AppError('RATE_LIMITED', `rate limit of ${context.max} requests per ${limit.windowMs / 1000} s reached; retry in ${context.after}`, {
          retryAfter: Math.max(1, Math.ceil(context.ttl / 1000)),
        }),
    });
  }
}

/**
 * Helmet's security headers, computed once. They depend on the options only, never on the request;
 * @fastify/helmet builds the whole helmet middleware again on every request, which halved the rate
 * of a cheap route. The API answers JSON only; a CSP would only constrain the Swagger UI page, which
 * brings its own scripts.
 */
function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false })({} as IncomingMessage, response as unknown as ServerResponse, () => {});
  return headers;
}
