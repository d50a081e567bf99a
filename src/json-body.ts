/**
 * The JSON body parser. Beyond Fastify's own (which it replaces), it refuses
 * bytes that are not UTF-8 (instead of storing U+FFFD in their place) and
 * nesting deeper than MAX_JSON_DEPTH, which would otherwise overflow the
 * stack when the value is stored or serialised: both are 400s, never 500s.
 * `__proto__` and `constructor.prototype` keys are refused as before
 * (json-text.ts).
 *
 * Bodies of OFF_THREAD_BYTES and more (batches of vectors: 2.2 MB for 1,000 x
 * 384 in base64) are decoded and parsed on a thread of their own, ~20 ms each
 * on the machine of docs/BENCHMARKS.md during which the event loop would
 * answer nothing else; receiving the parsed value back costs a few.
 */
import type { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import { AppError } from './errors.js';
import { parseJsonBody, type ParsedBody } from './json-text.js';
import { startWorker } from './workers.js';

export const OFF_THREAD_BYTES = 256 * 1024;

/** One thread for every app in the process, started by the first large body, idle threads unreferenced. */
let parser: Worker | null = null;
let nextId = 0;
const pending = new Map<number, (parsed: ParsedBody | Error) => void>();

function parserThread(): Worker {
  if (parser) return parser;
  // A small young generation: each large body leaves megabytes of garbage (its text, its parsed copy), which a
  // default-sized one kept between collections (20 batches of 1,000 x 384: +64 MB RSS, +35 MB with this).
  const thread = startWorker(new URL('./json-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 4 } });
  thread.on('message', ({ id, ...parsed }: { id: number } & ParsedBody) => {
    const settle = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) thread.unref();
    settle?.(parsed);
  });
  const fail = (error: Error) => {
    if (parser === thread) parser = null; // the next large body starts another
    for (const settle of pending.values()) settle(error);
    pending.clear();
  };
  thread.on('error', fail);
  thread.on('exit', (code) => fail(new Error(`the JSON parser thread exited with code ${code}`)));
  parser = thread;
  return thread;
}

function parseOffThread(body: Buffer): Promise<ParsedBody | Error> {
  const thread = parserThread();
  const id = nextId++;
  // Fastify assembled the body into a buffer of its own: handed over, not copied (2.2 MB of fresh pages).
  const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
  const bytes = whole ? new Uint8Array(body.buffer) : new Uint8Array(body);
  return new Promise((resolve) => {
    pending.set(id, resolve);
    thread.ref();
    thread.postMessage({ id, body: bytes }, [bytes.buffer as ArrayBuffer]);
  });
}

function answer(parsed: ParsedBody | Error, done: (error: Error | null, value?: unknown) => void): void {
  if (parsed instanceof Error) {
    // The body went with the thread: the client sends it again.
    done(new AppError('OVERLOADED', `request body could not be parsed: ${parsed.message}; try again`, { retryAfter: 1 }), undefined);
  } else if ('refused' in parsed) done(new AppError('MALFORMED_JSON', parsed.refused), undefined);
  else done(null, parsed.value);
}

export function registerJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    if (body.length < OFF_THREAD_BYTES) return answer(parseJsonBody(body), done);
    void parseOffThread(body).then((parsed) => answer(parsed, done));
  });
}
