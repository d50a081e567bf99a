/**
 * Validation of HTTP traffic against Qdrant's own OpenAPI 3.0 description
 * (/work/shared/qdrant/openapi-v1.19.json). The test server uses it to check
 * every request the real client sends and every response it answers with, so a
 * request that real Qdrant would reject cannot pass unnoticed.
 *
 * OpenAPI 3.0 is not JSON Schema: `nullable` is rewritten into JSON Schema
 * `null` types, and Qdrant's numeric formats (uint, uint64, float, ...) are
 * registered so that ajv checks them instead of failing on unknown formats.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export const QDRANT_SPEC_PATH = process.env.QDRANT_OPENAPI_SPEC ?? '/work/shared/qdrant/openapi-v1.19.json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonObject;
}

interface SpecOperation {
  operationId: string;
  parameters?: SpecParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonObject }> };
  responses: Record<string, { content?: Record<string, { schema: JsonObject }> }>;
}

export interface MatchedOperation {
  operationId: string;
  method: string;
  template: string;
  pathParams: Record<string, string>;
}

export interface ValidationResult {
  ok: boolean;
  errors: string[];
  /** Query parameters coerced to the types the spec declares. */
  query: Record<string, unknown>;
}

const SCHEMA_ID = 'qdrant-openapi.json';

/** Rewrites OpenAPI 3.0 `nullable` into JSON Schema and points `$ref`s at the registered document. */
export function normaliseSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(normaliseSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || key === 'example') continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.startsWith('#/') ? `${SCHEMA_ID}${value}` : value;
      continue;
    }
    // `properties` maps names to schemas: never treat a property called "nullable" as the keyword.
    if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, normaliseSchema(schema)]));
      continue;
    }
    out[key] = normaliseSchema(value);
  }
  if (node.nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return out;
  }
  const { description, default: dflt, ...rest } = out;
  const meta: JsonObject = {};
  if (description !== undefined) meta.description = description;
  if (dflt !== undefined) meta.default = dflt;
  if (Object.keys(rest).length === 0) return { ...meta, type: 'null' };
  return { ...meta, anyOf: [rest, { type: 'null' }] };
}

function integerFormat(min: number, max: number) {
  return { type: 'number' as const, validate: (n: number) => Number.isInteger(n) && n >= min && n <= max };
}

function createAjv(coerceTypes: boolean, components: Json): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('uint', integerFormat(0, Number.MAX_SAFE_INTEGER));
  ajv.addFormat('uint64', integerFormat(0, Number.MAX_SAFE_INTEGER));
  ajv.addFormat('uint32', integerFormat(0, 2 ** 32 - 1));
  ajv.addFormat('uint16', integerFormat(0, 2 ** 16 - 1));
  ajv.addFormat('uint8', integerFormat(0, 255));
  ajv.addFormat('int64', integerFormat(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  ajv.addFormat('int32', integerFormat(-(2 ** 31), 2 ** 31 - 1));
  // Qdrant's own datetime grammar is looser than RFC 3339; the server parses it itself.
  ajv.addFormat('partial-date-time', { type: 'string', validate: () => true });
  ajv.addSchema({ $id: SCHEMA_ID, components } as object);
  return ajv;
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

interface CompiledRoute {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  op: SpecOperation;
}

export class QdrantOpenApi {
  private readonly routes: CompiledRoute[] = [];
  private readonly bodyAjv: Ajv;
  private readonly queryAjv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(specPath = QDRANT_SPEC_PATH) {
    const spec = JSON.parse(readFileSync(specPath, 'utf8')) as {
      paths: Record<string, Record<string, SpecOperation>>;
      components: Json;
    };
    const components = normaliseSchema(spec.components);
    this.bodyAjv = createAjv(false, components);
    this.queryAjv = createAjv(true, components);
    for (const [template, methods] of Object.entries(spec.paths)) {
      const names: string[] = [];
      const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      for (const [method, op] of Object.entries(methods)) {
        this.routes.push({ method: method.toUpperCase(), template, regex: new RegExp(`^${pattern}$`), names, op });
      }
    }
    // Literal segments win over templated ones (/collections/aliases vs /collections/{name}).
    this.routes.sort((a, b) => a.names.length - b.names.length);
  }

  /** Finds the operation for a method and path; null when the spec has none. */
  match(method: string, pathname: string): MatchedOperation | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const found = route.regex.exec(pathname);
      if (!found) continue;
      const pathParams: Record<string, string> = {};
      route.names.forEach((name, i) => {
        pathParams[name] = decodeURIComponent(found[i + 1] ?? '');
      });
      return { operationId: route.op.operationId, method, template: route.template, pathParams };
    }
    return null;
  }

  private route(match: MatchedOperation): CompiledRoute {
    const route = this.routes.find((r) => r.method === match.method && r.template === match.template);
    if (!route) throw new Error(`no route ${match.method} ${match.template}`);
    return route;
  }

  private compile(key: string, ajv: Ajv, schema: Json): ValidateFunction {
    let fn = this.cache.get(key);
    if (!fn) {
      fn = ajv.compile(normaliseSchema(schema) as object);
      this.cache.set(key, fn);
    }
    return fn;
  }

  /** Validates query parameters (from the URL) and the JSON body against the operation's schemas. */
  validateRequest(match: MatchedOperation, searchParams: URLSearchParams, body: unknown, hasBody: boolean): ValidationResult {
    const { op } = this.route(match);
    const errors: string[] = [];
    const params = op.parameters ?? [];
    const querySpec = params.filter((p) => p.in === 'query');
    const query: Record<string, unknown> = {};
    for (const [name, value] of searchParams) {
      if (!querySpec.some((p) => p.name === name)) errors.push(`unknown query parameter "${name}"`);
      query[name] = value;
    }
    const querySchema: JsonObject = {
      type: 'object',
      properties: Object.fromEntries(querySpec.map((p) => [p.name, p.schema])),
      required: querySpec.filter((p) => p.required).map((p) => p.name),
    };
    const validateQuery = this.compile(`${match.method} ${match.template} query`, this.queryAjv, querySchema);
    if (!validateQuery(query)) errors.push(...describe(validateQuery.errors).map((e) => `query ${e}`));
    for (const p of params.filter((p) => p.in === 'path')) {
      const validatePath = this.compile(`${match.method} ${match.template} path ${p.name}`, this.queryAjv, p.schema);
      if (!validatePath(match.pathParams[p.name])) errors.push(`path parameter ${p.name} is invalid`);
    }
    const bodySchema = op.requestBody?.content['application/json']?.schema;
    if (!hasBody) {
      if (op.requestBody?.required) errors.push('request body is required');
    } else if (!bodySchema) {
      errors.push('operation takes no request body');
    } else {
      const validateBody = this.compile(`${match.method} ${match.template} body`, this.bodyAjv, bodySchema);
      if (!validateBody(body)) errors.push(...describe(validateBody.errors).map((e) => `body ${e}`));
    }
    return { ok: errors.length === 0, errors, query };
  }

  /** Validates a JSON response body against the schema the spec gives for that status. */
  validateResponse(match: MatchedOperation, status: number, body: unknown): string[] {
    const { op } = this.route(match);
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => op.responses[k]);
    if (!key) return [`status ${status} is not documented for ${match.operationId}`];
    const content = op.responses[key]?.content;
    const schema = content?.['application/json']?.schema ?? content?.['text/plain']?.schema;
    if (!schema) return [];
    const validate = this.compile(`${match.method} ${match.template} response ${key}`, this.bodyAjv, schema);
    return validate(body) ? [] : describe(validate.errors).map((e) => `response ${status} ${e}`);
  }
}
