/**
 * buildApp: the Fastify application over ready services. It never listens;
 * server.ts owns the logger, listen and shutdown, tests use `inject()`.
 */
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { entities } from './entities/registry.js';
import { AppError } from './errors.js';
import { handleError, handleNotFound } from './http-errors.js';
import type { Services } from './services.js';
import { createValidatorCompiler } from './validation.js';
import { registerJsonParser } from './json-body.js';
import { adminRoutes } from './routes/admin.js';
import { backupRoutes } from './routes/backup.js';
import { entityRoutes } from './routes/entities.js';
import { healthRoutes } from './routes/health.js';
import { measureRequests, metricsRoutes } from './routes/metrics.js';
import { projectRoutes } from './routes/projects.js';
import { vectorRoutes } from './routes/vectors.js';

export interface AppOptions {
  services: Services;
  /** A pino logger; none (silent) in tests. */
  logger?: FastifyBaseLogger;
}

export const API_VERSION = '0.1.0';

/** One log line per request, when it completes (Fastify's default writes two). */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // `ip` is the client's address: the proxy's X-Forwarded-For only when the proxy is trusted (TRUST_PROXY).
    const line = { method: request.method, url: request.url, ip: request.ip, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request');
  }
}

export async function buildApp({ services, logger }: AppOptions): Promise<FastifyInstance> {
  const app = fastify({
    loggerInstance: logger,
    bodyLimit: services.config.server.bodyLimit,
    trustProxy: services.config.server.trustProxy,
    logController: new OneLinePerRequest(),
    // A malformed percent-encoding in the URL answers like every other error.
    frameworkErrors: (error, request, reply) => handleError(new AppError('MALFORMED_URL', error.message), request, reply),
    // Encoded ids (file paths with %2F) arrive as one path segment.
    routerOptions: { maxParamLength: 4096 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerJsonParser(app);
  app.setValidatorCompiler(createValidatorCompiler());
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'in-memoria-storage',
        description: 'Storage service for In-Memoria: projects, relational intelligence entities and vector search over REST.',
        version: API_VERSION,
      },
      tags: [
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'admin', description: 'Configuration and operations' },
        { name: 'projects', description: 'Projects, stats and intelligence replace' },
        { name: 'vectors', description: 'Collections, documents, vector/keyword/hybrid search, ingest jobs' },
        ...entities.map((entity) => ({ name: entity.name, description: entity.title })),
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  measureRequests(app, services.metrics);
  await app.register(healthRoutes, { services });
  await app.register(metricsRoutes, { services });
  await app.register(adminRoutes, { services });
  await app.register(backupRoutes, { services });
  await app.register(projectRoutes, { services });
  for (const entity of entities) await app.register(entityRoutes, { services, entity });
  await app.register(vectorRoutes, { services });
  await app.ready();
  return app;
}
