/**
 * The one place errors become HTTP answers `{statusCode, code, error, message}`.
 * Fastify's own errors (validation, JSON parsing, body size) are mapped to
 * codes from the table; anything unexpected is a 500 whose details go to the
 * log, never to the client.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';
import { entitiesByName } from './entities/registry.js';
import { explainingIssue, type ValidationIssue } from './validation.js';

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: ValidationIssue[]; validationContext?: string };
  if (fastifyError.validation) return fromValidation(fastifyError.validation, fastifyError.validationContext ?? 'request');
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('BODY_TOO_LARGE', 'request body is larger than the service accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'send JSON with Content-Type: application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('MALFORMED_JSON', 'request body is not valid JSON');
  }
  if (error instanceof SyntaxError || /prototype property/.test(fastifyError.message ?? '')) {
    return new AppError('MALFORMED_JSON', `request body is not acceptable JSON: ${fastifyError.message}`);
  }
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) return new AppError('BAD_REQUEST', fastifyError.message ?? 'bad request');
  return new AppError('INTERNAL_ERROR', 'internal error', { cause: error });
}

function fromValidation(issues: ValidationIssue[], context: string): AppError {
  const issue = explainingIssue(issues);
  const field = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (context === 'params' && field === 'projectId') {
    return new AppError('INVALID_PROJECT_ID', 'projectId must match [a-z0-9][a-z0-9._-]{0,127}');
  }
  if (context === 'querystring') {
    if (issue.keyword === 'additionalProperties') {
      return new AppError('UNKNOWN_FILTER_FIELD', `unknown query parameter ${JSON.stringify(issue.params.additionalProperty)}`);
    }
    if (field === 'limit') return new AppError('LIMIT_OUT_OF_RANGE', `limit ${issue.message ?? 'is out of range'}`);
  }
  if (context === 'body' && field === 'items' && (issue.keyword === 'maxItems' || issue.keyword === 'minItems')) {
    return new AppError('BATCH_TOO_LARGE', `items ${issue.message}`);
  }
  const where = field ? `${context}.${field}` : context;
  const detail = issue.keyword === 'additionalProperties' ? `has unknown field ${JSON.stringify(issue.params.additionalProperty)}` : issue.message;
  return new AppError('VALIDATION_FAILED', `${where} ${detail ?? 'is invalid'}`);
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void | Promise<void> {
  const appError = toAppError(error);
  if (appError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
  // Every 503 and 429 tells the client when to come back, even from an adapter that did not say.
  const retryAfter = appError.retryAfter ?? (appError.statusCode === 503 || appError.statusCode === 429 ? 5 : undefined);
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  if (appError.code === 'BODY_TOO_LARGE' && !request.raw.complete) {
    // Answering while the client still sends makes Node close the socket under it (the client sees
    // EPIPE, not the 413): read and drop the rest first, within bounds, and close after the answer.
    return discardBody(request.raw).then(() => {
      reply.header('connection', 'close').status(appError.statusCode).send(appError.toJSON());
    });
  }
  reply.status(appError.statusCode).send(appError.toJSON());
}

/** The most of an oversized body dropped before the 413: a client sending more (or slower) gets the answer and a closed connection. */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
const DISCARD_MAX_MS = 10_000;

function discardBody(body: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let dropped = 0;
    const done = () => {
      clearTimeout(timer);
      body.off('data', onData).off('end', done).off('error', done).off('close', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DISCARD_MAX_BYTES) done();
    };
    const timer = setTimeout(done, DISCARD_MAX_MS);
    body.on('data', onData).once('end', done).once('error', done).once('close', done);
    body.resume();
  });
}

const projectSubresources = new Set(['stats', 'intelligence', 'collections']);

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0] ?? '';
  const segment = /^\/v1\/projects\/[^/]+\/([^/]+)/.exec(path)?.[1];
  const error =
    segment && !entitiesByName.has(segment) && !projectSubresources.has(segment)
      ? new AppError('UNKNOWN_ENTITY', `unknown entity ${JSON.stringify(segment)}; known: ${[...entitiesByName.keys()].join(', ')}`)
      : new AppError('ROUTE_NOT_FOUND', `no route ${request.method} ${path}`);
  reply.status(error.statusCode).send(error.toJSON());
}
