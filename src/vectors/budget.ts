/**
 * The bytes one vector answer may hold (MAX_RESPONSE_BYTES): a search of
 * 1,000 hits with content could otherwise ask a store for a gigabyte. Stores
 * charge each document as they load it, so an answer that will not fit stops
 * loading there: a search or a multi-document read is refused with 400
 * RESPONSE_TOO_LARGE, a scroll page ends early with a cursor to the rest.
 */
import { AppError } from '../errors.js';
import type { Metadata } from './port.js';

/** What one vector component may cost as JSON (`-0.12345678901234567,`). */
const BYTES_PER_COMPONENT = 21;
/** A document's id, score, keys and punctuation. */
const ENVELOPE_BYTES = 64;

/** The JSON size of a document as answered, close enough to bound it (metadata and content exactly in UTF-16 units, a vector at its longest). */
export function documentBytes(document: { id: string; content?: string; metadata?: Metadata | string; vector?: { length: number } }): number {
  const metadata =
    document.metadata === undefined ? 0 : typeof document.metadata === 'string' ? document.metadata.length : JSON.stringify(document.metadata).length;
  return (
    ENVELOPE_BYTES +
    document.id.length +
    metadata +
    (document.content === undefined ? 0 : Buffer.byteLength(document.content, 'utf8')) +
    (document.vector?.length ?? 0) * BYTES_PER_COMPONENT
  );
}

/** The largest a stored document can be: used to decide whether an answer could exceed the budget before loading any of it. */
export function worstDocumentBytes(maxContentLength: number, dimensions: number, includeContent: boolean, includeVector: boolean): number {
  return ENVELOPE_BYTES + (includeContent ? maxContentLength * 3 : 0) + (includeVector ? dimensions * BYTES_PER_COMPONENT : 0);
}

export class ResponseBudget {
  private used = 0;
  constructor(readonly maxBytes: number) {}

  /** Adds a document; false (and nothing added) when it would go over. */
  tryCharge(bytes: number): boolean {
    if (this.used + bytes > this.maxBytes) return false;
    this.used += bytes;
    return true;
  }

  /** Adds a document, refusing the whole answer when it would go over. */
  charge(bytes: number): void {
    if (this.tryCharge(bytes)) return;
    throw new AppError(
      'RESPONSE_TOO_LARGE',
      `the answer would be larger than ${this.maxBytes} bytes (MAX_RESPONSE_BYTES): ask for fewer results, or for includeContent=false and includeVector=false, and read documents one by one`,
    );
  }
}
