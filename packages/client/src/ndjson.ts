/** NDJSON (one JSON value per line) in both directions, streamed: neither side holds the whole dump. */
import { readLines } from '../../../src/shared/lines.js';

/** Parses a byte stream into values, one per non-empty line (lines split as the service's import splits them). */
export async function* parseNdjson(body: ReadableStream<Uint8Array>, onBadLine: (line: number, cause: unknown) => Error): AsyncGenerator<unknown> {
  for await (const { text, number } of readLines(body as unknown as AsyncIterable<Uint8Array>)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw onBadLine(number, cause);
    }
    yield value;
  }
}

/** Encodes values as NDJSON, pulled one at a time as the upload consumes them (backpressure). */
export function ndjsonStream(records: AsyncIterable<unknown> | Iterable<unknown>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = Symbol.asyncIterator in records ? records[Symbol.asyncIterator]() : (records as Iterable<unknown>)[Symbol.iterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
