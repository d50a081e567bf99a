/**
 * Splits an NDJSON byte stream into lines, in time linear in its size: each
 * chunk is searched for newlines once, and a line's pieces are joined once.
 * A line longer than `maxLineBytes`, or a stream longer than `maxBytes`, is a
 * 413 as soon as it is seen, so a hostile import never holds more than one
 * line's bytes.
 */
import { AppError } from '../errors.js';

export interface Line {
  text: string;
  /** Numbered from 1. */
  number: number;
  /** False for a last line without its newline (a cut stream). */
  complete: boolean;
}

export interface LineLimits {
  maxLineBytes: number;
  maxBytes: number;
}

const NEWLINE = 0x0a;

export async function* readLines(source: AsyncIterable<Buffer | string>, limits: LineLimits): AsyncGenerator<Line> {
  let pieces: Buffer[] = [];
  let pending = 0;
  let number = 0;
  let total = 0;
  const tooLong = () =>
    new AppError('BODY_TOO_LARGE', `line ${number + 1} is longer than ${limits.maxLineBytes} bytes (IMPORT_MAX_LINE_BYTES)`);
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    total += chunk.length;
    if (total > limits.maxBytes) throw new AppError('BODY_TOO_LARGE', `the import is larger than ${limits.maxBytes} bytes (IMPORT_MAX_BYTES)`);
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      if (pending + newline - start > limits.maxLineBytes) throw tooLong();
      pieces.push(chunk.subarray(start, newline));
      number++;
      yield { text: Buffer.concat(pieces).toString('utf8'), number, complete: true };
      pieces = [];
      pending = 0;
      start = newline + 1;
    }
    if (start < chunk.length) {
      pending += chunk.length - start;
      if (pending > limits.maxLineBytes) throw tooLong();
      pieces.push(chunk.subarray(start));
    }
  }
  if (pending > 0) yield { text: Buffer.concat(pieces).toString('utf8'), number: number + 1, complete: false };
}
