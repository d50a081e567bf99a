/**
 * BM25 on Qdrant: documents become sparse vectors of BM25 term weights, and
 * Qdrant's `idf` modifier supplies the inverse document frequency at query
 * time from the collection's own statistics (Qdrant's documented way to do
 * BM25, the same split as its `Qdrant/bm25` model).
 *
 * - Tokens: Unicode letters and digits, case- and accent-folded, everything else
 *   separates; the embedded store's FTS5 `unicode61` tokenizer cuts text the same way.
 * - Term ids: 32-bit FNV-1a of the token (sparse indices are uint32); rare
 *   collisions only merge two terms' weights.
 * - Document weight per term: tf·(k1+1) / (tf + k1·(1 − b + b·len/avgLen)), k1 1.2,
 *   b 0.75. Qdrant keeps no average length, so avgLen is a constant (256 tokens,
 *   as Qdrant's own BM25 model assumes).
 * - Query: weight 1 for each distinct term, so the score is Σ idf·weight over
 *   the terms a document shares with the query.
 */

const K1 = 1.2;
const B = 0.75;
const AVERAGE_LENGTH = 256;

export interface SparseVector {
  indices: number[];
  values: number[];
}

export function tokenize(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token.length > 0);
}

/** 32-bit FNV-1a over the token's UTF-16 code units. */
export function termIndex(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    hash ^= token.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function toSparse(weights: Map<number, number>): SparseVector | null {
  if (weights.size === 0) return null;
  const indices = [...weights.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((i) => weights.get(i)!) };
}

/** The document's BM25 term weights; null when the text has no token. */
export function documentSparseVector(text: string): SparseVector | null {
  const tokens = tokenize(text);
  const frequencies = new Map<string, number>();
  for (const token of tokens) frequencies.set(token, (frequencies.get(token) ?? 0) + 1);
  const norm = K1 * (1 - B + (B * tokens.length) / AVERAGE_LENGTH);
  const weights = new Map<number, number>();
  for (const [token, tf] of frequencies) {
    const index = termIndex(token);
    weights.set(index, (weights.get(index) ?? 0) + (tf * (K1 + 1)) / (tf + norm));
  }
  return toSparse(weights);
}

/** The query's terms, each weighing 1; null when the text has no token. */
export function querySparseVector(text: string): SparseVector | null {
  return toSparse(new Map(tokenize(text).map((token) => [termIndex(token), 1])));
}
