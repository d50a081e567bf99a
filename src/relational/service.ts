/**
 * The relational operations the routes call: one repository per entity, the
 * project rows, and the calls that span entities (stats, intelligence replace,
 * project deletion), each write in one transaction.
 */
import { AppError } from '../errors.js';
import { entities, entitiesByName, learnedEntities, workSessions } from '../entities/registry.js';
import { decodeRow, type Item } from './codec.js';
import { columnName } from '../entities/define.js';
import { quoteIdent } from './port.js';
import { currentSchemaVersion } from './migrate.js';
import type { RelationalStore, SqlClient } from './port.js';
import { ensureProject, getProject, listProjects, putProject, removeProjectRow, type ProjectItem, type ProjectPage } from './projects.js';
import {
  createEntityRepository,
  type CountResult,
  type EntityRepository,
  type EntityStats,
  type ListQuery,
  type Page,
  type WriteOptions,
} from './repository.js';

export type IntelligenceSection = keyof typeof learnedEntities;
export type Intelligence = Partial<Record<IntelligenceSection, Item[]>>;

/** The reads an export makes, all on one snapshot (see RelationalService.snapshot). */
export interface RelationalReader {
  list(entity: string, projectId: string, query: ListQuery): Promise<Page>;
  listProjects(limit: number, cursor?: string, only?: readonly string[]): Promise<ProjectPage>;
}

/** The writes an import makes, all in one transaction (see RelationalService.transaction). */
export interface RelationalWriter {
  putProject(projectId: string, metadata: Item): Promise<ProjectItem>;
  ensureProject(projectId: string): Promise<void>;
  batch(entity: string, projectId: string, items: Item[], options?: WriteOptions): Promise<number>;
}

export interface RelationalService {
  readonly provider: RelationalStore['provider'];
  /** Runs `read` on one consistent snapshot of every project and row (exports). */
  snapshot<T>(read: (reader: RelationalReader) => Promise<T>): Promise<T>;
  /** Runs `write` in one transaction: every write or none (imports). */
  transaction<T>(write: (writer: RelationalWriter) => Promise<T>): Promise<T>;
  list(entity: string, projectId: string, query: ListQuery): Promise<Page>;
  count(entity: string, projectId: string, query: { filters?: Record<string, string | number>; q?: string; groupBy?: string }): Promise<CountResult>;
  get(entity: string, projectId: string, key: string): Promise<Item>;
  put(entity: string, projectId: string, key: string, item: Item): Promise<Item>;
  patch(entity: string, projectId: string, key: string, changes: Item): Promise<Item>;
  remove(entity: string, projectId: string, key: string): Promise<void>;
  batch(entity: string, projectId: string, items: Item[], options?: WriteOptions): Promise<number>;
  replaceIntelligence(projectId: string, intelligence: Intelligence): Promise<Partial<Record<IntelligenceSection, number>>>;
  stats(projectId: string): Promise<{ schemaVersion: number; entities: Record<string, EntityStats> }>;
  /** `only`: the projects an API key is limited to. */
  listProjects(limit: number, cursor?: string, only?: readonly string[]): Promise<ProjectPage>;
  getProject(projectId: string): Promise<ProjectItem>;
  putProject(projectId: string, metadata: Item): Promise<ProjectItem>;
  patchProject(projectId: string, changes: Item): Promise<ProjectItem>;
  /** Creates the project row when absent (a vector write makes a project too). */
  ensureProject(projectId: string): Promise<void>;
  /** The open work session (no sessionEnd) with the latest start. */
  currentWorkSession(projectId: string): Promise<Item>;
  /** Deletes the project row and every entity row of the project; false when there was nothing. */
  deleteProject(projectId: string): Promise<boolean>;
}

export function createRelationalService(store: RelationalStore): RelationalService {
  const repositories = new Map(entities.map((entity) => [entity.name, createEntityRepository(entity, store.dialect)]));

  function repository(name: string): EntityRepository {
    const found = repositories.get(name);
    if (!found) throw new AppError('UNKNOWN_ENTITY', `unknown entity ${JSON.stringify(name)}`);
    return found;
  }

  const sessions = workSessions;
  const sessionColumns = Object.keys(sessions.fields)
    .map((field) => quoteIdent(columnName(field)))
    .join(', ');
  const currentSessionQuery = async (projectId: string) =>
    (
      await store.query(
        `SELECT ${sessionColumns} FROM ${quoteIdent(sessions.table)} WHERE project_id = ? AND session_end IS NULL ORDER BY session_start DESC, id DESC LIMIT 1`,
        [projectId],
      )
    ).map((row) => decodeRow(sessions.fields, row));

  const readerOver = (db: SqlClient): RelationalReader => ({
    list: (entity, projectId, query) => repository(entity).list(db, projectId, query),
    listProjects: (limit, cursor, only) => listProjects(db, limit, cursor, only),
  });

  const writerOver = (tx: SqlClient): RelationalWriter => ({
    putProject: (projectId, metadata) => putProject(tx, projectId, metadata),
    ensureProject: (projectId) => ensureProject(tx, projectId),
    async batch(entity, projectId, items, options) {
      const repo = repository(entity);
      await ensureProject(tx, projectId);
      return repo.upsertMany(tx, projectId, items, options);
    },
  });

  const reader = readerOver(store);

  function notFound(entity: string, key: string): AppError {
    return new AppError('NOT_FOUND', `${entitiesByName.get(entity)?.title ?? entity} ${JSON.stringify(key)} not found`);
  }

  return {
    provider: store.provider,
    snapshot: (read) => store.snapshot((db) => read(readerOver(db))),
    transaction: (write) => store.transaction((tx) => write(writerOver(tx))),

    list: reader.list,
    count: (entity, projectId, query) => repository(entity).count(store, projectId, query),

    async get(entity, projectId, key) {
      const item = await repository(entity).get(store, projectId, key);
      if (!item) throw notFound(entity, key);
      return item;
    },

    async put(entity, projectId, key, item) {
      const repo = repository(entity);
      return store.transaction(async (tx) => {
        await ensureProject(tx, projectId);
        return repo.upsert(tx, projectId, { ...item, [repo.entity.key]: key });
      });
    },

    async patch(entity, projectId, key, changes) {
      const repo = repository(entity);
      return store.transaction(async (tx) => {
        const existing = await repo.get(tx, projectId, key);
        if (!existing) throw notFound(entity, key);
        return repo.upsert(tx, projectId, { ...existing, ...changes, [repo.entity.key]: key });
      });
    },

    async remove(entity, projectId, key) {
      if (!(await repository(entity).remove(store, projectId, key))) throw notFound(entity, key);
    },

    batch: (entity, projectId, items, options) => store.transaction((tx) => writerOver(tx).batch(entity, projectId, items, options)),

    async replaceIntelligence(projectId, intelligence) {
      return store.transaction(async (tx) => {
        await ensureProject(tx, projectId);
        const written: Partial<Record<IntelligenceSection, number>> = {};
        for (const [section, entity] of Object.entries(learnedEntities) as Array<[IntelligenceSection, (typeof learnedEntities)[IntelligenceSection]]>) {
          const items = intelligence[section];
          if (!items) continue;
          const repo = repository(entity.name);
          await repo.removeAll(tx, projectId);
          written[section] = await repo.upsertMany(tx, projectId, items);
        }
        return written;
      });
    },

    async stats(projectId) {
      const perEntity: Record<string, EntityStats> = {};
      for (const [name, repo] of repositories) perEntity[name] = await repo.stats(store, projectId);
      return { schemaVersion: await currentSchemaVersion(store), entities: perEntity };
    },

    ensureProject: (projectId) => ensureProject(store, projectId),

    async currentWorkSession(projectId) {
      const [item] = await currentSessionQuery(projectId);
      if (!item) throw new AppError('NOT_FOUND', `project ${JSON.stringify(projectId)} has no open work session`);
      return item;
    },

    listProjects: reader.listProjects,

    async getProject(projectId) {
      const project = await getProject(store, projectId);
      if (!project) throw new AppError('PROJECT_NOT_FOUND', `project ${JSON.stringify(projectId)} not found`);
      return project;
    },

    putProject: (projectId, metadata) => store.transaction((tx) => putProject(tx, projectId, metadata)),

    async patchProject(projectId, changes) {
      return store.transaction(async (tx) => {
        const existing = await getProject(tx, projectId);
        if (!existing) throw new AppError('PROJECT_NOT_FOUND', `project ${JSON.stringify(projectId)} not found`);
        const { updatedAt: _previous, ...kept } = existing;
        return putProject(tx, projectId, { ...kept, ...changes });
      });
    },

    async deleteProject(projectId) {
      return store.transaction(async (tx) => {
        let removed = 0;
        for (const repo of repositories.values()) removed += await repo.removeAll(tx, projectId);
        const hadRow = await removeProjectRow(tx, projectId);
        return hadRow || removed > 0;
      });
    },
  };
}
