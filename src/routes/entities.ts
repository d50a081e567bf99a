/**
 * The routes of one entity, registered once per entity of the registry:
 * list, count, get, put (upsert), patch, delete and batch upsert.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { EntityDefinition } from '../entities/define.js';
import { KeyParamsSchema, ProjectParamsSchema, entitySchemas } from '../schemas/entities.js';
import { ErrorSchema } from '../errors.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';

export interface EntityRoutesOptions {
  services: Services;
  entity: EntityDefinition;
}

const errors = { 400: ErrorSchema, 404: ErrorSchema, 503: ErrorSchema };

export const entityRoutes: FastifyPluginAsyncTypebox<EntityRoutesOptions> = async (app, { services, entity }) => {
  const schemas = entitySchemas(entity);
  const relational = services.relational;
  const base = `/v1/projects/:projectId/${entity.name}`;
  const tags = [entity.name];
  const filterFields = new Set(entity.filters);
  const read = { role: 'read' as const };
  const write = { role: 'write' as const };

  /** Splits a validated query string into equality filters and the rest. */
  function filtersOf(query: Record<string, unknown>): Record<string, string | number> {
    const filters: Record<string, string | number> = {};
    for (const [field, value] of Object.entries(query)) if (filterFields.has(field)) filters[field] = value as string | number;
    return filters;
  }

  app.get(
    base,
    {
      config: read,
      schema: {
        tags,
        summary: `List ${entity.title.toLowerCase()}`,
        description: `Equality filters: ${entity.filters.join(', ') || 'none'}. Default order: ${entity.defaultSort.join(', ')}.`,
        params: ProjectParamsSchema,
        querystring: schemas.listQuery,
        response: { 200: schemas.page, ...errors },
      },
    },
    async (request) => {
      const query = request.query as Record<string, unknown>;
      return relational.list(entity.name, request.params.projectId, {
        filters: filtersOf(query),
        q: query.q as string | undefined,
        sort: query.sort as string | undefined,
        limit: query.limit as number,
        cursor: query.cursor as string | undefined,
      });
    },
  );

  app.get(
    `${base}/count`,
    {
      config: read,
      schema: {
        tags,
        summary: `Count ${entity.title.toLowerCase()}`,
        description: `Group by: ${entity.groupBy.join(', ') || 'none'}.`,
        params: ProjectParamsSchema,
        querystring: schemas.countQuery,
        response: { 200: schemas.count, ...errors },
      },
    },
    async (request) => {
      const query = request.query as Record<string, unknown>;
      return relational.count(entity.name, request.params.projectId, {
        filters: filtersOf(query),
        q: query.q as string | undefined,
        groupBy: query.groupBy as string | undefined,
      });
    },
  );

  app.post(
    `${base}/batch`,
    {
      config: write,
      schema: {
        tags,
        summary: `Upsert up to 5,000 ${entity.title.toLowerCase()} in one transaction`,
        description: 'All or nothing: one invalid item and nothing is written.',
        params: ProjectParamsSchema,
        body: schemas.batch,
        response: { 200: Type.Object({ upserted: Type.Integer() }), ...errors },
      },
    },
    async (request) => {
      const upserted = await relational.batch(entity.name, request.params.projectId, request.body.items as Record<string, unknown>[]);
      return { upserted };
    },
  );

  app.get(
    `${base}/:id`,
    {
      config: read,
      schema: {
        tags,
        summary: `Get one of ${entity.title.toLowerCase()} by ${entity.key}`,
        params: KeyParamsSchema,
        response: { 200: schemas.item, ...errors },
      },
    },
    async (request) => relational.get(entity.name, request.params.projectId, request.params.id),
  );

  app.put(
    `${base}/:id`,
    {
      config: write,
      schema: {
        tags,
        summary: `Create or replace one of ${entity.title.toLowerCase()}`,
        description: `Idempotent. ${entity.timestamps.created ? `${entity.timestamps.created} is kept on update. ` : ''}${entity.timestamps.touched ? `${entity.timestamps.touched} is set to now.` : ''}`,
        params: KeyParamsSchema,
        body: schemas.put,
        response: { 200: schemas.item, ...errors },
      },
    },
    async (request) => {
      const body = request.body as Record<string, unknown>;
      assertKeyMatches(entity, body, request.params.id);
      return relational.put(entity.name, request.params.projectId, request.params.id, body);
    },
  );

  app.patch(
    `${base}/:id`,
    {
      config: write,
      schema: {
        tags,
        summary: `Update some fields of one of ${entity.title.toLowerCase()}`,
        description: 'Fields sent as null are cleared. 404 when absent.',
        params: KeyParamsSchema,
        body: schemas.patch,
        response: { 200: schemas.item, ...errors },
      },
    },
    async (request) => {
      const body = request.body as Record<string, unknown>;
      assertKeyMatches(entity, body, request.params.id);
      return relational.patch(entity.name, request.params.projectId, request.params.id, body);
    },
  );

  app.delete(
    `${base}/:id`,
    {
      config: write,
      schema: { tags, summary: `Delete one of ${entity.title.toLowerCase()}`, params: KeyParamsSchema, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      await relational.remove(entity.name, request.params.projectId, request.params.id);
      return reply.status(204).send(null);
    },
  );
};

function assertKeyMatches(entity: EntityDefinition, body: Record<string, unknown>, id: string): void {
  const key = body[entity.key];
  if (key !== undefined && key !== id) {
    throw new AppError('ID_MISMATCH', `body ${entity.key} ${JSON.stringify(key)} differs from the URL's ${JSON.stringify(id)}`);
  }
}
