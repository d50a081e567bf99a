/**
 * `export`, `import` and `migrate`: the backup module (src/backup) without HTTP,
 * on the stores the configuration names. Data and reports go to stdout,
 * progress to stderr.
 *
 * Local mode holds its SQLite file exclusively: stop the service on that data
 * directory first (or export over HTTP while it runs).
 */
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { PassThrough, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { exportBackup, type ExportResult } from '../backup/export.js';
import { compareSummaries, type Summary } from '../backup/format.js';
import { importBackup } from '../backup/import.js';
import { spool } from '../backup/spool.js';
import { importInMemoria, type InMemoriaImportReport } from '../backup/in-memoria.js';
import { streamSink } from '../backup/sink.js';
import { ConfigError, loadConfig } from '../config.js';
import { entities } from '../entities/registry.js';
import { PROJECT_ID_PATTERN, PROJECT_ID_SOURCE } from '../entities/project-id.js';
import { createServices, type Services } from '../services.js';
import { readEnvFile } from './env-file.js';
import { createProgress } from './progress.js';

type Env = Record<string, string | undefined>;

async function withServices<T>(env: Env, work: (services: Services) => Promise<T>): Promise<T> {
  const services = await createServices(loadConfig(env));
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}

/** How many lines an export will write, for the progress bar. */
async function estimateLines(services: Services, only?: string[]): Promise<number> {
  let total = 0;
  let cursor: string | undefined;
  do {
    const page = await services.relational.listProjects(1000, cursor);
    for (const { projectId } of page.items) {
      if (only && only.length > 0 && !only.includes(projectId)) continue;
      total++;
      for (const entity of entities) total += (await services.relational.count(entity.name, projectId, {})).count;
      for (const collection of await services.vectors.listCollections(projectId)) total += 1 + collection.count;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return total + 1;
}

async function exportWithProgress(services: Services, sink: Parameters<typeof exportBackup>[1], projects?: string[]): Promise<ExportResult> {
  const progress = createProgress('export', await estimateLines(services, projects));
  try {
    return await exportBackup(services, sink, { projects, onProgress: ({ lines, phase }) => progress.update(lines, phase) });
  } finally {
    progress.stop();
  }
}

function need(value: string | undefined, flag: string): string {
  if (!value) throw new ConfigError(`${flag} is required`);
  return value;
}

export async function exportCommand(argv: string[], env: Env): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { output: { type: 'string', short: 'o' }, project: { type: 'string', short: 'p', multiple: true } } });
  const output = need(values.output, '--output');
  return withServices(env, async (services) => {
    if (output === '-') {
      await exportBackup(services, streamSink(process.stdout), { projects: values.project });
      return 0;
    }
    // Written beside the target and renamed when complete: a failed export never looks like a backup.
    // Owner-only (0600): a backup holds every tenant's data.
    const partial = `${output}.partial`;
    const file = createWriteStream(partial, { mode: 0o600 });
    try {
      const result = await exportWithProgress(services, streamSink(file), values.project);
      file.end();
      await finished(file);
      renameSync(partial, output);
      process.stdout.write(`${JSON.stringify({ output, lines: result.lines, projects: result.projects.length, summary: result.summary })}\n`);
      return 0;
    } catch (error) {
      file.destroy();
      rmSync(partial, { force: true });
      throw error;
    }
  });
}

export async function importCommand(argv: string[], env: Env): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { input: { type: 'string', short: 'i' }, reembed: { type: 'boolean', default: false } } });
  const input = need(values.input, '--input');
  return withServices(env, async (services) => {
    // Stdin cannot be read twice (the import verifies, then writes): it is staged in a private temporary file first.
    const staged = input === '-' ? await spool(process.stdin, services.config.imports.maxBytes) : undefined;
    const file = input === '-' ? undefined : input;
    const size = file ? statSync(file).size : 0;
    const progress = createProgress('import (bytes; verified, then written)', size * 2);
    let read = 0;
    const open = () => {
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          read += chunk.length;
          progress.update(read, '');
          callback(null, chunk);
        },
      });
      return (file ? createReadStream(file) : (staged!.open() as NodeJS.ReadableStream)).pipe(counter);
    };
    try {
      const report = await importBackup(services, open, { reembed: values.reembed });
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    } finally {
      progress.stop();
      staged?.remove();
    }
  });
}

/** One line per key, source vs target; the keys that differ are marked. */
export function verificationReport(
  source: Summary,
  target: Summary,
  options: { countsOnlyFor?: (key: string) => boolean } = {},
): { text: string; differing: number } {
  const keys = [...new Set([...Object.keys(source), ...Object.keys(target)])].sort();
  const width = Math.max(10, ...keys.map((key) => key.length));
  const cell = (tally: Summary[string] | undefined) =>
    tally ? `${String(tally.count).padStart(8)} ${tally.checksum}` : `${'-'.padStart(8)} ${'-'.padEnd(16)}`;
  let differing = 0;
  const lines = [`${'key'.padEnd(width)}  ${'source'.padEnd(25)}  ${'target'.padEnd(25)}  result`];
  for (const key of keys) {
    const a = source[key];
    const b = target[key];
    const countsOnly = options.countsOnlyFor?.(key) ?? false;
    const same = countsOnly ? a?.count === b?.count : compareSummaries({ [key]: a! }, { [key]: b! }).length === 0 && a !== undefined && b !== undefined;
    if (!same) differing++;
    lines.push(`${key.padEnd(width)}  ${cell(a)}  ${cell(b)}  ${same ? (countsOnly ? 'ok (count; re-embedded)' : 'ok') : 'DIFFERS'}`);
  }
  lines.push(differing === 0 ? `verified: ${keys.length} keys, counts and checksums equal` : `FAILED: ${differing} of ${keys.length} keys differ`);
  return { text: lines.join('\n'), differing };
}

export async function migrateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      project: { type: 'string', short: 'p', multiple: true },
      reembed: { type: 'boolean', default: false },
    },
  });
  const fromEnv = readEnvFile(need(values.from, '--from'));
  const toEnv = readEnvFile(need(values.to, '--to'));
  return withServices(fromEnv, (source) =>
    withServices(toEnv, async (target) => {
      // Export and import run together through a pipe: nothing is staged on disk, memory stays flat.
      const pipe = new PassThrough({ highWaterMark: 1 << 20 });
      const exporting = exportWithProgress(source, streamSink(pipe, 'the import stopped'), values.project).then(
        (result) => {
          pipe.end();
          return result;
        },
        (error: unknown) => {
          pipe.destroy(error as Error);
          throw error;
        },
      );
      const importing = importBackup(target, () => pipe, { reembed: values.reembed, singlePass: true });
      const [exported, imported] = await Promise.all([
        exporting,
        importing.catch((error: unknown) => {
          pipe.destroy();
          throw error;
        }),
      ]);

      // Verification reads the target back with the same code and compares every count and checksum.
      const check = exported.projects.length > 0 ? await exportBackup(target, () => undefined, { projects: exported.projects }) : { summary: {} as Summary };
      const reembedded = imported.reembedded > 0;
      const { text, differing } = verificationReport(exported.summary, check.summary, { countsOnlyFor: (key) => reembedded && key.includes('/collections/') });
      process.stdout.write(`${text}\n`);
      return differing === 0 ? 0 : 1;
    }),
  );
}

export async function importInMemoriaCommand(argv: string[], env: Env): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: 'string' },
      project: { type: 'string', short: 'p' },
      embed: { type: 'boolean', default: false },
      collection: { type: 'string', default: 'concepts' },
    },
  });
  const file = need(values.db, '--db');
  const projectId = need(values.project, '--project');
  if (!PROJECT_ID_PATTERN.test(projectId)) throw new ConfigError(`--project ${JSON.stringify(projectId)} is not a valid project id (${PROJECT_ID_SOURCE})`);
  return withServices(env, async (services) => {
    const progress = createProgress('import-in-memoria');
    let report: InMemoriaImportReport;
    try {
      report = await importInMemoria(services, {
        file,
        projectId,
        embedInto: values.embed ? values.collection : undefined,
        onProgress: ({ done, phase }) => progress.update(done, phase),
      });
    } finally {
      progress.stop();
    }
    const lines = [`${file} (In-Memoria schema version ${report.schemaVersion ?? 'unknown'}) -> project ${projectId}`];
    let short = 0;
    for (const table of report.tables) {
      const ok = table.imported === table.sourceRows;
      if (!ok) short++;
      const dropped = table.droppedColumns.length ? ` (columns not kept: ${table.droppedColumns.join(', ')})` : '';
      lines.push(
        `  ${table.table.padEnd(24)} ${String(table.sourceRows).padStart(7)} rows -> ${String(table.imported).padStart(7)} ${ok ? 'ok' : 'MISSING ROWS'}${dropped}`,
      );
    }
    if (report.missingTables.length) lines.push(`  tables absent from this schema version: ${report.missingTables.join(', ')}`);
    lines.push(`  project metadata: ${report.projectMetadata ? 'imported' : 'none in the file'}`);
    if (values.embed) lines.push(`  concepts embedded into collection ${values.collection}: ${report.embedded}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return short === 0 ? 0 : 1;
  });
}
