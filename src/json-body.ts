/**
 * The JSON body parser. Beyond Fastify's own (which it replaces), it refuses
 * bytes that are not UTF-8 (instead of storing U+FFFD in their place) and
 * nesting deeper than MAX_JSON_DEPTH, which would otherwise overflow the
 * stack when the value is stored or serialised: both are 400s, never 500s.
 * `__proto__` and `constructor.prototype` keys are refused as before.
 */
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { AppError } from './errors.js';

export const MAX_JSON_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The characters the depth scan stops at; a regular expression skips everything between them natively. */
const STRUCTURAL = /["[\]{}]/g;

/**
 * Whether JSON text nests arrays and objects deeper than `limit`, read before parsing so that a
 * hostile body of millions of brackets is refused at the 65th instead of parsed. Numbers and the
 * inside of strings are skipped in bulk (a batch of vectors is mostly digits): this scan used to
 * cost two thirds of JSON.parse's time on such a batch.
 */
function depthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  STRUCTURAL.lastIndex = 0;
  for (let match = STRUCTURAL.exec(text); match !== null; match = STRUCTURAL.exec(text)) {
    const code = text.charCodeAt(match.index);
    if (code === 34) {
      // A string: its end is the next quote not escaped by an odd run of backslashes.
      let end = match.index;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end === -1) return false; // unterminated: JSON.parse refuses it
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 92) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      STRUCTURAL.lastIndex = end + 1;
    } else if (code === 91 || code === 123) {
      if (++depth > limit) return true;
    } else depth--;
  }
  return false;
}

export function registerJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return done(new AppError('MALFORMED_JSON', 'request body is not valid UTF-8'), undefined);
    }
    if (text.trim() === '') return done(new AppError('MALFORMED_JSON', 'request body is empty'), undefined);
    if (depthExceeds(text, MAX_JSON_DEPTH)) return done(new AppError('MALFORMED_JSON', `request body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      done(new AppError('MALFORMED_JSON', `request body is not acceptable JSON: ${(error as Error).message}`), undefined);
    }
  });
}
