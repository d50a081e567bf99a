/**
 * A JSON request body checked and parsed, as a value or the reason it is refused: the parser on the
 * event loop (json-body.ts) and its thread for large bodies (json-worker.ts) run this one function.
 * Imports nothing of the service, so the thread loads little.
 */
import secureJson from 'secure-json-parse';

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

export type ParsedBody = { value: unknown } | { refused: string };

export function parseJsonBody(body: Uint8Array): ParsedBody {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { refused: 'request body is not valid UTF-8' };
  }
  if (text.trim() === '') return { refused: 'request body is empty' };
  if (depthExceeds(text, MAX_JSON_DEPTH)) return { refused: `request body nests deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { value: secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }) };
  } catch (error) {
    return { refused: `request body is not acceptable JSON: ${(error as Error).message}` };
  }
}
