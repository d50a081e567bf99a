/**
 * Stages a backup arriving as a stream (an HTTP body, stdin) in a temporary
 * file, so the import can verify all of it before writing any of it. The file
 * is private to the service (0600: it holds every tenant's data) and never
 * larger than `maxBytes`.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors.js';
import type { BackupSource } from './import.js';

export interface Spooled {
  open: BackupSource;
  remove(): void;
}

export async function spool(source: NodeJS.ReadableStream, maxBytes: number): Promise<Spooled> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ims-import-'));
  const file = path.join(dir, 'backup.ndjson');
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) callback(new AppError('BODY_TOO_LARGE', `the import is larger than ${maxBytes} bytes (IMPORT_MAX_BYTES); nothing was imported`));
      else callback(null, chunk);
    },
  });
  try {
    await pipeline(source, limit, createWriteStream(file, { mode: 0o600 }));
  } catch (error) {
    remove();
    throw error;
  }
  return { open: () => createReadStream(file, { highWaterMark: 1 << 20 }), remove };
}
