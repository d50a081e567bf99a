/**
 * Request and response schemas of every entity, derived from its definition.
 * The routes, the OpenAPI document and the typed client all use these, so
 * they cannot drift apart.
 */
import Type, { type TArray, type TInteger, type TNull, type TObject, type TOptional, type TSchema, type TString, type TUnion, type TUnknown } from 'typebox';
import {
  MAX_KEY_LENGTH,
  fieldSchema,
  filterSchema,
  type EntityDefinition,
  type FieldDefinition,
  type FieldSchema,
  type FilterSchema,
} from '../entities/define.js';
import { PROJECT_ID_SOURCE } from '../entities/project-id.js';

export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_BATCH_ITEMS = 5000;

export const ProjectIdSchema = Type.String({ pattern: PROJECT_ID_SOURCE, description: 'project id: [a-z0-9][a-z0-9._-]{0,127}' });
export const ProjectParamsSchema = Type.Object({ projectId: ProjectIdSchema });
export const KeyParamsSchema = Type.Object({
  projectId: ProjectIdSchema,
  id: Type.String({ minLength: 1, maxLength: MAX_KEY_LENGTH, description: 'the entity key; URL-encode slashes (%2F) in file paths' }),
});

const nullable = (schema: TSchema): TSchema => (Object.keys(schema).length === 0 ? schema : Type.Union([schema, Type.Null()]));

/** Fields a client may send; `requireKey` for batch items, which carry their key in the body. */
function inputSchema(fields: Record<string, FieldDefinition>, options: { key?: string; requireKey: boolean; partial: boolean }): TObject {
  const properties: Record<string, TSchema> = {};
  for (const [field, spec] of Object.entries(fields)) {
    const schema = fieldSchema(field === options.key ? { ...spec, maxLength: MAX_KEY_LENGTH } : spec);
    const mustBePresent = field === options.key ? options.requireKey : spec.required && !options.partial;
    if (field === options.key) {
      properties[field] = mustBePresent
        ? Type.String({ minLength: 1, maxLength: MAX_KEY_LENGTH })
        : Type.Optional(Type.String({ minLength: 1, maxLength: MAX_KEY_LENGTH }));
    } else if (mustBePresent) properties[field] = schema;
    else properties[field] = Type.Optional(spec.required ? schema : nullable(schema));
  }
  return Type.Object(properties, { additionalProperties: false });
}

/** A stored item: the `Required` fields always present, the others optional. */
export type ItemSchema<Fields extends Record<string, FieldDefinition>, Required extends string> = TObject<{
  [K in keyof Fields & string]: K extends Required ? FieldSchema<Fields[K]> : TOptional<FieldSchema<Fields[K]>>;
}>;

export function itemSchema<const Fields extends Record<string, FieldDefinition>, const Required extends string>(
  fields: Fields,
  required: Required[],
  title?: string,
): ItemSchema<Fields, Required> {
  const properties: Record<string, TSchema> = {};
  for (const [field, spec] of Object.entries(fields)) {
    properties[field] = (required as string[]).includes(field) ? fieldSchema(spec) : Type.Optional(fieldSchema(spec));
  }
  return Type.Object(properties, title ? { title } : {}) as unknown as ItemSchema<Fields, Required>;
}

const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase());

export interface EntitySchemas {
  item: TObject;
  /** One item as a batch carries it: the key in the body. */
  keyedInput: TObject;
  put: TObject;
  patch: TObject;
  batch: TObject;
  listQuery: TObject;
  countQuery: TObject;
  page: TObject;
  count: TObject;
}

/*
 * The static types of one entity's schemas, computed from its definition's
 * literal types. They mirror the runtime rules below (which fields are always
 * present, which inputs are required or nullable); the typed client reads them
 * with `Static<...>`. A definition typed only as `EntityDefinition` (the
 * routes, registered in a loop) gets the wide `EntitySchemas`.
 */
type Fields<E extends EntityDefinition> = E['fields'];
type TimestampField<E extends EntityDefinition> = Exclude<E['timestamps'][keyof E['timestamps']], undefined>;
type AlwaysPresent<E extends EntityDefinition> = {
  [K in keyof Fields<E> & string]: K extends E['key']
    ? K
    : Fields<E>[K] extends { required: true } | { default: string | number } | { defaultNow: true }
      ? K
      : K extends TimestampField<E>
        ? K
        : never;
}[keyof Fields<E> & string];
type Nullable<S extends TSchema> = S extends TUnknown ? S : TUnion<[S, TNull]>;
type InputProperties<E extends EntityDefinition, KeyRequired extends boolean, Partial extends boolean> = {
  [K in keyof Fields<E> & string]: K extends E['key']
    ? KeyRequired extends true
      ? TString
      : TOptional<TString>
    : Fields<E>[K] extends { required: true }
      ? Partial extends true
        ? TOptional<FieldSchema<Fields<E>[K]>>
        : FieldSchema<Fields<E>[K]>
      : TOptional<Nullable<FieldSchema<Fields<E>[K]>>>;
};
type FilterProperties<E extends EntityDefinition> = {
  [K in E['filters'][number] & keyof Fields<E> & string]: TOptional<FilterSchema<Fields<E>[K]>>;
};
type SearchProperties<E extends EntityDefinition> = E['searchField'] extends string ? { q: TOptional<TString> } : {};
type ListQueryProperties<E extends EntityDefinition> = FilterProperties<E> &
  SearchProperties<E> & { sort: TOptional<TString>; limit: TOptional<TInteger>; cursor: TOptional<TString> };
type CountQueryProperties<E extends EntityDefinition> = FilterProperties<E> & SearchProperties<E> & { groupBy: TOptional<TString> };

export interface TypedEntitySchemas<E extends EntityDefinition> extends EntitySchemas {
  item: ItemSchema<Fields<E>, AlwaysPresent<E>>;
  keyedInput: TObject<InputProperties<E, true, false>>;
  put: TObject<InputProperties<E, false, false>>;
  patch: TObject<InputProperties<E, false, true>>;
  batch: TObject<{ items: TArray<TObject<InputProperties<E, true, false>>> }>;
  listQuery: TObject<ListQueryProperties<E>>;
  countQuery: TObject<CountQueryProperties<E>>;
  page: TObject<{ items: TArray<ItemSchema<Fields<E>, AlwaysPresent<E>>>; nextCursor: TUnion<[TString, TNull]> }>;
  count: typeof CountSchema;
}

export type EntitySchemasOf<E extends EntityDefinition> = string extends keyof Fields<E> ? EntitySchemas : TypedEntitySchemas<E>;

export function entitySchemas<const E extends EntityDefinition>(entity: E): EntitySchemasOf<E> {
  return buildEntitySchemas(entity) as EntitySchemasOf<E>;
}

function buildEntitySchemas(entity: EntityDefinition): EntitySchemas {
  const alwaysPresent = Object.entries(entity.fields)
    .filter(
      ([field, spec]) =>
        field === entity.key || spec.required || spec.default !== undefined || spec.defaultNow || Object.values(entity.timestamps).includes(field),
    )
    .map(([field]) => field);
  const item = itemSchema(entity.fields, alwaysPresent, pascal(entity.name));
  const keyedInput = inputSchema(entity.fields, { key: entity.key, requireKey: true, partial: false });
  const filters: Record<string, TSchema> = {};
  for (const field of entity.filters) filters[field] = Type.Optional(filterSchema(entity.fields[field]!));
  const q: Record<string, TSchema> = entity.searchField
    ? { q: Type.Optional(Type.String({ maxLength: MAX_KEY_LENGTH, description: `case-insensitive substring of ${entity.searchField}` })) }
    : {};
  return {
    item,
    keyedInput,
    put: inputSchema(entity.fields, { key: entity.key, requireKey: false, partial: false }),
    patch: inputSchema(entity.fields, { key: entity.key, requireKey: false, partial: true }),
    batch: Type.Object({ items: Type.Array(keyedInput, { minItems: 1, maxItems: MAX_BATCH_ITEMS }) }, { additionalProperties: false }),
    listQuery: Type.Object(
      {
        ...filters,
        ...q,
        sort: Type.Optional(
          Type.String({
            maxLength: 256,
            description: `comma-separated fields, '-' for descending; allowed: ${entity.sortable.join(', ')}; default: ${entity.defaultSort.join(',')}`,
          }),
        ),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT })),
        cursor: Type.Optional(Type.String({ maxLength: 4096, description: 'nextCursor of the previous page' })),
      },
      { additionalProperties: false },
    ),
    countQuery: Type.Object(
      {
        ...filters,
        ...q,
        groupBy: Type.Optional(Type.String({ maxLength: 64, description: `one of: ${entity.groupBy.join(', ') || '(none)'}` })),
      },
      { additionalProperties: false },
    ),
    page: Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
    count: CountSchema,
  };
}

export const CountSchema = Type.Object({
  count: Type.Integer(),
  groups: Type.Optional(Type.Array(Type.Object({ key: Type.Union([Type.String(), Type.Number(), Type.Null()]), count: Type.Integer() }))),
});
