/** NDJSON (one JSON value per line) in both directions, streamed: neither side holds the whole dump. */

/** Parses a byte stream into values, one per non-empty line; a line split across chunks is joined first. */
export async function* parseNdjson(body: ReadableStream<Uint8Array>, onBadLine: (line: number, cause: unknown) => Error): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffered = '';
  let lineNumber = 0;
  const parse = (line: string) => {
    lineNumber++;
    try {
      return JSON.parse(line) as unknown;
    } catch (cause) {
      throw onBadLine(lineNumber, cause);
    }
  };
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield parse(line);
      else lineNumber++;
    }
  }
  const last = (buffered + decoder.decode()).trim();
  if (last) yield parse(last);
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
