/**
 * Schemas of the project routes (metadata, stats, intelligence replace), kept
 * apart from the routes so the typed client can read their static types
 * without pulling in any server module.
 */
import Type, { type TArray, type TNull, type TObject, type TOptional, type TSchema, type TUnion } from 'typebox';
import { fieldSchema, type FieldSchema } from '../entities/define.js';
import { learnedEntities, projectFieldDefinitions } from '../entities/registry.js';
import { MAX_BATCH_ITEMS, ProjectIdSchema, entitySchemas, itemSchema, type TypedEntitySchemas } from './entities.js';

type ProjectFields = typeof projectFieldDefinitions;
type LearnedEntities = typeof learnedEntities;

export const ProjectSchema = Type.Object(
  { projectId: ProjectIdSchema, ...itemSchema(projectFieldDefinitions, ['createdAt', 'updatedAt']).properties },
  { title: 'Project' },
);

type ProjectInputProperties = { [K in keyof ProjectFields]: TOptional<TUnion<[FieldSchema<ProjectFields[K]>, TNull]>> } & {
  projectId: TOptional<typeof ProjectIdSchema>;
};

function projectInput(partial: boolean): TObject<ProjectInputProperties> {
  const properties: Record<string, TSchema> = {};
  for (const [field, spec] of Object.entries(projectFieldDefinitions)) properties[field] = Type.Optional(Type.Union([fieldSchema(spec), Type.Null()]));
  properties.projectId = Type.Optional(ProjectIdSchema);
  return Type.Object(properties, {
    additionalProperties: false,
    description: partial ? 'fields to change; null clears' : 'the whole metadata',
  }) as unknown as TObject<ProjectInputProperties>;
}

export const ProjectPutSchema = projectInput(false);
export const ProjectPatchSchema = projectInput(true);

const GroupSchema = Type.Object({ key: Type.Union([Type.String(), Type.Number(), Type.Null()]), count: Type.Integer() });

export const EntityStatsSchema = Type.Object({
  count: Type.Integer(),
  byType: Type.Optional(Type.Array(GroupSchema)),
  confidence: Type.Optional(
    Type.Object({
      high: Type.Integer({ description: 'confidence >= 0.8' }),
      medium: Type.Integer({ description: '0.5 <= confidence < 0.8' }),
      low: Type.Integer({ description: 'confidence < 0.5' }),
      average: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
  latestUpdate: Type.Union([Type.String(), Type.Null()]),
});

export const StatsSchema = Type.Object({
  projectId: Type.String(),
  schemaVersion: Type.Integer(),
  entities: Type.Record(Type.String(), EntityStatsSchema),
  vectors: Type.Object({ collections: Type.Integer(), documents: Type.Integer() }),
});

type IntelligenceProperties = { [S in keyof LearnedEntities]: TOptional<TArray<TypedEntitySchemas<LearnedEntities[S]>['keyedInput']>> };
type IntelligenceResultProperties = { [S in keyof LearnedEntities]: TOptional<ReturnType<typeof Type.Integer>> };

const sections = Object.entries(learnedEntities).map(([section, entity]) => [section, entitySchemas(entity).keyedInput] as const);

export const IntelligenceSchema = Type.Object(
  Object.fromEntries(sections.map(([section, items]) => [section, Type.Optional(Type.Array(items, { maxItems: MAX_BATCH_ITEMS * 20 }))])),
  { additionalProperties: false, description: 'Each section present replaces all of that entity in the project; absent sections are untouched.' },
) as unknown as TObject<IntelligenceProperties>;

export const IntelligenceResultSchema = Type.Object(
  Object.fromEntries(sections.map(([section]) => [section, Type.Optional(Type.Integer())])),
) as unknown as TObject<IntelligenceResultProperties>;
