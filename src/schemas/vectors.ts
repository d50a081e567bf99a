/** Request and response schemas of the vector API (DESIGN.md section 4), shared by routes, OpenAPI and the client. */
import Type from 'typebox';
import { ProjectIdSchema } from './entities.js';

export const MAX_DOCUMENT_BATCH = 1000;
export const MAX_JOB_ITEMS = 100_000;
export const MAX_CONTENT_LENGTH = 1_000_000;
export const MAX_DIMENSIONS = 8192;
/** Metadata is for filtering, and comes back with every hit: its JSON is bounded, so a listing's size is. */
export const MAX_METADATA_LENGTH = 65_536;

export const CollectionNameSchema = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$',
  description: 'collection name: [A-Za-z0-9][A-Za-z0-9._-]{0,127}',
});
export const DocumentIdSchema = Type.String({ minLength: 1, maxLength: 1024, description: "the caller's id, e.g. concept_123" });

export const CollectionParamsSchema = Type.Object({ projectId: ProjectIdSchema, collection: CollectionNameSchema });
export const DocumentParamsSchema = Type.Object({ projectId: ProjectIdSchema, collection: CollectionNameSchema, id: DocumentIdSchema });

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
export const MetadataSchema = Type.Record(
  Type.String({ minLength: 1, maxLength: 256 }),
  Type.Union([Scalar, Type.Null(), Type.Array(Scalar, { maxItems: 1000 })]),
  {
    maxProperties: 64,
    description:
      'a flat JSON object, at most 65,536 characters as JSON: scalars or arrays of scalars (In-Memoria sends filePath, language, functionName, className, complexity, lineCount, lastModified)',
  },
);

// Finite doubles only (1e999 parses to Infinity); float32 overflow is checked after conversion, as INVALID_VECTOR.
const EmbeddingArraySchema = Type.Array(Type.Number({ minimum: -Number.MAX_VALUE, maximum: Number.MAX_VALUE }), { minItems: 1, maxItems: MAX_DIMENSIONS });
/** The longest base64 vector: MAX_DIMENSIONS float32 values. */
export const MAX_BASE64_VECTOR_LENGTH = Math.ceil((MAX_DIMENSIONS * 4) / 3) * 4;
// The alphabet, the padding, whole float32 values and the length bound are checked when decoding (as
// INVALID_VECTOR): a pattern or a maxLength here walks every character, 5 ms per 1,000 vectors.
const EmbeddingBase64Schema = Type.String({ description: `1 to ${MAX_DIMENSIONS} float32 values, at most ${MAX_BASE64_VECTOR_LENGTH} characters` });
export const EmbeddingSchema = Type.Union([EmbeddingArraySchema, EmbeddingBase64Schema], {
  description:
    'the vector: an array of numbers, or its float32 values little-endian in standard base64 (as OpenAI answers with encoding_format "base64"), a fraction of the JSON to parse',
});

// Shape checks stop at the field level: operators are validated by src/vectors/filter.ts, so an
// unknown operator is an INVALID_FILTER naming it rather than a generic schema failure.
export const FilterSchema = Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.Unknown(), {
  maxProperties: 32,
  description: '{field: value} or {field: {in|nin|gt|gte|lt|lte|ne: operand}}; fields are ANDed',
});

export const CollectionSchema = Type.Object(
  { name: Type.String(), count: Type.Integer(), dimensions: Type.Integer(), model: Type.String(), distance: Type.Literal('cosine') },
  { title: 'Collection' },
);

export const CreateCollectionSchema = Type.Object(
  {
    dimensions: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DIMENSIONS })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false, description: "defaults to the configured embedder's model and dimensions" },
);

export const DocumentInputSchema = Type.Object(
  {
    // What GET answers can be sent back: an id equal to the URL's is accepted, another is ID_MISMATCH.
    id: Type.Optional(DocumentIdSchema),
    content: Type.String({ minLength: 1, maxLength: MAX_CONTENT_LENGTH }),
    metadata: Type.Optional(MetadataSchema),
    embedding: Type.Optional(EmbeddingSchema),
  },
  { additionalProperties: false },
);

export const KeyedDocumentInputSchema = Type.Object({ ...DocumentInputSchema.properties, id: DocumentIdSchema }, { additionalProperties: false });

export const DocumentSchema = Type.Object(
  {
    id: Type.String(),
    content: Type.Optional(Type.String()),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    embedding: Type.Optional(Type.Array(Type.Number())),
  },
  { title: 'Document' },
);

export const DocumentBatchSchema = Type.Object(
  { items: Type.Array(KeyedDocumentInputSchema, { minItems: 1, maxItems: MAX_DOCUMENT_BATCH }) },
  { additionalProperties: false },
);
export const JobRequestSchema = Type.Object(
  { items: Type.Array(KeyedDocumentInputSchema, { minItems: 1, maxItems: MAX_JOB_ITEMS }) },
  { additionalProperties: false },
);

export const ScrollQuerySchema = Type.Object(
  {
    filter: Type.Optional(Type.String({ maxLength: 65536, description: 'a filter as JSON, e.g. {"language":"ts"}' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 4096 })),
    includeContent: Type.Optional(Type.Boolean({ default: true })),
    includeVector: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const SearchRequestSchema = Type.Object(
  {
    query: Type.Optional(Type.String({ minLength: 1, maxLength: 100_000 })),
    vector: Type.Optional(EmbeddingSchema),
    mode: Type.Optional(
      Type.Union([Type.Literal('vector'), Type.Literal('keyword'), Type.Literal('hybrid')], {
        description: 'default: vector when a vector is sent or no query, else hybrid',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 10 })),
    threshold: Type.Optional(
      Type.Number({ minimum: -1e9, maximum: 1e9, description: 'keep scores strictly greater; in hybrid mode, bounds the vector cosine similarity' }),
    ),
    filter: Type.Optional(FilterSchema),
    includeContent: Type.Optional(Type.Boolean({ default: true })),
    includeVector: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const SearchResponseSchema = Type.Object({
  results: Type.Array(
    Type.Object({
      id: Type.String(),
      score: Type.Number(),
      content: Type.Optional(Type.String()),
      metadata: Type.Record(Type.String(), Type.Unknown()),
      embedding: Type.Optional(Type.Array(Type.Number())),
    }),
  ),
});

export const DeleteByFilterSchema = Type.Object({ filter: FilterSchema }, { additionalProperties: false });
export const DeletedSchema = Type.Object({ deleted: Type.Integer() });

export const JobSchema = Type.Object(
  {
    jobId: Type.String(),
    projectId: Type.String(),
    collection: Type.String(),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
    processed: Type.Integer(),
    total: Type.Integer(),
    failed: Type.Integer(),
    etaSeconds: Type.Union([Type.Number(), Type.Null()]),
    errors: Type.Array(Type.Object({ id: Type.String(), code: Type.String(), message: Type.String() })),
    createdAt: Type.String(),
    finishedAt: Type.Optional(Type.String()),
  },
  { title: 'Job' },
);
