/**
 * The vector store port. A store keeps documents (caller id, content, flat
 * metadata, vector) in collections that live inside a project. It never embeds
 * text: vectors arrive ready-made (see the Embedder port). Every call is scoped
 * by projectId; no call ever crosses projects.
 *
 * Preconditions: the vector service validates every argument before it calls
 * a store (a backup's rows are checked by the import against the same schemas,
 * its vectors for finite values), and stores trust them: ids and content are
 * strings, metadata is flat (MetadataValue), vectors are finite float32 (and,
 * from the API, never all zeros), filters passed validateFilter, limits are
 * positive integers, collection specs are ones the service allows (or a
 * backup's, restored by an admin's import). A store
 * checks only what it alone knows: whether the collection exists
 * (COLLECTION_NOT_FOUND), that vectors have its size (assertDimensions in
 * dimensions.ts: the size is known where the collection is resolved, so checking
 * it there costs no extra lookup), and what its own cursors mean (INVALID_CURSOR).
 */
/** A metadata value: flat JSON scalars, or arrays of scalars. */
export type MetadataValue = string | number | boolean | null | Array<string | number | boolean>;
export type Metadata = Record<string, MetadataValue>;

/**
 * The filter language shared by every provider (DESIGN.md section 4):
 * `{field: value}` (equality), or `{field: {in|nin|gt|gte|lt|lte|ne: operand}}`,
 * implicit AND across fields. A provider that cannot honour a filter throws;
 * it never ignores one.
 */
export type FilterOperand = string | number | boolean | null;
export type FilterCondition =
  | FilterOperand
  | {
      in?: FilterOperand[];
      nin?: FilterOperand[];
      gt?: number | string;
      gte?: number | string;
      lt?: number | string;
      lte?: number | string;
      ne?: FilterOperand;
    };
export type Filter = Record<string, FilterCondition>;

export interface CollectionSpec {
  dimensions: number;
  model: string;
}

export interface CollectionInfo extends CollectionSpec {
  name: string;
  distance: 'cosine';
  count: number;
}

export interface VectorDocument {
  id: string;
  content: string;
  metadata: Metadata;
  vector: Float32Array;
}

export interface StoredDocument {
  id: string;
  content?: string;
  metadata: Metadata;
  vector?: Float32Array;
}

export interface ScrollRequest {
  filter?: Filter;
  limit: number;
  cursor?: string;
  includeContent?: boolean;
  includeVector?: boolean;
  /** Bytes the page may hold (see budget.ts): a page that would go over ends early, with a cursor; at least one document always. */
  maxBytes?: number;
}

export interface ScrollPage {
  items: StoredDocument[];
  nextCursor: string | null;
}

export type SearchRequest =
  | ({
      mode: 'vector';
      vector: Float32Array;
      /**
       * The caller uses only the hits' order (hybrid fusion): a store may answer its own approximation of
       * the cosines (within 1e-3), and decide `threshold` exactly all the same.
       */
      rankOnly?: boolean;
    } & SearchOptions)
  | ({ mode: 'keyword'; text: string } & SearchOptions);

export interface SearchOptions {
  limit: number;
  /** Keep only hits whose score is strictly greater. */
  threshold?: number;
  filter?: Filter;
  includeContent?: boolean;
  includeVector?: boolean;
  /** Bytes the hits may hold (see budget.ts): more is RESPONSE_TOO_LARGE, found before loading the rest. */
  maxBytes?: number;
}

export interface ReadOptions {
  includeContent?: boolean;
  includeVector?: boolean;
  /** As in SearchOptions. */
  maxBytes?: number;
}

/** `score` always means higher is more similar (cosine similarity for vectors). */
export interface SearchHit extends StoredDocument {
  score: number;
}

export interface VectorStore {
  readonly provider: string;
  /** Creates the collection, or returns the existing one whatever its spec (the service compares). */
  createCollection(projectId: string, name: string, spec: CollectionSpec): Promise<CollectionInfo>;
  getCollection(projectId: string, name: string): Promise<CollectionInfo | null>;
  listCollections(projectId: string): Promise<CollectionInfo[]>;
  deleteCollection(projectId: string, name: string): Promise<boolean>;
  /** Upserts every document or none (atomic per call); an existing id is replaced. */
  upsert(projectId: string, collection: string, documents: VectorDocument[]): Promise<void>;
  /** The documents of `ids` that exist, in that order (content included unless told not to). */
  getMany(projectId: string, collection: string, ids: string[], options?: ReadOptions): Promise<StoredDocument[]>;
  scroll(projectId: string, collection: string, request: ScrollRequest): Promise<ScrollPage>;
  search(projectId: string, collection: string, request: SearchRequest): Promise<SearchHit[]>;
  /** Returns how many documents were deleted. */
  deleteByIds(projectId: string, collection: string, ids: string[]): Promise<number>;
  deleteByFilter(projectId: string, collection: string, filter: Filter): Promise<number>;
  deleteProject(projectId: string): Promise<void>;
  /** Throws when the store cannot serve requests. */
  health(): Promise<void>;
  close(): Promise<void>;
}
