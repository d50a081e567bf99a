/** The vector API (DESIGN.md section 4): collections, documents, search, ingest jobs. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ProjectParamsSchema } from '../schemas/entities.js';
import { ErrorSchema } from '../errors.js';
import { allowsProject } from '../auth.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import type { Filter } from '../vectors/port.js';
import {
  CollectionParamsSchema,
  CollectionSchema,
  CreateCollectionSchema,
  DeleteByFilterSchema,
  DeletedSchema,
  DocumentBatchSchema,
  DocumentInputSchema,
  DocumentParamsSchema,
  DocumentSchema,
  JobRequestSchema,
  JobSchema,
  ScrollQuerySchema,
  SearchRequestSchema,
  SearchResponseSchema,
} from '../schemas/vectors.js';

const errors = { 400: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema };
const tags = ['vectors'];
const collectionPath = '/v1/projects/:projectId/collections/:collection';

function parseFilter(text: string | undefined): Filter | undefined {
  if (text === undefined) return undefined;
  let filter: unknown;
  try {
    filter = JSON.parse(text);
  } catch {
    throw new AppError('INVALID_FILTER', 'filter is not valid JSON');
  }
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) throw new AppError('INVALID_FILTER', 'filter must be a JSON object');
  return filter as Filter;
}

export const vectorRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const vectors = services.vectors;
  const jobs = services.jobs;

  app.get(
    '/v1/projects/:projectId/collections',
    {
      config: { role: 'read' },
      schema: {
        tags,
        summary: "List a project's collections",
        params: ProjectParamsSchema,
        response: { 200: Type.Object({ items: Type.Array(CollectionSchema) }), ...errors },
      },
    },
    async (request) => ({ items: await vectors.listCollections(request.params.projectId) }),
  );

  app.put(
    collectionPath,
    {
      config: { role: 'write' },
      schema: {
        tags,
        summary: 'Create a collection (idempotent), recording its embedding model, dimensions and cosine distance',
        params: CollectionParamsSchema,
        body: CreateCollectionSchema,
        response: { 200: CollectionSchema, ...errors },
      },
    },
    async (request) => vectors.createCollection(request.params.projectId, request.params.collection, request.body ?? {}),
  );

  app.get(
    collectionPath,
    {
      config: { role: 'read' },
      schema: {
        tags,
        summary: 'A collection with its document count, dimensions and model',
        params: CollectionParamsSchema,
        response: { 200: CollectionSchema, ...errors },
      },
    },
    async (request) => vectors.getCollection(request.params.projectId, request.params.collection),
  );

  app.delete(
    collectionPath,
    {
      config: { role: 'write' },
      schema: { tags, summary: 'Delete a collection and its documents', params: CollectionParamsSchema, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      await vectors.deleteCollection(request.params.projectId, request.params.collection);
      return reply.status(204).send(null);
    },
  );

  app.put(
    `${collectionPath}/documents/:id`,
    {
      config: { role: 'write' },
      schema: {
        tags,
        summary: 'Upsert one document; embedded server-side when no embedding is sent',
        description: 'Creates the collection with the configured embedder when absent. A re-upserted id replaces the document.',
        params: DocumentParamsSchema,
        body: DocumentInputSchema,
        response: { 200: Type.Object({ upserted: Type.Integer() }), ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (request.body.id !== undefined && request.body.id !== id) {
        throw new AppError('ID_MISMATCH', `body id ${JSON.stringify(request.body.id)} differs from the URL's ${JSON.stringify(id)}`);
      }
      return { upserted: await vectors.upsert(request.params.projectId, request.params.collection, [{ ...request.body, id }]) };
    },
  );

  app.post(
    `${collectionPath}/documents/batch`,
    {
      config: { role: 'write' },
      schema: {
        tags,
        summary: 'Upsert up to 1,000 documents: all or nothing',
        params: CollectionParamsSchema,
        body: DocumentBatchSchema,
        response: { 200: Type.Object({ upserted: Type.Integer() }), ...errors },
      },
    },
    async (request) => {
      const ids = new Set(request.body.items.map((item) => item.id));
      if (ids.size !== request.body.items.length) {
        // Later duplicates would silently win; say so instead.
        throw new AppError('VALIDATION_FAILED', 'items carry the same id more than once');
      }
      return { upserted: await vectors.upsert(request.params.projectId, request.params.collection, request.body.items) };
    },
  );

  app.get(
    `${collectionPath}/documents/:id`,
    {
      config: { role: 'read' },
      schema: {
        tags,
        summary: 'Get one document',
        params: DocumentParamsSchema,
        querystring: Type.Object({ includeVector: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
        response: { 200: DocumentSchema, ...errors },
      },
    },
    async (request) => vectors.get(request.params.projectId, request.params.collection, request.params.id, request.query.includeVector ?? false),
  );

  app.get(
    `${collectionPath}/documents`,
    {
      config: { role: 'read' },
      schema: {
        tags,
        summary: 'Scroll documents, optionally filtered by metadata',
        params: CollectionParamsSchema,
        querystring: ScrollQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(DocumentSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
    },
    async (request) =>
      vectors.scroll(request.params.projectId, request.params.collection, {
        filter: parseFilter(request.query.filter),
        limit: request.query.limit ?? 100,
        cursor: request.query.cursor,
        includeContent: request.query.includeContent ?? true,
        includeVector: request.query.includeVector ?? false,
      }),
  );

  app.delete(
    `${collectionPath}/documents/:id`,
    {
      config: { role: 'write' },
      schema: {
        tags,
        summary: 'Delete one document; answers how many were deleted (0 or 1)',
        params: DocumentParamsSchema,
        response: { 200: DeletedSchema, ...errors },
      },
    },
    async (request) => ({ deleted: await vectors.deleteById(request.params.projectId, request.params.collection, request.params.id) }),
  );

  app.post(
    `${collectionPath}/documents/delete`,
    {
      config: { role: 'write' },
      schema: {
        tags,
        summary: 'Delete every document matching a filter (e.g. all chunks of one filePath); answers the count',
        params: CollectionParamsSchema,
        body: DeleteByFilterSchema,
        response: { 200: DeletedSchema, ...errors },
      },
    },
    async (request) => ({ deleted: await vectors.deleteByFilter(request.params.projectId, request.params.collection, request.body.filter as Filter) }),
  );

  app.post(
    `${collectionPath}/search`,
    {
      config: { role: 'read' },
      schema: {
        tags,
        summary: 'Search by vector, keyword (BM25) or both (hybrid, reciprocal-rank fusion)',
        description:
          '`score` is always higher-is-more-similar: cosine similarity in vector mode, BM25 relevance in keyword mode, the fused reciprocal-rank score in hybrid mode.',
        params: CollectionParamsSchema,
        body: SearchRequestSchema,
        response: { 200: SearchResponseSchema, ...errors },
      },
    },
    async (request) => ({
      results: await vectors.search(request.params.projectId, request.params.collection, {
        ...request.body,
        filter: request.body.filter as Filter | undefined,
      }),
    }),
  );

  app.post(
    `${collectionPath}/jobs`,
    {
      config: { role: 'write' },
      schema: {
        tags,
        summary: 'Ingest many documents in the background; poll GET /v1/jobs/{jobId}',
        params: CollectionParamsSchema,
        body: JobRequestSchema,
        response: { 202: Type.Object({ jobId: Type.String() }), 429: ErrorSchema, ...errors },
      },
    },
    async (request, reply) => {
      const job = await jobs.submit(request.params.projectId, request.params.collection, request.body.items, request.principal?.id ?? `address ${request.ip}`);
      return reply.status(202).send({ jobId: job.jobId });
    },
  );

  app.get(
    '/v1/jobs/:jobId',
    {
      config: { role: 'read' },
      schema: {
        tags,
        summary: "An ingest job's progress and final report",
        params: Type.Object({ jobId: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: JobSchema, ...errors },
      },
    },
    async (request) => {
      const job = await jobs.get(request.params.jobId);
      // Another project's job answers like an unknown one: its existence is not this key's to know.
      if (!allowsProject(request.principal, job.projectId)) throw new AppError('JOB_NOT_FOUND', `job ${JSON.stringify(request.params.jobId)} not found`);
      return job;
    },
  );
};
