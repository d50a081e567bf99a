/**
 * Request validation. Query strings and path parameters arrive as text, so
 * their validator coerces ("10" -> 10); bodies are JSON and must already have
 * the right types, so their validator never coerces (5 is not "5", null is not "").
 * Unknown fields are errors, never silently removed.
 */
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

function createAjv(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats.default(ajv);
  return ajv;
}

export interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * The issue that explains a failure. Without allErrors Ajv stops at the first failure, except in a
 * union (`anyOf`): there it lists each branch's failure, then the union's own. The branch that got
 * furthest into the value explains it (an array's bad item, not "must be string"; a string too long,
 * not "must be array"); when every branch failed on the value's type, the message names them all.
 */
export function explainingIssue(issues: readonly ValidationIssue[]): ValidationIssue {
  const candidates = issues.filter((issue) => issue.keyword !== 'anyOf');
  if (candidates.length === 0) return issues[0]!;
  const depth = Math.max(...candidates.map((issue) => issue.instancePath.length));
  const deepest = candidates.filter((issue) => issue.instancePath.length === depth);
  const telling = deepest.find((issue) => issue.keyword !== 'type');
  if (telling || deepest.length === 1) return telling ?? deepest[0]!;
  const types = [...new Set(deepest.map((issue) => String(issue.params.type)))];
  return { ...deepest[0]!, message: `must be ${types.join(' or ')}` };
}

/**
 * A body schema's check outside a request (rows read from a backup): the same
 * rules as a request body, so what the API refuses is refused there too.
 * Returns null when valid, else where and why (`confidenceScore must be number`).
 */
export function compileBodyCheck(schema: object): (value: unknown) => string | null {
  const validate = (bodyAjv ??= createAjv(false)).compile(schema);
  return (value) => {
    if (validate(value)) return null;
    const issue = explainingIssue(validate.errors!);
    const field = issue.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'the record';
    const detail = issue.keyword === 'additionalProperties' ? `has unknown field ${JSON.stringify(issue.params.additionalProperty)}` : issue.message;
    return `${field} ${detail ?? 'is invalid'}`;
  };
}
let bodyAjv: Ajv | undefined;

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv(false);
  const coercing = createAjv('array');
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}
