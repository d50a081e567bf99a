/**
 * Splits an NDJSON byte stream into lines, in time linear in its size: each
 * chunk is searched for newlines once, and a line's pieces are joined once.
 * A line longer than `maxLineBytes`, or a stream longer than `maxBytes`, fails
 * as soon as it is seen, so a hostile import never holds more than one line's
 * bytes. Shared by the service's import and the client's export reader, so it
 * imports nothing: the caller names the error a crossed limit raises.
 */

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

export interface LineOptions extends LineLimits {
  /** The error for a crossed limit: a line (numbered from 1) or the whole stream. */
  tooLarge(limit: 'line' | 'stream', lineNumber: number): Error;
}

const NEWLINE = 0x0a;

export async function* readLines(source: AsyncIterable<Uint8Array | string>, options?: LineOptions): AsyncGenerator<Line> {
  const maxLineBytes = options?.maxLineBytes ?? Infinity;
  const maxBytes = options?.maxBytes ?? Infinity;
  let pieces: Uint8Array[] = [];
  let pending = 0;
  let number = 0;
  let total = 0;
  const tooLarge = (limit: 'line' | 'stream') => options!.tooLarge(limit, number + 1);
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    total += chunk.length;
    if (total > maxBytes) throw tooLarge('stream');
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      if (pending + newline - start > maxLineBytes) throw tooLarge('line');
      pieces.push(chunk.subarray(start, newline));
      number++;
      yield { text: Buffer.concat(pieces).toString('utf8'), number, complete: true };
      pieces = [];
      pending = 0;
      start = newline + 1;
    }
    if (start < chunk.length) {
      pending += chunk.length - start;
      if (pending > maxLineBytes) throw tooLarge('line');
      pieces.push(chunk.subarray(start));
    }
  }
  if (pending > 0) yield { text: Buffer.concat(pieces).toString('utf8'), number: number + 1, complete: false };
}
