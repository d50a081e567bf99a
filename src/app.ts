/**
 * buildApp: the Fastify application over ready services. It never listens;
 * server.ts owns the logger, listen and shutdown, tests use `inject()`.
 */
import { levels } from 'pino';
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { registerAuth } from './auth.js';
import { registerProtections } from './protections.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { entities } from './entities/registry.js';
import { ErrorSchema } from './errors.js';
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

/**
 * Every route answers errors with the same body: the document names it once under
 * components and refers to it, instead of repeating it in some six hundred responses.
 */
// ErrorSchema carries `title: 'Error'` (src/errors.ts): that is how its copies are found.
function shareErrorSchema<T extends object>(document: T): T {
  const isError = (node: unknown) => (node as { title?: unknown } | null)?.title === 'Error';
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    if (isError(node)) return { $ref: '#/components/schemas/Error' };
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, visit(value)]));
  };
  const shared = visit(document) as T & { components?: { schemas?: Record<string, unknown> } };
  shared.components = { ...shared.components, schemas: { ...shared.components?.schemas, Error: ErrorSchema } };
  return shared;
}

export interface AppOptions {
  services: Services;
  /** A pino logger; none (silent) in tests. */
  logger?: FastifyBaseLogger;
  /** Sees every route as it is added (the auth matrix test enumerates them with it). */
  onRoute?: (route: RouteOptions) => void;
}

export const API_VERSION = '0.1.0';

/** One log line per request, when it completes (Fastify's default writes two). */
class OneLinePerRequest extends LogController {
  /** Whether the level writes request lines (info or finer); checked once, not on every request. */
  constructor(private readonly lines: boolean) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // `ip` is the client's address: the proxy's X-Forwarded-For only when the proxy is trusted (TRUST_PROXY).
    if (!error && !this.lines) return;
    const line = { method: request.method, url: request.url, ip: request.ip, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request');
  }
}

export async function buildApp({ services, logger, onRoute }: AppOptions): Promise<FastifyInstance> {
  const app = fastify({
    loggerInstance: logger,
    bodyLimit: services.config.server.bodyLimit,
    trustProxy: services.config.server.trustProxy,
    logController: new OneLinePerRequest(logger !== undefined && (levels.values[logger.level] ?? Infinity) <= levels.values.info!),
    // A malformed percent-encoding in the URL answers like every other error.
    frameworkErrors: (error, request, reply) => void handleError(new AppError('MALFORMED_URL', error.message), request, reply),
    // Encoded ids (file paths with %2F) arrive as one path segment.
    routerOptions: { maxParamLength: 4096 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  if (onRoute) app.addHook('onRoute', onRoute);
  registerJsonParser(app);
  // Before any route: their onRoute and onRequest hooks must see every route.
  await registerProtections(app, services.config);
  registerAuth(app, services.config.apiKeys, services.config.server.authFailureLimit);
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
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from STORAGE_API_KEYS: Authorization: Bearer <key>' } },
      },
      tags: [
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'admin', description: 'Configuration and operations' },
        { name: 'projects', description: 'Projects, stats and intelligence replace' },
        { name: 'vectors', description: 'Collections, documents, vector/keyword/hybrid search, ingest jobs' },
        ...entities.map((entity) => ({ name: entity.name, description: entity.title })),
      ],
    },
    // Always an OpenAPI 3 document here (the `openapi` option above).
    transformObject: (document) => ('openapiObject' in document ? shareErrorSchema(document.openapiObject) : document.swaggerObject),
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
