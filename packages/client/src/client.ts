/**
 * The typed client of every endpoint of the service (DESIGN.md sections 3-5).
 * Methods take the project id first; ids and names are URL-encoded here, so a
 * file path such as `src/a.ts` is passed as is.
 */
import { StorageError } from './errors.js';
import { Transport, type CallOptions, type TransportOptions } from './http.js';
import { ndjsonStream, parseNdjson } from './ndjson.js';
import { paginate } from './pagination.js';
import { encodeVector } from '../../../src/shared/vector-encoding.js';
import type {
  Collection,
  CountResult,
  CreateCollection,
  DocumentInput,
  EntityCountQuery,
  EntityInput,
  EntityItem,
  EntityKeyedInput,
  EntityListQuery,
  EntityName,
  EntityPatch,
  Filter,
  Health,
  ImportReport,
  IntelligenceInput,
  IntelligenceResult,
  Job,
  KeyedDocumentInput,
  Page,
  Project,
  ProjectInput,
  ProjectPatch,
  ProjectStats,
  Readiness,
  ScrollQuery,
  SearchRequest,
  VectorInput,
  SearchResponse,
  StoredDocument,
  WorkSessionItem,
} from './types.js';

export type StorageClientOptions = TransportOptions;
type Query = Record<string, string | number | boolean | undefined | null>;

const segment = encodeURIComponent;
const projectPath = (projectId: string) => `/v1/projects/${segment(projectId)}`;
const collectionPath = (projectId: string, collection: string) => `${projectPath(projectId)}/collections/${segment(collection)}`;
/** A Float32Array would go out as an object of numbered keys: it is sent as base64 float32, which the service takes. */
const withEncodedVector = <T extends { embedding?: VectorInput }>(document: T): T =>
  document.embedding instanceof Float32Array ? { ...document, embedding: encodeVector(document.embedding) } : document;

/** The calls of one entity (`client.entity('concepts')`). */
export class EntityClient<N extends EntityName> {
  constructor(
    private readonly http: Transport,
    readonly name: N,
  ) {}

  private path(projectId: string, id?: string): string {
    return `${projectPath(projectId)}/${this.name}${id === undefined ? '' : `/${segment(id)}`}`;
  }

  /** One page: `{items, nextCursor}`; equality filters, `q`, `sort`, `limit` (max 1000), `cursor`. */
  list(projectId: string, query: EntityListQuery<N> = {} as EntityListQuery<N>, options?: CallOptions): Promise<Page<EntityItem<N>>> {
    return this.http.json({ method: 'GET', path: this.path(projectId), query: query as Query, ...options });
  }

  /** Every matching item, page after page; `limit` is the page size. */
  iterate(projectId: string, query: Omit<EntityListQuery<N>, 'cursor'> = {} as EntityListQuery<N>, options?: CallOptions): AsyncGenerator<EntityItem<N>> {
    return paginate((cursor) => this.list(projectId, { ...query, cursor } as EntityListQuery<N>, options));
  }

  count(projectId: string, query: EntityCountQuery<N> = {} as EntityCountQuery<N>, options?: CallOptions): Promise<CountResult> {
    return this.http.json({ method: 'GET', path: `${this.path(projectId)}/count`, query: query as Query, ...options });
  }

  get(projectId: string, id: string, options?: CallOptions): Promise<EntityItem<N>> {
    return this.http.json({ method: 'GET', path: this.path(projectId, id), ...options });
  }

  /** Idempotent upsert (replace); the service keeps the creation time. */
  put(projectId: string, id: string, body: EntityInput<N>, options?: CallOptions): Promise<EntityItem<N>> {
    return this.http.json({ method: 'PUT', path: this.path(projectId, id), body, ...options });
  }

  /** Changes the given fields (`null` clears one); NOT_FOUND when absent. */
  patch(projectId: string, id: string, body: EntityPatch<N>, options?: CallOptions): Promise<EntityItem<N>> {
    return this.http.json({ method: 'PATCH', path: this.path(projectId, id), body, ...options });
  }

  delete(projectId: string, id: string, options?: CallOptions): Promise<void> {
    return this.http.json({ method: 'DELETE', path: this.path(projectId, id), ...options });
  }

  /** Upserts up to 5,000 items in one transaction. Retried: the same items give the same state. */
  batch(projectId: string, items: EntityKeyedInput<N>[], options?: CallOptions): Promise<{ upserted: number }> {
    return this.http.json({ method: 'POST', path: `${this.path(projectId)}/batch`, body: { items }, idempotent: true, ...options });
  }
}

export class StorageClient {
  private readonly http: Transport;
  private readonly entityClients = new Map<EntityName, unknown>();

  constructor(options: StorageClientOptions) {
    this.http = new Transport(options);
  }

  entity<N extends EntityName>(name: N): EntityClient<N> {
    let client = this.entityClients.get(name) as EntityClient<N> | undefined;
    if (!client) this.entityClients.set(name, (client = new EntityClient(this.http, name)));
    return client;
  }

  health(options?: CallOptions): Promise<Health> {
    return this.http.json({ method: 'GET', path: '/health', ...options });
  }

  /** Each provider's health; answers (not throws) when the service reports itself unavailable. */
  ready(options?: CallOptions): Promise<Readiness> {
    return this.http.json({ method: 'GET', path: '/ready', acceptStatus: [503], ...options });
  }

  /** The effective configuration, secrets redacted. */
  config(options?: CallOptions): Promise<Record<string, unknown>> {
    return this.http.json({ method: 'GET', path: '/v1/config', ...options });
  }

  readonly projects = {
    list: (query: { limit?: number; cursor?: string } = {}, options?: CallOptions): Promise<Page<Project>> =>
      this.http.json({ method: 'GET', path: '/v1/projects', query, ...options }),
    iterate: (query: { limit?: number } = {}, options?: CallOptions): AsyncGenerator<Project> =>
      paginate((cursor) => this.projects.list({ ...query, cursor }, options)),
    get: (projectId: string, options?: CallOptions): Promise<Project> => this.http.json({ method: 'GET', path: projectPath(projectId), ...options }),
    put: (projectId: string, body: ProjectInput, options?: CallOptions): Promise<Project> =>
      this.http.json({ method: 'PUT', path: projectPath(projectId), body, ...options }),
    patch: (projectId: string, body: ProjectPatch, options?: CallOptions): Promise<Project> =>
      this.http.json({ method: 'PATCH', path: projectPath(projectId), body, ...options }),
    /** Deletes the project with every row and vector it holds. */
    delete: (projectId: string, options?: CallOptions): Promise<void> => this.http.json({ method: 'DELETE', path: projectPath(projectId), ...options }),
    stats: (projectId: string, options?: CallOptions): Promise<ProjectStats> =>
      this.http.json({ method: 'GET', path: `${projectPath(projectId)}/stats`, ...options }),
    /** Replaces each section sent (concepts, patterns, files, features, entryPoints, keyDirectories) in one transaction. */
    replaceIntelligence: (projectId: string, body: IntelligenceInput, options?: CallOptions): Promise<IntelligenceResult> =>
      this.http.json({ method: 'PUT', path: `${projectPath(projectId)}/intelligence`, body, ...options }),
    /** The open work session with the latest start; NOT_FOUND when none is open. */
    currentWorkSession: (projectId: string, options?: CallOptions): Promise<WorkSessionItem> =>
      this.http.json({ method: 'GET', path: `${projectPath(projectId)}/work-sessions/current`, ...options }),
  };

  readonly collections = {
    list: (projectId: string, options?: CallOptions): Promise<{ items: Collection[] }> =>
      this.http.json({ method: 'GET', path: `${projectPath(projectId)}/collections`, ...options }),
    /** Idempotent; COLLECTION_CONFLICT when it exists with another model or size. */
    create: (projectId: string, collection: string, spec: CreateCollection = {}, options?: CallOptions): Promise<Collection> =>
      this.http.json({ method: 'PUT', path: collectionPath(projectId, collection), body: spec, ...options }),
    get: (projectId: string, collection: string, options?: CallOptions): Promise<Collection> =>
      this.http.json({ method: 'GET', path: collectionPath(projectId, collection), ...options }),
    delete: (projectId: string, collection: string, options?: CallOptions): Promise<void> =>
      this.http.json({ method: 'DELETE', path: collectionPath(projectId, collection), ...options }),
  };

  readonly documents = {
    /** Upserts one document; embedded server-side when no embedding is sent. */
    put: (projectId: string, collection: string, id: string, document: DocumentInput, options?: CallOptions): Promise<{ upserted: number }> =>
      this.http.json({
        method: 'PUT',
        path: `${collectionPath(projectId, collection)}/documents/${segment(id)}`,
        body: withEncodedVector(document),
        ...options,
      }),
    /** Upserts up to 1,000 documents, all or nothing. Retried: the same items give the same state. */
    batch: (projectId: string, collection: string, items: KeyedDocumentInput[], options?: CallOptions): Promise<{ upserted: number }> =>
      this.http.json({
        method: 'POST',
        path: `${collectionPath(projectId, collection)}/documents/batch`,
        body: { items: items.map(withEncodedVector) },
        idempotent: true,
        ...options,
      }),
    get: (projectId: string, collection: string, id: string, query: { includeVector?: boolean } = {}, options?: CallOptions): Promise<StoredDocument> =>
      this.http.json({ method: 'GET', path: `${collectionPath(projectId, collection)}/documents/${segment(id)}`, query, ...options }),
    /** One page of documents, optionally filtered by metadata. */
    scroll: (projectId: string, collection: string, query: ScrollQuery = {}, options?: CallOptions): Promise<Page<StoredDocument>> =>
      this.http.json({
        method: 'GET',
        path: `${collectionPath(projectId, collection)}/documents`,
        query: { ...query, filter: query.filter === undefined ? undefined : JSON.stringify(query.filter) },
        ...options,
      }),
    iterate: (projectId: string, collection: string, query: Omit<ScrollQuery, 'cursor'> = {}, options?: CallOptions): AsyncGenerator<StoredDocument> =>
      paginate((cursor) => this.documents.scroll(projectId, collection, { ...query, cursor }, options)),
    /** Answers how many were deleted (0 or 1). */
    delete: (projectId: string, collection: string, id: string, options?: CallOptions): Promise<{ deleted: number }> =>
      this.http.json({ method: 'DELETE', path: `${collectionPath(projectId, collection)}/documents/${segment(id)}`, ...options }),
    /** Deletes every document matching the filter (e.g. `{filePath}`). Retried: a repeat deletes nothing more. */
    deleteByFilter: (projectId: string, collection: string, filter: Filter, options?: CallOptions): Promise<{ deleted: number }> =>
      this.http.json({ method: 'POST', path: `${collectionPath(projectId, collection)}/documents/delete`, body: { filter }, idempotent: true, ...options }),
  };

  /** Vector, keyword or hybrid search; `score` is always higher-is-more-similar. A read: retried. */
  search(projectId: string, collection: string, request: SearchRequest, options?: CallOptions): Promise<SearchResponse> {
    const body = request.vector instanceof Float32Array ? { ...request, vector: encodeVector(request.vector) } : request;
    return this.http.json({ method: 'POST', path: `${collectionPath(projectId, collection)}/search`, body, idempotent: true, ...options });
  }

  readonly jobs = {
    /** Starts a background ingest. Not retried: a repeat would start a second job. */
    submit: (projectId: string, collection: string, items: KeyedDocumentInput[], options?: CallOptions): Promise<{ jobId: string }> =>
      this.http.json({
        method: 'POST',
        path: `${collectionPath(projectId, collection)}/jobs`,
        body: { items: items.map(withEncodedVector) },
        idempotent: false,
        ...options,
      }),
    get: (jobId: string, options?: CallOptions): Promise<Job> => this.http.json({ method: 'GET', path: `/v1/jobs/${segment(jobId)}`, ...options }),
    /** Polls until the job has succeeded or failed, and answers its final report. */
    wait: async (jobId: string, poll: { intervalMs?: number; signal?: AbortSignal } = {}): Promise<Job> => {
      for (;;) {
        const job = await this.jobs.get(jobId, { signal: poll.signal });
        if (job.status === 'succeeded' || job.status === 'failed') return job;
        await new Promise((resolve) => setTimeout(resolve, poll.intervalMs ?? 250));
      }
    },
  };

  /**
   * Streams `GET /v1/export` as parsed NDJSON records, one per line, without
   * holding the dump: header, projects, entity rows, collections, documents,
   * trailer (docs/BACKUP.md). `{projects: 'a,b'}` exports only those projects.
   */
  async *exportStream(query: Query = {}, options?: CallOptions): AsyncGenerator<Record<string, unknown>> {
    const spec = { method: 'GET' as const, path: '/v1/export', query, headers: { accept: 'application/x-ndjson' }, ...options };
    const response = await this.http.stream(spec);
    if (!response.body) return;
    const badLine = (line: number, cause: unknown) =>
      new StorageError({
        status: response.status,
        code: 'INVALID_RESPONSE',
        message: `export line ${line} is not JSON`,
        method: spec.method,
        path: spec.path,
        cause,
      });
    yield* parseNdjson(response.body, badLine) as AsyncGenerator<Record<string, unknown>>;
  }

  /**
   * Uploads records to `POST /v1/import` as NDJSON, streamed as they are
   * produced. Never retried: a stream cannot be replayed. No timeout unless
   * given one: an upload lasts as long as the dump (a signal still cancels it).
   * `reembed` embeds documents again with the service's embedder instead of
   * refusing vectors of another size. Answers the import report (counts, checksums).
   */
  importStream(records: AsyncIterable<unknown> | Iterable<unknown>, options: CallOptions & { reembed?: boolean } = {}): Promise<ImportReport> {
    const { reembed, ...callOptions } = options;
    return this.http.json({
      method: 'POST',
      path: '/v1/import',
      query: reembed ? { reembed: true } : {},
      body: ndjsonStream(records),
      headers: { 'content-type': 'application/x-ndjson' },
      ...callOptions,
      timeoutMs: callOptions.timeoutMs ?? 0,
    });
  }
}

export function createStorageClient(options: StorageClientOptions): StorageClient {
  return new StorageClient(options);
}
