/**
 * Import: reads the NDJSON of `exportBackup` back, idempotently (every write is
 * an upsert by key that keeps the exported timestamps), in batches, each batch
 * all or nothing.
 *
 * Verified before anything is written: a first pass reads the whole backup
 * and checks its header, every row against the schema its route validates
 * with (so an import stores nothing the API would refuse), every vector's
 * size, and the trailer's counts and checksums; only a backup that passes is
 * read again and written. A failure in the writing pass (a provider outage)
 * leaves whole batches, and importing the same backup again finishes the job.
 *
 * `singlePass` (migration, whose source is a live export of this service)
 * validates each row before writing its batch but compares the checksums only
 * at the end: a stream cannot be read twice.
 */
import { AppError } from '../errors.js';
import { entitiesByName } from '../entities/registry.js';
import { PROJECT_ID_PATTERN } from '../entities/project-id.js';
import { ProjectPutSchema } from '../schemas/projects.js';
import { entitySchemas } from '../schemas/entities.js';
import type { Item } from '../relational/codec.js';
import type { Services } from '../services.js';
import { compileBodyCheck } from '../validation.js';
import type { VectorDocument, Metadata } from '../vectors/port.js';
import { CollectionNameSchema, DocumentIdSchema, MAX_CONTENT_LENGTH, MAX_DIMENSIONS, MetadataSchema } from '../schemas/vectors.js';
import Type from 'typebox';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  collectionKey,
  compareSummaries,
  entityKey,
  PROJECTS_KEY,
  Tallies,
  type CollectionRecord,
  type DocumentRecord,
  type EntityRecord,
  type HeaderRecord,
  type TrailerRecord,
} from './format.js';
import { readLines, type LineLimits } from '../shared/lines.js';
import { decodeVector } from '../shared/vector-encoding.js';
import type { ImportReport } from '../schemas/backup.js';

/** A backup that can be read from its start again (a file); the import reads it twice. */
export type BackupSource = () => AsyncIterable<Buffer | string>;

export interface ImportOptions {
  /** Embed documents again with the target's embedder instead of refusing vectors of another size or model. */
  reembed?: boolean;
  onProgress?: (progress: { lines: number; pass: 'verify' | 'write' }) => void;
  /** Overrides of the configured IMPORT_MAX_LINE_BYTES / IMPORT_MAX_BYTES (tests). */
  limits?: Partial<LineLimits>;
  /** Read the source once, writing as it is read (see above). */
  singlePass?: boolean;
}

const ENTITY_BATCH = 1000;
const DOCUMENT_BATCH = 256;

type ImportServices = Pick<Services, 'relational' | 'vectors' | 'config'>;

const DocumentRowSchema = Type.Object(
  { id: DocumentIdSchema, content: Type.String({ minLength: 1, maxLength: MAX_CONTENT_LENGTH }), metadata: MetadataSchema, vector: Type.String() },
  { additionalProperties: false },
);
const CollectionSpecSchema = Type.Object({
  name: CollectionNameSchema,
  dimensions: Type.Integer({ minimum: 1, maximum: MAX_DIMENSIONS }),
  model: Type.String({ minLength: 1, maxLength: 256 }),
});

/** The checks of each kind of row, compiled once. */
const checks = {
  project: compileBodyCheck(ProjectPutSchema),
  document: compileBodyCheck(DocumentRowSchema),
  collection: compileBodyCheck(CollectionSpecSchema),
  entities: new Map([...entitiesByName].map(([name, entity]) => [name, compileBodyCheck(entitySchemas(entity).keyedInput)])),
};

export async function importBackup(services: ImportServices, source: BackupSource, options: ImportOptions = {}): Promise<ImportReport> {
  if (options.singlePass) return readBackup(services, source(), options, 'write+verify');
  await readBackup(services, source(), options, 'verify');
  return readBackup(services, source(), options, 'write');
}

/** One pass over a backup: `verify` writes nothing, `write` trusts a verified backup's checksums, `write+verify` does both. */
async function readBackup(
  services: ImportServices,
  source: AsyncIterable<Buffer | string>,
  options: ImportOptions,
  pass: 'verify' | 'write' | 'write+verify',
): Promise<ImportReport> {
  const { relational, vectors } = services;
  const embedding = vectors.embedding;
  const writing = pass !== 'verify';
  const verifying = pass !== 'write';
  const limits = { ...services.config.imports, ...options.limits };
  const tallies = new Tallies();
  const report: ImportReport = { lines: 0, projects: 0, entityRows: 0, collections: 0, documents: 0, reembedded: 0, summary: {} };

  let header: HeaderRecord | undefined;
  let trailer: TrailerRecord | undefined;
  let lastComplete = 0;
  let committedThrough = 0;
  /** The rows read but not yet written: one entity of one project, or one collection's documents. */
  let entityBatch: { projectId: string; entity: string; items: Item[] } | undefined;
  let documentBatch: { projectId: string; collection: string; documents: DocumentRecord['document'][] } | undefined;
  const collections = new Map<string, { reembed: boolean; dimensions: number }>();

  const invalid = (line: number, message: string) => new AppError('INVALID_BACKUP', `line ${line}: ${message}${committedSuffix()}`);
  const committedSuffix = () =>
    writing && committedThrough > 0
      ? `; lines 1-${committedThrough} were imported, importing the whole backup again finishes the job`
      : '; nothing was imported';

  async function flushEntities(): Promise<void> {
    if (!entityBatch) return;
    const { projectId, entity, items } = entityBatch;
    entityBatch = undefined;
    if (writing) await relational.batch(entity, projectId, items, { keepTimestamps: true });
    report.entityRows += items.length;
  }

  async function flushDocuments(): Promise<void> {
    if (!documentBatch) return;
    const { projectId, collection, documents } = documentBatch;
    documentBatch = undefined;
    const reembed = collections.get(collectionKey(projectId, collection))?.reembed ?? false;
    if (!writing) {
      report.documents += documents.length;
      return;
    }
    const ready = reembed
      ? await vectors.embed(
          documents.map((document) => document.content),
          projectId,
        )
      : documents.map((document) => decodeVector(document.vector)!); // checked on the verify pass (checkVector)
    const batch: VectorDocument[] = documents.map((document, index) => ({
      id: document.id,
      content: document.content,
      metadata: document.metadata as Metadata,
      vector: ready[index]!,
    }));
    await vectors.importDocuments(projectId, collection, batch);
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
    if (record.type !== 'header' || record.format !== BACKUP_FORMAT) {
      throw invalid(line, `not an in-memoria-storage backup (the first line must be its header with format ${JSON.stringify(BACKUP_FORMAT)})`);
    }
    if (record.version !== BACKUP_VERSION) {
      throw new AppError(
        'UNSUPPORTED_BACKUP_VERSION',
        `backup format version ${JSON.stringify(record.version)} is not supported; this service reads version ${BACKUP_VERSION}; nothing was imported`,
      );
    }
    const candidate = record as unknown as HeaderRecord;
    const dimensions = candidate.embedding?.dimensions;
    if (!options.reembed && typeof dimensions === 'number' && dimensions !== embedding.dimensions) {
      throw new AppError(
        'DIMENSION_MISMATCH',
        `the backup's vectors have ${dimensions} dimensions (${candidate.embedding.model}) but the target's embedder makes ${embedding.dimensions} (${embedding.model}); ` +
          'import with --reembed (reembed=true) to embed the documents again; nothing was imported',
      );
    }
    return candidate;
  }

  async function startCollection(record: CollectionRecord, line: number): Promise<void> {
    const projectId = checkProjectId(record.projectId, line);
    const spec = record.collection;
    const problem = checks.collection(spec);
    if (problem) throw invalid(line, `collection: ${problem}`);
    const differs = spec.dimensions !== embedding.dimensions || spec.model !== embedding.model;
    if (spec.dimensions !== embedding.dimensions && !options.reembed) {
      throw new AppError(
        'DIMENSION_MISMATCH',
        `line ${line}: collection ${JSON.stringify(spec.name)} of project ${JSON.stringify(projectId)} holds ${spec.dimensions}-dimensional vectors but the target's embedder makes ${embedding.dimensions}; ` +
          `import with --reembed (reembed=true) to embed the documents again${committedSuffix()}`,
      );
    }
    const reembed = Boolean(options.reembed && differs);
    const target = reembed ? { dimensions: embedding.dimensions, model: embedding.model } : { dimensions: spec.dimensions, model: spec.model };
    if (writing) {
      await relational.ensureProject(projectId);
      await vectors.importCollection(projectId, spec.name, target);
    }
    collections.set(collectionKey(projectId, spec.name), { reembed, dimensions: spec.dimensions });
    report.collections++;
  }

  async function handle(record: Record<string, unknown>, line: number): Promise<void> {
    switch (record.type) {
      case 'project': {
        const project = record.project as Item | undefined;
        const projectId = checkProjectId(project?.projectId, line);
        await flushAll(line - 1);
        if (verifying) tallies.add(PROJECTS_KEY, project);
        const problem = checks.project(project);
        if (problem) throw invalid(line, `project: ${problem}`);
        const { projectId: _id, ...metadata } = project!;
        if (writing) await relational.putProject(projectId, metadata);
        report.projects++;
        committedThrough = line;
        return;
      }
      case 'entity': {
        const { projectId, entity, item } = record as unknown as EntityRecord;
        checkProjectId(projectId, line);
        const definition = entitiesByName.get(entity);
        if (!definition) throw invalid(line, `unknown entity ${JSON.stringify(entity)}`);
        if (verifying) tallies.add(entityKey(projectId, entity), item);
        const problem = checks.entities.get(entity)!(item);
        if (problem) throw invalid(line, `${entity} row: ${problem}`);
        if (!entityBatch || entityBatch.projectId !== projectId || entityBatch.entity !== entity || entityBatch.items.length >= ENTITY_BATCH) {
          await flushAll(line - 1);
          entityBatch = { projectId, entity, items: [] };
        }
        entityBatch.items.push(item);
        return;
      }
      case 'collection':
        await flushAll(line - 1);
        await startCollection(record as unknown as CollectionRecord, line);
        committedThrough = line;
        return;
      case 'document': {
        const { projectId, collection, document } = record as unknown as DocumentRecord;
        const target = collections.get(collectionKey(projectId, collection));
        if (!target) throw invalid(line, `document of collection ${JSON.stringify(collection)} before the collection's line`);
        if (verifying) tallies.add(collectionKey(projectId, collection), document);
        const problem = checks.document(document);
        if (problem) throw invalid(line, `document: ${problem}`);
        if (!target.reembed) checkVector(document.vector, target.dimensions, line);
        if (
          !documentBatch ||
          documentBatch.projectId !== projectId ||
          documentBatch.collection !== collection ||
          documentBatch.documents.length >= DOCUMENT_BATCH
        ) {
          await flushAll(line - 1);
          documentBatch = { projectId, collection, documents: [] };
        }
        documentBatch.documents.push(document);
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

  const lines = readLines(source, {
    ...limits,
    // Raised while reading: the message says what was committed before it.
    tooLarge: (limit, line) =>
      new AppError(
        'BODY_TOO_LARGE',
        (limit === 'line'
          ? `line ${line} is longer than ${limits.maxLineBytes} bytes (IMPORT_MAX_LINE_BYTES)`
          : `the import is larger than ${limits.maxBytes} bytes (IMPORT_MAX_BYTES)`) + committedSuffix(),
      ),
  });
  for await (const { text, number, complete } of lines) {
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
    if (number % 5000 === 0) options.onProgress?.({ lines: number, pass: writing ? 'write' : 'verify' });
  }

  if (!header) throw new AppError('INVALID_BACKUP', 'the backup is empty: no header line');
  if (!trailer) {
    throw new AppError('BACKUP_TRUNCATED', `the backup stops after line ${lastComplete} (the last complete line) without its trailer${committedSuffix()}`);
  }
  report.summary = verifying ? tallies.summary() : (trailer.summary ?? {});
  const differences = compareSummaries(trailer.summary ?? {}, report.summary);
  if (differences.length > 0) {
    const first = differences[0]!;
    throw new AppError(
      'CHECKSUM_MISMATCH',
      `the rows read do not match the trailer for ${differences.length} key(s), first ${first.key}: trailer ${JSON.stringify(first.source)}, read ${JSON.stringify(first.target)}; the file was altered${committedSuffix()}`,
    );
  }
  options.onProgress?.({ lines: report.lines, pass: writing ? 'write' : 'verify' });
  return report;
}

/** A vector must decode to exactly its collection's size, every component a finite float32. */
function checkVector(encoded: string, dimensions: number, line: number): void {
  const vector = decodeVector(encoded);
  if (vector?.length !== dimensions) {
    throw new AppError('INVALID_BACKUP', `line ${line}: the document's vector is not ${dimensions} float32 values in base64; nothing was imported`);
  }
  if (!vector.every(Number.isFinite)) {
    throw new AppError('INVALID_BACKUP', `line ${line}: the document's vector has a component that is not finite; nothing was imported`);
  }
}
