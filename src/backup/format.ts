/**
 * The backup format: NDJSON, one record per line.
 *
 *   header      format, version, source providers, embedding model and dimensions, time, projects asked for
 *   project     a project row (metadata), always before the project's data
 *   entity      one entity row of a project
 *   collection  a collection's spec, before its documents
 *   document    one document with its vector
 *   trailer     counts and an order-independent checksum per entity and collection
 *
 * Vectors travel as base64 of their float32 little-endian bytes: exact (a JSON
 * decimal round trip is exact too, but 3-4 times longer and slower to parse).
 */
import { createHash } from 'node:crypto';

export const BACKUP_FORMAT = 'in-memoria-storage-backup';
export const BACKUP_VERSION = 1;

export interface HeaderRecord {
  type: 'header';
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  providers: { relational: string; vectors: string };
  embedding: { model: string; dimensions: number };
  /** The projects asked for, or null for every project. */
  projects: string[] | null;
  vectorEncoding: 'float32-le-base64';
}

export interface ProjectRecord {
  type: 'project';
  project: Record<string, unknown> & { projectId: string };
}

export interface EntityRecord {
  type: 'entity';
  projectId: string;
  entity: string;
  item: Record<string, unknown>;
}

export interface CollectionRecord {
  type: 'collection';
  projectId: string;
  collection: { name: string; dimensions: number; model: string };
}

export interface DocumentRecord {
  type: 'document';
  projectId: string;
  collection: string;
  document: { id: string; content: string; metadata: Record<string, unknown>; vector: string };
}

export interface Tally {
  count: number;
  checksum: string;
}

/** Counts and checksums keyed `project` / `<projectId>/<entity>` / `<projectId>/collections/<name>`. */
export type Summary = Record<string, Tally>;

export interface TrailerRecord {
  type: 'trailer';
  /** Lines before the trailer, header included. */
  lines: number;
  summary: Summary;
}

export type BackupRecord = HeaderRecord | ProjectRecord | EntityRecord | CollectionRecord | DocumentRecord | TrailerRecord;

/** JSON with object keys sorted at every level, so equal content hashes equally wherever it came from. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, inner]) => inner !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
}

const MOD = 1n << 64n;

/**
 * Count and checksum per key. The checksum is the sum modulo 2^64 of the first
 * 8 bytes of each row's sha256 over its canonical JSON: independent of order,
 * so two stores that list rows differently still agree.
 */
export class Tallies {
  private readonly sums = new Map<string, { count: number; sum: bigint }>();

  add(key: string, row: unknown): void {
    const digest = createHash('sha256').update(canonicalJson(row)).digest();
    const entry = this.sums.get(key) ?? { count: 0, sum: 0n };
    entry.count++;
    entry.sum = (entry.sum + digest.readBigUInt64BE(0)) % MOD;
    this.sums.set(key, entry);
  }

  summary(): Summary {
    const out: Summary = {};
    for (const key of [...this.sums.keys()].sort()) {
      const { count, sum } = this.sums.get(key)!;
      out[key] = { count, checksum: sum.toString(16).padStart(16, '0') };
    }
    return out;
  }
}

export const entityKey = (projectId: string, entity: string) => `${projectId}/${entity}`;
export const collectionKey = (projectId: string, name: string) => `${projectId}/collections/${name}`;
export const PROJECTS_KEY = 'projects';

/** Where two summaries differ: one line per key, empty when they agree. */
export function compareSummaries(source: Summary, target: Summary): Array<{ key: string; source: Tally | null; target: Tally | null }> {
  const keys = [...new Set([...Object.keys(source), ...Object.keys(target)])].sort();
  return keys
    .map((key) => ({ key, source: source[key] ?? null, target: target[key] ?? null }))
    .filter(({ source: a, target: b }) => a?.count !== b?.count || a?.checksum !== b?.checksum);
}
