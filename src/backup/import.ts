/**
 * Import: reads the NDJSON of `exportBackup` back, idempotently (every write is
 * an upsert by key that keeps the exported timestamps), in batches, each batch
 * all or nothing. Nothing is written before the header is checked.
 *
 * A stream that stops before its trailer is an error naming the last complete
 * line. The batches committed before it are whole, so the store is consistent,
 * and importing the full backup again finishes the job (upserts replace).
 * The trailer's counts and checksums are compared with what was read: a
 * difference (an altered file) is an error too.
 */
import { AppError } from '../errors.js';
import { entitiesByName } from '../entities/registry.js';
import { PROJECT_ID_PATTERN } from '../entities/project-id.js';
import type { Item } from '../relational/codec.js';
import { putProject } from '../relational/projects.js';
import type { Services } from '../services.js';
import type { VectorDocument, Metadata } from '../vectors/port.js';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  collectionKey,
  compareSummaries,
  decodeVector,
  entityKey,
  PROJECTS_KEY,
  Tallies,
  type CollectionRecord,
  type DocumentRecord,
  type EntityRecord,
  type HeaderRecord,
  type Summary,
  type TrailerRecord,
} from './format.js';

export interface ImportOptions {
  /** Embed documents again with the target's embedder instead of refusing vectors of another size or model. */
  reembed?: boolean;
  onProgress?: (progress: { lines: number }) => void;
}

export interface ImportReport {
  lines: number;
  projects: number;
  entityRows: number;
  collections: number;
  documents: number;
  reembedded: number;
  summary: Summary;
}

const ENTITY_BATCH = 1000;
const DOCUMENT_BATCH = 256;

type ImportServices = Pick<Services, 'relational' | 'vectors'>;

/** Splits a byte stream into lines, numbered from 1; `complete` is false for a last line without its newline. */
async function* readLines(source: AsyncIterable<Buffer | string>): AsyncGenerator<{ text: string; number: number; complete: boolean }> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let rest = '';
  let number = 0;
  for await (const chunk of source) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline: number;
    let start = 0;
    while ((newline = rest.indexOf('\n', start)) !== -1) {
      number++;
      yield { text: rest.slice(start, newline), number, complete: true };
      start = newline + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.decode();
  if (rest.length > 0) yield { text: rest, number: number + 1, complete: false };
}

export async function importBackup(services: ImportServices, source: AsyncIterable<Buffer | string>, options: ImportOptions = {}): Promise<ImportReport> {
  const store = services.relational.store;
  const vectorStore = services.vectors.store;
  const embedder = services.vectors.embedder;
  const tallies = new Tallies();
  const report: ImportReport = { lines: 0, projects: 0, entityRows: 0, collections: 0, documents: 0, reembedded: 0, summary: {} };

  let header: HeaderRecord | undefined;
  let trailer: TrailerRecord | undefined;
  let lastComplete = 0;
  let committedThrough = 0;
  /** The rows read but not yet written: one entity of one project, or one collection's documents. */
  let entityBatch: { projectId: string; entity: string; items: Item[] } | undefined;
  let documentBatch: { projectId: string; collection: string; documents: DocumentRecord['document'][] } | undefined;
  const collections = new Map<string, { reembed: boolean }>();

  const invalid = (line: number, message: string) => new AppError('INVALID_BACKUP', `line ${line}: ${message}${committedSuffix()}`);
  const committedSuffix = () => (committedThrough > 0 ? `; lines 1-${committedThrough} were imported, importing the whole backup again finishes the job` : '; nothing was imported');

  async function flushEntities(): Promise<void> {
    if (!entityBatch) return;
    const { projectId, entity, items } = entityBatch;
    entityBatch = undefined;
    await services.relational.batch(entity, projectId, items, { keepTimestamps: true });
    report.entityRows += items.length;
  }

  async function flushDocuments(): Promise<void> {
    if (!documentBatch) return;
    const { projectId, collection, documents } = documentBatch;
    documentBatch = undefined;
    const reembed = collections.get(collectionKey(projectId, collection))?.reembed ?? false;
    const vectors = reembed ? await embedder.embed(documents.map((document) => document.content), projectId) : documents.map((document) => decodeVector(document.vector));
    const batch: VectorDocument[] = documents.map((document, index) => ({ id: document.id, content: document.content, metadata: document.metadata as Metadata, vector: vectors[index]! }));
    await vectorStore.upsert(projectId, collection, batch);
    report.documents += documents.length;
    if (reembed) report.reembedded += documents.length;
  }

  async function flushAll(line: number): Promise<void> {
    await flushEntities();
    await flushDocuments();
    committedThrough = line;
  }

  function checkProjectId(value: unknown, line: number): string {
    if (typeof value !== 'string' || !PROJECT_ID_PATTERN.test(value)) throw invalid(line, `projectId ${JSON.stringify(value)} is not a valid project id`);
    return value;
  }

  function checkHeader(record: Record<string, unknown>, line: number): HeaderRecord {
    if (record.type !== 'header' || record.format !== BACKUP_FORMAT) throw invalid(line, `not an in-memoria-storage backup (the first line must be its header with format ${JSON.stringify(BACKUP_FORMAT)})`);
    if (record.version !== BACKUP_VERSION) {
      throw new AppError('UNSUPPORTED_BACKUP_VERSION', `backup format version ${JSON.stringify(record.version)} is not supported; this service reads version ${BACKUP_VERSION}; nothing was imported`);
    }
    const candidate = record as unknown as HeaderRecord;
    const dimensions = candidate.embedding?.dimensions;
    if (!options.reembed && typeof dimensions === 'number' && dimensions !== embedder.dimensions) {
      throw new AppError(
        'DIMENSION_MISMATCH',
        `the backup's vectors have ${dimensions} dimensions (${candidate.embedding.model}) but the target's embedder makes ${embedder.dimensions} (${embedder.model}); ` +
          'import with --reembed (reembed=true) to embed the documents again; nothing was imported',
      );
    }
    return candidate;
  }

  async function startCollection(record: CollectionRecord, line: number): Promise<void> {
    const projectId = checkProjectId(record.projectId, line);
    const spec = record.collection;
    if (!spec || typeof spec.name !== 'string' || typeof spec.dimensions !== 'number' || typeof spec.model !== 'string') throw invalid(line, 'a collection needs name, dimensions and model');
    const differs = spec.dimensions !== embedder.dimensions || spec.model !== embedder.model;
    if (spec.dimensions !== embedder.dimensions && !options.reembed) {
      throw new AppError(
        'DIMENSION_MISMATCH',
        `line ${line}: collection ${JSON.stringify(spec.name)} of project ${JSON.stringify(projectId)} holds ${spec.dimensions}-dimensional vectors but the target's embedder makes ${embedder.dimensions}; ` +
          `import with --reembed (reembed=true) to embed the documents again${committedSuffix()}`,
      );
    }
    const reembed = Boolean(options.reembed && differs);
    const target = reembed ? { dimensions: embedder.dimensions, model: embedder.model } : { dimensions: spec.dimensions, model: spec.model };
    await services.relational.ensureProject(projectId);
    await vectorStore.createCollection(projectId, spec.name, target);
    collections.set(collectionKey(projectId, spec.name), { reembed });
    report.collections++;
  }

  async function handle(record: Record<string, unknown>, line: number): Promise<void> {
    switch (record.type) {
      case 'project': {
        const project = record.project as Item | undefined;
        const projectId = checkProjectId(project?.projectId, line);
        await flushAll(line - 1);
        const { projectId: _id, ...metadata } = project!;
        await putProject(store, projectId, metadata);
        tallies.add(PROJECTS_KEY, project);
        report.projects++;
        committedThrough = line;
        return;
      }
      case 'entity': {
        const { projectId, entity, item } = record as unknown as EntityRecord;
        checkProjectId(projectId, line);
        const definition = entitiesByName.get(entity);
        if (!definition) throw invalid(line, `unknown entity ${JSON.stringify(entity)}`);
        if (!item || typeof item !== 'object' || typeof item[definition.key] !== 'string') throw invalid(line, `a ${entity} row needs its key ${definition.key}`);
        if (!entityBatch || entityBatch.projectId !== projectId || entityBatch.entity !== entity || entityBatch.items.length >= ENTITY_BATCH) {
          await flushAll(line - 1);
          entityBatch = { projectId, entity, items: [] };
        }
        entityBatch.items.push(item);
        tallies.add(entityKey(projectId, entity), item);
        return;
      }
      case 'collection':
        await flushAll(line - 1);
        await startCollection(record as unknown as CollectionRecord, line);
        committedThrough = line;
        return;
      case 'document': {
        const { projectId, collection, document } = record as unknown as DocumentRecord;
        if (!collections.has(collectionKey(projectId, collection))) throw invalid(line, `document of collection ${JSON.stringify(collection)} before the collection's line`);
        if (!document || typeof document.id !== 'string' || typeof document.content !== 'string' || typeof document.vector !== 'string') throw invalid(line, 'a document needs id, content and vector');
        if (!documentBatch || documentBatch.projectId !== projectId || documentBatch.collection !== collection || documentBatch.documents.length >= DOCUMENT_BATCH) {
          await flushAll(line - 1);
          documentBatch = { projectId, collection, documents: [] };
        }
        documentBatch.documents.push(document);
        tallies.add(collectionKey(projectId, collection), document);
        return;
      }
      case 'trailer':
        await flushAll(line - 1);
        trailer = record as unknown as TrailerRecord;
        return;
      default:
        throw invalid(line, `unknown record type ${JSON.stringify(record.type)}`);
    }
  }

  for await (const { text, number, complete } of readLines(source)) {
    if (!complete) break; // a cut line: reported below as a truncated stream
    lastComplete = number;
    if (text.trim() === '') continue;
    if (trailer) throw invalid(number, 'data after the trailer');
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      throw invalid(number, 'not valid JSON (the file is corrupted)');
    }
    if (!record || typeof record !== 'object' || Array.isArray(record)) throw invalid(number, 'not a JSON object');
    if (!header) header = checkHeader(record as Record<string, unknown>, number);
    else await handle(record as Record<string, unknown>, number);
    report.lines = number;
    if (number % 5000 === 0) options.onProgress?.({ lines: number });
  }

  if (!header) throw new AppError('INVALID_BACKUP', 'the backup is empty: no header line');
  if (!trailer) {
    throw new AppError(
      'BACKUP_TRUNCATED',
      `the backup stops after line ${lastComplete} (the last complete line) without its trailer${committedSuffix()}`,
    );
  }
  report.summary = tallies.summary();
  const differences = compareSummaries(trailer.summary ?? {}, report.summary);
  if (differences.length > 0) {
    const first = differences[0]!;
    throw new AppError(
      'CHECKSUM_MISMATCH',
      `the rows read do not match the trailer for ${differences.length} key(s), first ${first.key}: trailer ${JSON.stringify(first.source)}, read ${JSON.stringify(first.target)}; the file was altered`,
    );
  }
  options.onProgress?.({ lines: report.lines });
  return report;
}
