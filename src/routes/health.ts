/** Liveness (no dependency touched) and readiness (every provider checked, with latency). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';
import { HealthSchema, ReadySchema } from '../schemas/health.js';

const READY_TIMEOUT_MS = 2000;

export const healthRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/health',
    {
      schema: { tags: ['health'], summary: 'Liveness: the process answers', response: { 200: HealthSchema } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['health'],
        summary: "Readiness: each provider's health and latency; 503 when one is down",
        response: { 200: ReadySchema, 503: ReadySchema },
      },
    },
    async (request, reply) => {
      const providers = await Promise.all(
        services.providers.map(async (provider) => {
          const started = performance.now();
          let error: string | undefined;
          try {
            await withTimeout(provider.check(), READY_TIMEOUT_MS);
          } catch (cause) {
            error = publicReason(cause);
            request.log.warn({ provider: provider.name, err: cause }, `not ready: ${error}`);
          }
          const latencyMs = Math.round((performance.now() - started) * 100) / 100;
          return { name: provider.name, provider: provider.provider, ok: error === undefined, latencyMs, ...(error ? { error } : {}) };
        }),
      );
      const ready = providers.every((provider) => provider.ok);
      if (!ready) reply.header('retry-after', '5');
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', providers });
    },
  );
};

/**
 * What the open /ready says of a failure: its kind (`PostgreSQL is unavailable: TLS failed (TLS
 * verify-full)`, `Qdrant is unavailable: authentication failed (401)`, `no answer within 2000 ms`), never the driver's words,
 * which name internal addresses (`connect ECONNREFUSED 10.0.3.7:5432`); those go to the log.
 */
export function publicReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const kind = /^(\w+)(?: at \S+)? is unavailable(: TLS failed|: authentication failed \(\d{3}\))?( \([\w -]+\))?/.exec(message);
  if (kind) return `${kind[1]} is unavailable${kind[2] ?? ''}${kind[3] ?? ''}`;
  return /^no answer within \d+ ms$/.test(message) ? message : 'unavailable';
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
