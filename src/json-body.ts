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

/** The deepest nesting of arrays and objects in JSON text, stopping early past `limit`. */
function depthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 92) i++; // backslash: skip the escaped character
      else if (code === 34) inString = false;
    } else if (code === 34) inString = true;
    else if (code === 91 || code === 123) {
      if (++depth > limit) return true;
    } else if (code === 93 || code === 125) depth--;
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
