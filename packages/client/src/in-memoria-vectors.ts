/**
 * In-Memoria's `SemanticVectorDB`, served by one collection of one project.
 * Each chunk's document id is its `metadata.id`, so storing a chunk again
 * replaces it instead of adding a duplicate (In-Memoria's own store appended).
 */
import type { StorageClient } from './client.js';
import { orNull } from './errors.js';
import { collect } from './pagination.js';
import type { CodeMetadata, SemanticSearchResult } from './in-memoria-types.js';
import type { Filter, KeyedDocumentInput, StoredDocument } from './types.js';
import { unchangedPaths, type PathCodec } from './in-memoria/paths.js';

export interface VectorAdapterOptions {
  /** Default `code`. */
  collection?: string;
  /** How findSimilarCode ranks text queries (default `hybrid`: vector and BM25 fused). */
  searchMode?: 'vector' | 'keyword' | 'hybrid';
  /** Maps `metadata.filePath` to its stored form and back (team sharing); unchanged by default. */
  paths?: PathCodec;
  /** Where stored chunks go; by default each is PUT at once (storeMultipleEmbeddings batches). */
  writes?: DocumentWrites;
}

/** Stores one chunk in a collection; resolves when the write is accepted. */
export type DocumentWrites = (collection: string, document: KeyedDocumentInput) => Promise<void>;

/** The service's largest document batch. */
const BATCH = 1000;
/** What In-Memoria reports as the similarity of rows listed without a query. */
const UNRANKED_SIMILARITY = 0.5;

type Metadata = NonNullable<KeyedDocumentInput['metadata']>;

export class RemoteSemanticVectorDB {
  readonly collection: string;
  private readonly searchMode: NonNullable<VectorAdapterOptions['searchMode']>;
  private readonly paths: PathCodec;
  private readonly writes?: DocumentWrites;

  constructor(
    readonly client: StorageClient,
    readonly projectId: string,
    options: VectorAdapterOptions = {},
  ) {
    this.collection = options.collection ?? 'code';
    this.searchMode = options.searchMode ?? 'hybrid';
    this.paths = options.paths ?? unchangedPaths;
    this.writes = options.writes;
  }

  /** Creates the collection with the service's embedder when it does not exist. The name argument is In-Memoria's and unused. */
  async initialize(_collectionName?: string): Promise<void> {
    const existing = await orNull(this.client.collections.get(this.projectId, this.collection));
    if (!existing) await this.client.collections.create(this.projectId, this.collection);
  }

  async storeCodeEmbedding(code: string, metadata: CodeMetadata): Promise<void> {
    const document = { id: documentId(metadata), content: code, metadata: this.toMetadata(metadata) };
    if (this.writes) return this.writes(this.collection, document);
    await this.client.documents.put(this.projectId, this.collection, document.id, { content: document.content, metadata: document.metadata });
  }

  /** Upserts in batches of 1,000 (each all or nothing); a later chunk with the same id wins, as a re-store would. */
  async storeMultipleEmbeddings(codeChunks: string[], metadataList: CodeMetadata[]): Promise<void> {
    if (codeChunks.length !== metadataList.length) throw new Error('Code chunks and metadata arrays must have the same length');
    const byId = new Map<string, KeyedDocumentInput>();
    codeChunks.forEach((code, index) => {
      const metadata = metadataList[index]!;
      const id = documentId(metadata);
      byId.delete(id);
      byId.set(id, { id, content: code, metadata: this.toMetadata(metadata) });
    });
    const items = [...byId.values()];
    if (this.writes) {
      for (const item of items) await this.writes(this.collection, item);
      return;
    }
    for (let start = 0; start < items.length; start += BATCH) {
      await this.client.documents.batch(this.projectId, this.collection, items.slice(start, start + BATCH));
    }
  }

  /**
   * The `limit` chunks most similar to `query`, matching `filters` (equality on
   * metadata fields). An empty query lists matching chunks, unranked, as In-Memoria does.
   */
  async findSimilarCode(query: string, limit = 5, filters?: Filter): Promise<SemanticSearchResult[]> {
    const filter = filters && typeof filters.filePath === 'string' ? { ...filters, filePath: this.paths.toStored(filters.filePath) } : filters;
    if (!query || query.trim() === '') {
      // A page may end short (a rare filter, a large answer) with a cursor to the rest: follow it up to `limit`.
      const found = await orNull(collect(this.client.documents.iterate(this.projectId, this.collection, { filter, limit }), limit));
      return (found ?? []).map((document) => this.toResult(document, UNRANKED_SIMILARITY));
    }
    const response = await orNull(this.client.search(this.projectId, this.collection, { query, mode: this.searchMode, limit, filter }));
    return (response?.results ?? []).map((result) => this.toResult(result, result.score));
  }

  findSimilarCodeByFile(filePath: string, limit = 5): Promise<SemanticSearchResult[]> {
    return this.findSimilarCode('', limit, { filePath });
  }

  findSimilarCodeByLanguage(query: string, language: string, limit = 5): Promise<SemanticSearchResult[]> {
    return this.findSimilarCode(query, limit, { language });
  }

  async updateCodeEmbedding(id: string, code: string, metadata: CodeMetadata): Promise<void> {
    await this.client.documents.put(this.projectId, this.collection, id, { content: code, metadata: this.toMetadata({ ...metadata, id }) });
  }

  async deleteCodeEmbedding(id: string): Promise<void> {
    await orNull(this.client.documents.delete(this.projectId, this.collection, id));
  }

  /** Deletes every chunk of one file; answers how many went (In-Memoria answered nothing). */
  async deleteCodeEmbeddingsByFile(filePath: string): Promise<number> {
    const result = await orNull(this.client.documents.deleteByFilter(this.projectId, this.collection, { filePath: this.paths.toStored(filePath) }));
    return result?.deleted ?? 0;
  }

  /** The chunk count from the collection's own count, not by listing it. */
  async getCollectionStats(): Promise<{ count: number; metadata: Record<string, unknown> }> {
    const collection = await orNull(this.client.collections.get(this.projectId, this.collection));
    return {
      count: collection?.count ?? 0,
      metadata: {
        description: 'In Memoria semantic code embeddings',
        engine: 'in-memoria-storage',
        collection: this.collection,
        ...(collection ? { model: collection.model, dimensions: collection.dimensions } : {}),
      },
    };
  }

  /** Nothing to release; kept so `close()` call sites stay. */
  async close(): Promise<void> {}

  private toMetadata(metadata: CodeMetadata): Metadata {
    const flat = toMetadata(metadata);
    if (typeof flat.filePath === 'string') flat.filePath = this.paths.toStored(flat.filePath);
    return flat;
  }

  private toResult(document: Pick<StoredDocument, 'id' | 'content' | 'metadata'>, similarity: number): SemanticSearchResult {
    const result = toResult(document, similarity);
    if (typeof result.metadata.filePath === 'string') result.metadata.filePath = this.paths.fromStored(result.metadata.filePath);
    return result;
  }
}

function documentId(metadata: CodeMetadata): string {
  if (typeof metadata.id !== 'string' || metadata.id === '') throw new TypeError('CodeMetadata.id is required: it is the document id');
  return metadata.id;
}

/** The service keeps flat metadata: Dates become ISO strings, undefined fields are left out. */
function toMetadata(metadata: CodeMetadata): Metadata {
  const flat: Metadata = {};
  for (const [field, value] of Object.entries(metadata)) {
    if (value === undefined) continue;
    flat[field] = value instanceof Date ? value.toISOString() : (value as Metadata[string]);
  }
  return flat;
}

function toResult(document: Pick<StoredDocument, 'id' | 'content' | 'metadata'>, similarity: number): SemanticSearchResult {
  const metadata = document.metadata as Record<string, unknown>;
  return {
    id: document.id,
    code: document.content ?? '',
    metadata: {
      ...(metadata as Omit<CodeMetadata, 'lastModified'>),
      id: typeof metadata.id === 'string' ? metadata.id : document.id,
      lastModified: new Date(typeof metadata.lastModified === 'string' || typeof metadata.lastModified === 'number' ? metadata.lastModified : 0),
    },
    similarity,
  };
}
