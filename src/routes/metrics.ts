/** Prometheus metrics: request counts and latency by route pattern, providers, embeddings, jobs, pool. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Metrics } from '../metrics.js';
import type { Services } from '../services.js';

/**
 * Measures every request. Called on the root instance (a hook added inside a
 * registered plugin would only see that plugin's routes). By route pattern
 * (`/v1/projects/:projectId/files/:id`), never the raw URL: ids must not become label values.
 */
export function measureRequests(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

export const metricsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { registry } = services.metrics;
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format); reads memory only, never the data stores',
        produces: ['text/plain'],
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
};
