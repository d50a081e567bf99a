/**
 * Backup over HTTP: `GET /v1/export` streams the NDJSON of src/backup and
 * `POST /v1/import` takes it back. Both need the `admin` role (src/auth.ts),
 * and a key limited to some projects cannot use them: they reach every project.
 */
import { PassThrough, Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { exportBackup } from '../backup/export.js';
import { importBackup } from '../backup/import.js';
import { streamSink } from '../backup/sink.js';
import { spool } from '../backup/spool.js';
import { ErrorSchema } from '../errors.js';
import { PROJECT_ID_PATTERN } from '../entities/project-id.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';
import { ImportReportSchema } from '../schemas/backup.js';

const NDJSON = 'application/x-ndjson';
const tags = ['admin'];
export const backupRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  // The import body is read as a stream into a temporary file (IMPORT_MAX_BYTES, not BODY_LIMIT), verified whole, then written a batch at a time.
  app.addContentTypeParser(NDJSON, (_request, payload, done) => done(null, payload));

  app.get(
    '/v1/export',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Export every project (or those named) as NDJSON: header, projects, entity rows, collections with documents and vectors, trailer (admin)',
        querystring: Type.Object(
          { projects: Type.Optional(Type.String({ description: 'comma-separated project ids; every project when absent', maxLength: 65536 })) },
          { additionalProperties: false },
        ),
        produces: [NDJSON],
        response: { 200: Type.String({ description: 'NDJSON, one record per line (docs/BACKUP.md)' }), 400: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request, reply) => {
      const projects = request.query.projects
        ?.split(',')
        .map((id) => id.trim())
        .filter(Boolean);
      for (const id of projects ?? []) {
        if (!PROJECT_ID_PATTERN.test(id)) throw new AppError('INVALID_PROJECT_ID', `${JSON.stringify(id)} is not a valid project id`);
      }
      const body = new PassThrough();
      const sink = streamSink(body, 'the export client went away', services.config.server.exportIdleTimeoutMs);
      exportBackup(services, sink, { projects }).then(
        () => body.end(),
        (error: unknown) => {
          // Headers are sent: the only way left to say "failed" is to cut the stream, which an import reports as truncated.
          request.log.error({ err: error }, 'export failed mid-stream');
          body.destroy(error instanceof Error ? error : new Error(String(error)));
        },
      );
      // The 200 schema documents the NDJSON for OpenAPI; a stream is sent as it is, never serialised.
      return reply.type(NDJSON).send(body as unknown as string);
    },
  );

  app.post(
    '/v1/import',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary:
          'Import an NDJSON export, idempotently: verified whole (schemas, sizes, checksums) before anything is written, then written in all-or-nothing batches (admin)',
        querystring: Type.Object(
          {
            reembed: Type.Optional(
              Type.Boolean({ description: "embed documents again with this service's embedder instead of refusing vectors of another size" }),
            ),
          },
          { additionalProperties: false },
        ),
        consumes: [NDJSON],
        response: { 200: ImportReportSchema, 400: ErrorSchema, 413: ErrorSchema, 415: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => {
      // Any other content type was parsed already (JSON): the import reads NDJSON only, as a stream.
      if (!(request.body instanceof Readable)) throw new AppError('UNSUPPORTED_MEDIA_TYPE', `POST /v1/import takes ${NDJSON}`);
      const staged = await spool(request.body, services.config.imports.maxBytes);
      try {
        return await importBackup(services, staged.open, { reembed: request.query.reembed ?? false });
      } finally {
        staged.remove();
      }
    },
  );
};
