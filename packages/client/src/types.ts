/**
 * Request and response types of every endpoint, read with `Static<...>` from
 * the very TypeBox schemas the server validates with, so client and server
 * cannot drift. Type imports only: none of these modules is loaded at run time.
 */
import type { Static } from 'typebox';
import type { EntityDefinition } from '../../../src/entities/define.js';
import type * as registry from '../../../src/entities/registry.js';
import type { CountSchema, TypedEntitySchemas } from '../../../src/schemas/entities.js';
import type { ErrorSchema } from '../../../src/errors.js';
import type {
  IntelligenceResultSchema,
  IntelligenceSchema,
  ProjectPatchSchema,
  ProjectPutSchema,
  ProjectSchema,
  StatsSchema,
} from '../../../src/schemas/projects.js';
import type { ImportReportSchema } from '../../../src/schemas/backup.js';
import type { HealthSchema, ReadySchema } from '../../../src/schemas/health.js';
import type {
  CollectionSchema,
  CreateCollectionSchema,
  DocumentInputSchema,
  DocumentSchema,
  JobSchema,
  KeyedDocumentInputSchema,
  SearchRequestSchema,
  SearchResponseSchema,
} from '../../../src/schemas/vectors.js';
import type { Filter } from '../../../src/vectors/port.js';

type Registry = typeof registry;

/** Every entity definition of the registry, by its URL name (`concepts`, `entry-points`, ...). */
type Definitions = {
  [K in keyof Registry as Registry[K] extends EntityDefinition & { name: infer N extends string } ? N : never]: Registry[K] extends EntityDefinition
    ? Registry[K]
    : never;
};

export type EntityName = keyof Definitions;
type Schemas<N extends EntityName> = TypedEntitySchemas<Definitions[N]>;

/** A stored row, as every read answers it. */
export type EntityItem<N extends EntityName> = Static<Schemas<N>['item']>;
/** The body of `PUT /E/{id}`: the key may be left out (it comes from the URL). */
export type EntityInput<N extends EntityName> = Static<Schemas<N>['put']>;
/** One item of `POST /E/batch` (and of the intelligence replace): the key is in the body. */
export type EntityKeyedInput<N extends EntityName> = Static<Schemas<N>['keyedInput']>;
/** The body of `PATCH /E/{id}`: any subset; `null` clears a field. */
export type EntityPatch<N extends EntityName> = Static<Schemas<N>['patch']>;
export type EntityListQuery<N extends EntityName> = Static<Schemas<N>['listQuery']>;
export type EntityCountQuery<N extends EntityName> = Static<Schemas<N>['countQuery']>;

export interface Page<T> {
  items: T[];
  /** Absent or null on the last page. */
  nextCursor?: string | null;
}
export type CountResult = Static<typeof CountSchema>;
export type ErrorBody = Static<typeof ErrorSchema>;
/** What `POST /v1/import` answers: counts, and count and checksum per key. */
export type ImportReport = Static<typeof ImportReportSchema>;

export type Concept = EntityItem<'concepts'>;
export type Pattern = EntityItem<'patterns'>;
export type FileIntelligenceItem = EntityItem<'files'>;
export type Insight = EntityItem<'insights'>;
export type Feature = EntityItem<'features'>;
export type EntryPointItem = EntityItem<'entry-points'>;
export type KeyDirectoryItem = EntityItem<'key-directories'>;
export type WorkSessionItem = EntityItem<'work-sessions'>;
export type Decision = EntityItem<'decisions'>;
export type ArchitectureDecision = EntityItem<'architecture-decisions'>;
export type SharedPattern = EntityItem<'shared-patterns'>;

export type Project = Static<typeof ProjectSchema>;
export type ProjectInput = Static<typeof ProjectPutSchema>;
export type ProjectPatch = Static<typeof ProjectPatchSchema>;
export type ProjectStats = Static<typeof StatsSchema>;
export type IntelligenceInput = Static<typeof IntelligenceSchema>;
export type IntelligenceResult = { replaced: Static<typeof IntelligenceResultSchema> };

export type Health = Static<typeof HealthSchema>;
export type Readiness = Static<typeof ReadySchema>;

export type Collection = Static<typeof CollectionSchema>;
export type CreateCollection = Static<typeof CreateCollectionSchema>;
/** A vector as the client takes it: numbers, base64 float32 text, or a Float32Array (sent as base64: a third of the bytes, no digits to parse). */
export type VectorInput = number[] | string | Float32Array;
export type DocumentInput = Omit<Static<typeof DocumentInputSchema>, 'embedding'> & { embedding?: VectorInput };
export type KeyedDocumentInput = Omit<Static<typeof KeyedDocumentInputSchema>, 'embedding'> & { embedding?: VectorInput };
export type StoredDocument = Static<typeof DocumentSchema>;
/** The search body; `filter` narrowed to the filter language the service accepts. */
export type SearchRequest = Omit<Static<typeof SearchRequestSchema>, 'filter' | 'vector'> & { filter?: Filter; vector?: VectorInput };
export type SearchResponse = Static<typeof SearchResponseSchema>;
export type SearchResult = SearchResponse['results'][number];
export type Job = Static<typeof JobSchema>;
export type { Filter };

export interface ScrollQuery {
  filter?: Filter;
  limit?: number;
  cursor?: string;
  includeContent?: boolean;
  includeVector?: boolean;
}
