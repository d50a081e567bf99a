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
import type { FastifyInstance } from 'fastify';
import { AppError } from './errors.js';
import { parseJsonBody, type ParsedBody } from './json-text.js';
import { requestThread } from './workers.js';

export const OFF_THREAD_BYTES = 256 * 1024;

/**
 * One thread for every app in the process, started by the first large body. A small young generation:
 * each large body leaves megabytes of garbage in it (its text, its parsed copy), which a default-sized
 * one kept between collections (20 batches of 1,000 x 384: +64 MB RSS, +35 MB with this).
 */
const parser = requestThread<{ body: Uint8Array }, ParsedBody>('the JSON parser thread', new URL('./json-worker.js', import.meta.url), {
  resourceLimits: { maxYoungGenerationSizeMb: 4 },
});

type Done = (error: Error | null, value?: unknown) => void;

function answer(parsed: ParsedBody, done: Done): void {
  if ('refused' in parsed) done(new AppError('MALFORMED_JSON', parsed.refused), undefined);
  else done(null, parsed.value);
}

function parseOffThread(body: Buffer, done: Done): void {
  // Fastify assembled the body into a buffer of its own: handed over, not copied (2.2 MB of fresh pages).
  const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
  const bytes = whole ? new Uint8Array(body.buffer) : new Uint8Array(body);
  parser.request({ body: bytes }, [bytes.buffer as ArrayBuffer]).then(
    (parsed) => answer(parsed, done),
    // The body went with the thread: the client sends it again.
    (error: Error) => done(new AppError('OVERLOADED', `request body could not be parsed: ${error.message}; try again`, { retryAfter: 1 }), undefined),
  );
}

export function registerJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    if (body.length < OFF_THREAD_BYTES) answer(parseJsonBody(body), done);
    else parseOffThread(body, done);
  });
}
