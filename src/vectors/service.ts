/**
 * The vector operations the routes call, over any VectorStore and Embedder:
 * collections with model provenance, documents embedded server-side when no
 * vector is sent, and search in vector, keyword and hybrid modes. The store
 * never sees text to embed; the embedder never sees the store.
 */
import type { CachedEmbedder } from '../embeddings/cache.js';
import { decodeVector, vectorToArray } from '../shared/vector-encoding.js';
import { AppError } from '../errors.js';
import { validateFilter } from './filter.js';
import type { Static } from 'typebox';
import { MAX_BASE64_VECTOR_LENGTH, MAX_DIMENSIONS, MAX_METADATA_LENGTH, type KeyedDocumentInputSchema, type SearchRequestSchema } from '../schemas/vectors.js';
import { fuseReciprocalRank } from './fusion.js';
import { inSlices } from './slices.js';
import type { CollectionInfo, CollectionSpec, Filter, Metadata, ScrollPage, SearchHit, StoredDocument, VectorDocument, VectorStore } from './port.js';

/** A document to upsert, as a batch item carries it. */
export type DocumentInput = Static<typeof KeyedDocumentInputSchema>;

export type SearchMode = NonNullable<SearchInput['mode']>;

/** A search as its route receives it; the filter's operators are checked here (validateFilter), not by the schema. */
export type SearchInput = Omit<Static<typeof SearchRequestSchema>, 'filter'> & { filter?: Filter };

/** What a client sees of a document: the vector as a plain array, under `embedding`. */
export interface DocumentView {
  id: string;
  content?: string;
  metadata: Metadata;
  embedding?: number[];
}

export interface SearchResult extends DocumentView {
  score: number;
}

export interface VectorService {
  readonly provider: string;
  /** The configured embedder's space: what text is embedded into. */
  readonly embedding: CollectionSpec;
  createCollection(projectId: string, name: string, spec: { dimensions?: number; model?: string }): Promise<CollectionInfo>;
  getCollection(projectId: string, name: string): Promise<CollectionInfo>;
  listCollections(projectId: string): Promise<CollectionInfo[]>;
  deleteCollection(projectId: string, name: string): Promise<void>;
  /** Upserts all or none; creates the collection with the configured embedder's spec when absent. */
  upsert(projectId: string, collection: string, documents: DocumentInput[]): Promise<number>;
  get(projectId: string, collection: string, id: string, includeVector: boolean): Promise<DocumentView>;
  scroll(
    projectId: string,
    collection: string,
    request: { filter?: Filter; limit: number; cursor?: string; includeContent: boolean; includeVector: boolean },
  ): Promise<{ items: DocumentView[]; nextCursor: string | null }>;
  deleteById(projectId: string, collection: string, id: string): Promise<number>;
  deleteByFilter(projectId: string, collection: string, filter: Filter): Promise<number>;
  search(projectId: string, collection: string, input: SearchInput): Promise<SearchResult[]>;
  /** Deletes every collection of the project and forgets its cached embeddings; true when it had collections. */
  deleteProject(projectId: string): Promise<boolean>;

  // What backup and import need: documents as stored (vectors as float32), and a backup's collections
  // restored as they were, whatever models clients may create (an import is an admin's call).
  embed(texts: string[], projectId: string): Promise<Float32Array[]>;
  /** A page of stored documents with content and vector, in id order. */
  documents(projectId: string, collection: string, page: { limit: number; cursor?: string }): Promise<ScrollPage>;
  importCollection(projectId: string, name: string, spec: CollectionSpec): Promise<CollectionInfo>;
  importDocuments(projectId: string, collection: string, documents: VectorDocument[]): Promise<void>;
}

/** How many candidates each ranking contributes to a hybrid fusion, per result asked for. */
const HYBRID_OVERSAMPLE = 4;
const HYBRID_MIN_CANDIDATES = 50;
/** A batch's vectors decoded between two turns of the event loop (~2 ms of 250 x 384 in base64 here). */
const DECODE_SLICE = 250;

export interface CollectionLimits {
  /** Embedding spaces a client may create collections in, beyond the embedder's (each may become a physical Qdrant collection). */
  allowedModels: CollectionSpec[];
  maxPerProject: number;
}

export interface VectorServiceOptions {
  store: VectorStore;
  embedder: CachedEmbedder;
  limits?: CollectionLimits;
  /** Bytes one search answer or scroll page may hold (budget.ts); unbounded when absent. */
  maxResponseBytes?: number;
  onProjectWrite?: (projectId: string) => Promise<void>;
}

export function createVectorService(options: VectorServiceOptions): VectorService {
  const { store, embedder } = options;
  const defaultSpec = { dimensions: embedder.dimensions, model: embedder.model };
  const allowedModels = [defaultSpec, ...(options.limits?.allowedModels ?? [])];
  const maxPerProject = options.limits?.maxPerProject ?? Infinity;

  /** A client chooses among configured embedding spaces only: each may cost a physical collection shared by every project. */
  function assertAllowed(spec: CollectionSpec): void {
    if (allowedModels.some((allowed) => allowed.model === spec.model && allowed.dimensions === spec.dimensions)) return;
    const list = allowedModels.map((allowed) => `${allowed.model}:${allowed.dimensions}`).join(', ');
    throw new AppError(
      'MODEL_NOT_ALLOWED',
      `model ${spec.model} with ${spec.dimensions} dimensions is not configured on this service (allowed: ${list}; an operator adds more with VECTOR_MODELS)`,
    );
  }

  /** Checked before each new collection; concurrent creations may pass it together, so the cap can be exceeded by that many. */
  async function assertRoom(projectId: string): Promise<void> {
    if ((await store.listCollections(projectId)).length < maxPerProject) return;
    throw new AppError(
      'TOO_MANY_COLLECTIONS',
      `project ${JSON.stringify(projectId)} already has ${maxPerProject} collections, the most this service allows (MAX_COLLECTIONS_PER_PROJECT); delete one first`,
    );
  }

  async function requireCollection(projectId: string, name: string): Promise<CollectionInfo> {
    const collection = await store.getCollection(projectId, name);
    if (!collection) throw new AppError('COLLECTION_NOT_FOUND', `collection ${JSON.stringify(name)} not found in project ${JSON.stringify(projectId)}`);
    return collection;
  }

  /** Text can be embedded for a collection only by the model that made its vectors. */
  function assertEmbeddable(collection: CollectionInfo): void {
    if (collection.model !== embedder.model || collection.dimensions !== embedder.dimensions) {
      throw new AppError(
        'MODEL_MISMATCH',
        `collection ${JSON.stringify(collection.name)} holds vectors of model ${collection.model} (${collection.dimensions} dimensions) but this service embeds with ${embedder.model} (${embedder.dimensions} dimensions); send vectors, or use a collection of the configured model`,
      );
    }
  }

  /** The port's preconditions on a vector: finite float32 (a finite double can overflow), not all zeros. Its size is the store's check (assertDimensions). */
  function toVector(values: number[] | string, what: string): Float32Array {
    const vector = typeof values === 'string' ? fromBase64(values, what) : Float32Array.from(values);
    // Finite doubles can still overflow float32 (1e39 -> Infinity). A plain loop: this runs for every vector of every batch.
    let nonZero = false;
    for (let index = 0; index < vector.length; index++) {
      const component = vector[index]!;
      if (!Number.isFinite(component)) throw new AppError('INVALID_VECTOR', `${what} has a component that is not a finite float32`);
      if (component !== 0) nonZero = true;
    }
    if (!nonZero) throw new AppError('INVALID_VECTOR', `${what} is all zeros: cosine similarity is undefined for it`);
    return vector;
  }

  function fromBase64(text: string, what: string): Float32Array {
    const vector = text.length <= MAX_BASE64_VECTOR_LENGTH ? decodeVector(text) : null;
    if (!vector?.length) {
      throw new AppError(
        'INVALID_VECTOR',
        `${what} is not 1 to ${MAX_DIMENSIONS} float32 values in standard base64 (A-Z a-z 0-9 + /, padded with =, a multiple of 4 bytes)`,
      );
    }
    return vector;
  }

  function checkMetadata(document: DocumentInput): void {
    const length = document.metadata ? JSON.stringify(document.metadata).length : 0;
    if (length > MAX_METADATA_LENGTH) {
      throw new AppError(
        'VALIDATION_FAILED',
        `metadata of document ${JSON.stringify(document.id)} is ${length} characters as JSON; at most ${MAX_METADATA_LENGTH}`,
      );
    }
  }

  /** A collection is created once: asking again for another model or size is a conflict, never a silent reuse. */
  function sameSpec(collection: CollectionInfo, wanted: CollectionSpec): CollectionInfo {
    if (collection.dimensions === wanted.dimensions && collection.model === wanted.model) return collection;
    throw new AppError(
      'COLLECTION_CONFLICT',
      `collection ${JSON.stringify(collection.name)} exists with model ${collection.model} (${collection.dimensions} dimensions); asked for ${wanted.model} (${wanted.dimensions} dimensions)`,
    );
  }

  async function createDefault(projectId: string, name: string): Promise<CollectionInfo> {
    await assertRoom(projectId);
    await options.onProjectWrite?.(projectId);
    return store.createCollection(projectId, name, defaultSpec);
  }

  const view = (document: StoredDocument): DocumentView => ({
    id: document.id,
    ...(document.content !== undefined ? { content: document.content } : {}),
    metadata: document.metadata,
    ...(document.vector ? { embedding: vectorToArray(document.vector) } : {}),
  });

  /** The query's vector: as given, or the query text embedded (only for a collection of the configured model). */
  async function queryVector(projectId: string, collection: string, input: SearchInput): Promise<Float32Array> {
    if (input.vector !== undefined) return toVector(input.vector, 'query vector');
    if (input.query === undefined) throw new AppError('VALIDATION_FAILED', 'vector search needs `vector` or `query`');
    assertEmbeddable(await requireCollection(projectId, collection));
    const [vector] = await embedder.embed([input.query], projectId);
    return vector!;
  }

  /** The hits with their content and vectors read, as asked; a hit deleted meanwhile is dropped. */
  async function withDocuments(
    projectId: string,
    collection: string,
    hits: SearchHit[],
    read: { includeContent: boolean; includeVector: boolean; maxBytes?: number },
  ): Promise<SearchHit[]> {
    const documents = new Map(
      (
        await store.getMany(
          projectId,
          collection,
          hits.map((hit) => hit.id),
          read,
        )
      ).map((document) => [document.id, document]),
    );
    return hits.flatMap((hit) => {
      const document = documents.get(hit.id);
      return document ? [{ ...document, score: hit.score }] : [];
    });
  }

  return {
    provider: store.provider,
    embedding: defaultSpec,

    async createCollection(projectId, name, spec) {
      const wanted = {
        dimensions: spec.dimensions ?? defaultSpec.dimensions,
        model: spec.model ?? (spec.dimensions && spec.dimensions !== defaultSpec.dimensions ? 'external' : defaultSpec.model),
      };
      const existing = await store.getCollection(projectId, name);
      if (existing) return sameSpec(existing, wanted);
      assertAllowed(wanted);
      await assertRoom(projectId);
      await options.onProjectWrite?.(projectId);
      // A concurrent creation of the same name may have won: the store returns its collection.
      return sameSpec(await store.createCollection(projectId, name, wanted), wanted);
    },

    getCollection: requireCollection,
    listCollections: (projectId) => store.listCollections(projectId),

    async deleteCollection(projectId, name) {
      if (!(await store.deleteCollection(projectId, name))) {
        throw new AppError('COLLECTION_NOT_FOUND', `collection ${JSON.stringify(name)} not found in project ${JSON.stringify(projectId)}`);
      }
    },

    async upsert(projectId, collectionName, documents) {
      // Only text to embed needs the collection's spec here; the store checks sizes and existence itself,
      // which saves a round trip per batch on a remote store.
      documents.forEach(checkMetadata);
      const missing = documents.filter((document) => document.embedding === undefined);
      if (missing.length) assertEmbeddable((await store.getCollection(projectId, collectionName)) ?? (await createDefault(projectId, collectionName)));
      const given = new Map<DocumentInput, Float32Array>();
      await inSlices(documents, DECODE_SLICE, (document) => {
        if (document.embedding !== undefined) given.set(document, toVector(document.embedding, `embedding of ${JSON.stringify(document.id)}`));
      });
      const embedded = missing.length
        ? await embedder.embed(
            missing.map((document) => document.content),
            projectId,
          )
        : [];
      const computed = new Map(missing.map((document, index) => [document, embedded[index]!]));
      const ready: VectorDocument[] = documents.map((document) => ({
        id: document.id,
        content: document.content,
        metadata: document.metadata ?? {},
        vector: given.get(document) ?? computed.get(document)!,
      }));
      try {
        await store.upsert(projectId, collectionName, ready);
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'COLLECTION_NOT_FOUND')) throw error;
        // First write to a new collection: create it with the configured embedder's spec.
        await createDefault(projectId, collectionName);
        await store.upsert(projectId, collectionName, ready);
      }
      return ready.length;
    },

    async get(projectId, collection, id, includeVector) {
      await requireCollection(projectId, collection);
      const [document] = await store.getMany(projectId, collection, [id], { includeContent: true, includeVector });
      if (!document) throw new AppError('DOCUMENT_NOT_FOUND', `document ${JSON.stringify(id)} not found in collection ${JSON.stringify(collection)}`);
      return view(document);
    },

    async scroll(projectId, collection, request) {
      await requireCollection(projectId, collection);
      validateFilter(request.filter);
      const page: ScrollPage = await store.scroll(projectId, collection, { ...request, maxBytes: options.maxResponseBytes });
      return { items: page.items.map(view), nextCursor: page.nextCursor };
    },

    async deleteById(projectId, collection, id) {
      await requireCollection(projectId, collection);
      return store.deleteByIds(projectId, collection, [id]);
    },

    async deleteByFilter(projectId, collection, filter) {
      await requireCollection(projectId, collection);
      validateFilter(filter);
      if (Object.keys(filter).length === 0) throw new AppError('INVALID_FILTER', 'an empty filter would delete every document: delete the collection instead');
      return store.deleteByFilter(projectId, collection, filter);
    },

    async deleteProject(projectId) {
      const had = (await store.listCollections(projectId)).length > 0;
      await store.deleteProject(projectId);
      // None of the project's texts stays behind, even as a hash in the embedding cache.
      embedder.forget(projectId);
      return had;
    },

    async search(projectId, collectionName, input) {
      validateFilter(input.filter);
      const mode = input.mode ?? (input.vector !== undefined || input.query === undefined ? 'vector' : 'hybrid');
      const limit = input.limit ?? 10;
      const common = {
        filter: input.filter,
        includeContent: input.includeContent ?? true,
        includeVector: input.includeVector ?? false,
        maxBytes: options.maxResponseBytes,
      };
      let hits: SearchHit[];
      if (mode === 'vector') {
        hits = await store.search(projectId, collectionName, {
          mode: 'vector',
          vector: await queryVector(projectId, collectionName, input),
          limit,
          threshold: input.threshold,
          ...common,
        });
      } else {
        if (!input.query?.trim()) throw new AppError('VALIDATION_FAILED', `${mode} search needs a non-empty \`query\``);
        const keyword = (candidates: number, read = common) =>
          store.search(projectId, collectionName, { mode: 'keyword', text: input.query!, limit: candidates, ...read });
        if (mode === 'keyword') {
          hits = (await keyword(limit)).filter((hit) => input.threshold === undefined || hit.score > input.threshold);
        } else {
          // Hybrid: reciprocal-rank fusion of both rankings; `threshold` bounds the vector side's cosine similarity.
          // Both rankings without content: only the fused hits' is read, under the byte budget.
          const candidates = Math.max(limit * HYBRID_OVERSAMPLE, HYBRID_MIN_CANDIDATES);
          const vector = await queryVector(projectId, collectionName, input);
          const bare = { ...common, includeContent: false, includeVector: false };
          const [byVector, byKeyword] = await Promise.all([
            store.search(projectId, collectionName, { mode: 'vector', vector, limit: candidates, threshold: input.threshold, rankOnly: true, ...bare }),
            keyword(candidates, bare),
          ]);
          hits = fuseReciprocalRank([byVector, byKeyword], { limit });
          if (common.includeContent || common.includeVector) hits = await withDocuments(projectId, collectionName, hits, common);
        }
      }
      return hits.map((hit) => ({ ...view(hit), score: hit.score }));
    },

    embed: (texts, projectId) => embedder.embed(texts, projectId),
    documents: (projectId, collection, page) => store.scroll(projectId, collection, { ...page, includeContent: true, includeVector: true }),
    importCollection: async (projectId, name, spec) => sameSpec(await store.createCollection(projectId, name, spec), spec),
    importDocuments: (projectId, collection, documents) => store.upsert(projectId, collection, documents),
  };
}
