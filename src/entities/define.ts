/**
 * How an entity is described. One definition per entity (see registry.ts)
 * drives the SQL, the route schemas, the filters and the sort orders, so the
 * twelve entities are not written out twelve times.
 */
import Type, { type TInteger, type TNumber, type TSchema, type TString, type TUnknown } from 'typebox';

/**
 * A field's kind decides its JSON schema, its SQL column type and how values
 * are encoded for storage and decoded from rows.
 * - `json` holds any JSON value (TEXT on SQLite, JSONB on PostgreSQL).
 * - `timestamp` is ISO-8601 UTC in JSON (TEXT on SQLite, TIMESTAMPTZ on PostgreSQL).
 */
export type FieldKind = 'string' | 'integer' | 'number' | 'json' | 'timestamp';

export interface FieldDefinition {
  kind: FieldKind;
  /** Required on create (the key is always required). */
  required?: boolean;
  /** Filled in when absent on create, so the column is never NULL. */
  default?: string | number;
  /** A timestamp filled with the time of the write when absent. */
  defaultNow?: boolean;
  /** Longest accepted string (keys only: nothing else is bounded but by the body limit). */
  maxLength?: number;
}

/** How the service fills a timestamp the client did not send. */
export interface TimestampRoles {
  /** Set on insert (the client's value, else now), kept on every later update. */
  created?: string;
  /** Set to now on every write through the API; imports keep the value they carry. */
  touched?: string;
}

export interface EntityDefinition {
  /** URL segment under /v1/projects/{projectId}/. */
  name: string;
  /** OpenAPI tag and human name. */
  title: string;
  table: string;
  /** The field that identifies a row inside a project (the `{id}` in URLs). */
  key: string;
  fields: Record<string, FieldDefinition>;
  /** Fields allowed as equality filters on list and count. */
  filters: string[];
  /** The field `q` searches (case-insensitive substring). */
  searchField?: string;
  /** Fields allowed in `sort`; each is never NULL (required or defaulted). */
  sortable: string[];
  /** Default order: field names, `-` prefix for descending. The key always breaks ties. */
  defaultSort: string[];
  /** Fields allowed in `groupBy` on count. */
  groupBy: string[];
  timestamps: TimestampRoles;
  /** The field whose value is a confidence in [0, 1], for stats bands. */
  confidenceField?: string;
}

/**
 * `const` keeps each definition's literal types (field kinds, key, timestamp
 * roles), so the schemas derived from it carry static types the typed client
 * reads with `Static<...>`.
 */
export function defineEntity<const E extends EntityDefinition>(definition: E): E {
  const known = new Set(Object.keys(definition.fields));
  const referenced = [
    definition.key,
    ...definition.filters,
    ...definition.sortable,
    ...definition.defaultSort.map((field) => field.replace(/^-/, '')),
    ...definition.groupBy,
    ...(definition.searchField ? [definition.searchField] : []),
    ...(definition.confidenceField ? [definition.confidenceField] : []),
    ...Object.values(definition.timestamps),
  ];
  for (const field of referenced) {
    if (!known.has(field)) throw new Error(`entity ${definition.name}: unknown field ${field}`);
  }
  for (const field of definition.sortable) {
    const spec = definition.fields[field]!;
    const neverNull =
      field === definition.key || spec.required || spec.default !== undefined || spec.defaultNow || Object.values(definition.timestamps).includes(field);
    if (!neverNull) throw new Error(`entity ${definition.name}: sortable field ${field} may be NULL`);
  }
  return definition;
}

/** camelCase JSON name -> snake_case column name. */
export function columnName(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

export const MAX_KEY_LENGTH = 1024;
/**
 * A key's UTF-8 bytes at most: PostgreSQL's btree entries hold at most 2,704 bytes, and an index holds
 * a key whole beside the project id and up to two 128-character prefixes (4 bytes a character at most).
 */
export const MAX_KEY_BYTES = 1024;
/** Characters of a non-key string PostgreSQL's indexes hold: it sorts and filters by the prefix, then by the whole value. */
export const INDEXED_PREFIX_LENGTH = 128;

/** The static TypeBox type `fieldSchema` returns for a field of kind `F['kind']`. */
export type FieldSchema<F extends FieldDefinition> = F['kind'] extends 'string' | 'timestamp'
  ? TString
  : F['kind'] extends 'integer'
    ? TInteger
    : F['kind'] extends 'number'
      ? TNumber
      : TUnknown;

/** The JSON schema of one field's value, as clients send and receive it. */
export function fieldSchema<F extends FieldDefinition>(spec: F): FieldSchema<F> {
  return fieldSchemaOf(spec) as FieldSchema<F>;
}

function fieldSchemaOf(spec: FieldDefinition): TSchema {
  switch (spec.kind) {
    case 'string':
      return Type.String(spec.maxLength ? { maxLength: spec.maxLength } : {});
    case 'integer':
      return Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
    case 'number':
      // Bounds keep out Infinity (JSON such as 1e999 parses to it).
      return Type.Number({ minimum: -Number.MAX_VALUE, maximum: Number.MAX_VALUE });
    case 'json':
      return Type.Unknown({ description: 'any JSON value' });
    case 'timestamp':
      return Type.String({ format: 'date-time', description: 'ISO-8601 timestamp; stored and returned in UTC' });
  }
}

/** The static type `filterSchema` returns: numbers stay numbers, everything else is a string. */
export type FilterSchema<F extends FieldDefinition> = F['kind'] extends 'integer' | 'number' ? FieldSchema<F> : TString;

/** The schema of a filter value in a query string (strings are coerced by the validator). */
export function filterSchema<F extends FieldDefinition>(spec: F): FilterSchema<F> {
  return filterSchemaOf(spec) as FilterSchema<F>;
}

function filterSchemaOf(spec: FieldDefinition): TSchema {
  switch (spec.kind) {
    case 'integer':
    case 'number':
      return fieldSchema(spec);
    case 'timestamp':
      return Type.String({ format: 'date-time' });
    default:
      return Type.String({ maxLength: MAX_KEY_LENGTH });
  }
}
