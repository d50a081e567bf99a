/**
 * Projects (In-Memoria's project_metadata), per-project stats, the atomic
 * intelligence replace, the current work session, and project deletion.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type TObject } from 'typebox';
import { workSessions } from '../entities/registry.js';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, ProjectParamsSchema, entitySchemas } from '../schemas/entities.js';
import { ErrorSchema } from '../errors.js';
import { IntelligenceResultSchema, IntelligenceSchema, ProjectPatchSchema, ProjectPutSchema, ProjectSchema, StatsSchema } from '../schemas/projects.js';
import type { Services } from '../services.js';

const errors = { 400: ErrorSchema, 404: ErrorSchema, 503: ErrorSchema };
const tags = ['projects'];
// Wide views of the typed schemas: the relational service returns untyped rows.
const projectSchema: TObject = ProjectSchema;

export const projectRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const relational = services.relational;
  // The wide schema: the relational service returns untyped rows.
  const sessionSchema: TObject = entitySchemas(workSessions).item;

  app.get(
    '/v1/projects',
    {
      config: { role: 'read' },
      schema: {
        tags,
        summary: 'List projects',
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT })),
            cursor: Type.Optional(Type.String({ maxLength: 512 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(projectSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
    },
    async (request) => {
      // A key limited to projects lists only those: the others' names are theirs too.
      const only = request.principal?.projects && [...request.principal.projects];
      return relational.listProjects(request.query.limit ?? DEFAULT_LIST_LIMIT, request.query.cursor, only);
    },
  );

  app.get(
    '/v1/projects/:projectId',
    {
      config: { role: 'read' },
      schema: { tags, summary: "Get a project's metadata", params: ProjectParamsSchema, response: { 200: projectSchema, ...errors } },
    },
    async (request) => relational.getProject(request.params.projectId),
  );

  app.put(
    '/v1/projects/:projectId',
    {
      config: { role: 'write' },
      schema: {
        tags,
        summary: 'Create a project or replace its metadata',
        params: ProjectParamsSchema,
        body: ProjectPutSchema,
        response: { 200: projectSchema, ...errors },
      },
    },
    async (request) => {
      const { projectId: _ignored, ...metadata } = request.body as Record<string, unknown>;
      return relational.putProject(request.params.projectId, metadata);
    },
  );

  app.patch(
    '/v1/projects/:projectId',
    {
      config: { role: 'write' },
      schema: {
        tags,
        summary: "Update some of a project's metadata",
        params: ProjectParamsSchema,
        body: ProjectPatchSchema,
        response: { 200: projectSchema, ...errors },
      },
    },
    async (request) => {
      const { projectId: _ignored, ...changes } = request.body as Record<string, unknown>;
      return relational.patchProject(request.params.projectId, changes);
    },
  );

  app.delete(
    '/v1/projects/:projectId',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Delete a project and everything it holds',
        params: ProjectParamsSchema,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await services.projects.delete(request.params.projectId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/projects/:projectId/stats',
    {
      config: { role: 'read' },
      schema: {
        tags,
        summary: 'Counts per entity, by type, confidence bands, latest update and schema version',
        params: ProjectParamsSchema,
        response: { 200: StatsSchema, ...errors },
      },
    },
    async (request) => {
      const projectId = request.params.projectId;
      const collections = await services.vectors.listCollections(projectId);
      return {
        projectId,
        ...(await relational.stats(projectId)),
        vectors: { collections: collections.length, documents: collections.reduce((sum, collection) => sum + collection.count, 0) },
      };
    },
  );

  app.put(
    '/v1/projects/:projectId/intelligence',
    {
      config: { role: 'write' },
      schema: {
        tags,
        summary: "Replace a project's learned intelligence in one transaction",
        description: 'Sections: concepts, patterns, files, features, entryPoints, keyDirectories. A re-learn never piles up duplicates.',
        params: ProjectParamsSchema,
        body: IntelligenceSchema,
        response: { 200: Type.Object({ replaced: IntelligenceResultSchema }), ...errors },
      },
    },
    async (request) => ({ replaced: await relational.replaceIntelligence(request.params.projectId, request.body as never) }),
  );

  app.get(
    '/v1/projects/:projectId/work-sessions/current',
    {
      config: { role: 'read' },
      schema: {
        tags: [workSessions.name],
        summary: 'The open work session (no sessionEnd) with the latest start',
        params: ProjectParamsSchema,
        response: { 200: sessionSchema, ...errors },
      },
    },
    async (request) => relational.currentWorkSession(request.params.projectId),
  );
};
