/** Seeding a service with every kind of data, and reading exports back, for the backup tests. */
import { Readable } from 'node:stream';
import { entities } from '../../src/entities/registry.js';
import { canonicalJson, type BackupRecord } from '../../src/backup/format.js';
import { exportBackup } from '../../src/backup/export.js';
import type { Services } from '../../src/services.js';
import { sampleItem } from '../support/samples.js';

/** Two projects: metadata, 3 rows of every entity, and a collection of 12 documents (embedded by the service). */
export async function seed(services: Services, projects = ['alpha', 'beta']): Promise<void> {
  for (const projectId of projects) {
    await services.relational.putProject(projectId, { projectPath: `/src/${projectId}`, projectName: projectId, languagePrimary: 'typescript' });
    for (const entity of entities) {
      const items = [0, 1, 2].map((index) => ({
        ...sampleItem(entity, index),
        ...(entity.timestamps.touched ? { [entity.timestamps.touched]: '2026-02-03T04:05:06.789Z' } : {}),
      }));
      await services.relational.batch(entity.name, projectId, items, { keepTimestamps: true });
    }
    const documents = Array.from({ length: 12 }, (_unused, index) => ({
      id: `chunk_${index}`,
      content: `export function handler${index}(request) { return loadUser(request.id + ${index}); }`,
      metadata: { filePath: `src/file${index % 4}.ts`, language: 'typescript', lineCount: 10 + index, tags: ['a', 'b'] },
    }));
    await services.vectors.upsert(projectId, 'code', documents);
  }
}

export async function exportText(services: Services, projects?: string[]): Promise<string> {
  const parts: string[] = [];
  await exportBackup(services, (text) => void parts.push(text), { projects });
  return parts.join('');
}

export function records(text: string): BackupRecord[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as BackupRecord);
}

/** The data lines of an export in a canonical, order-free form (header and trailer left out). */
export function contentOf(text: string): string[] {
  return records(text)
    .filter((record) => record.type !== 'header' && record.type !== 'trailer')
    .map(canonicalJson)
    .sort();
}

export function trailerOf(text: string): Extract<BackupRecord, { type: 'trailer' }> {
  const last = records(text).at(-1)!;
  if (last.type !== 'trailer') throw new Error('no trailer');
  return last;
}

/** A stream of the text in small chunks, as a network would deliver it. */
export function chunked(text: string, size = 997): Readable {
  const buffer = Buffer.from(text);
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
    })(),
  );
}
