/**
 * Reciprocal-rank fusion for `hybrid` search: every provider answers the
 * vector and keyword rankings separately, and this module merges them the
 * same way for all of them. RRF uses ranks only, so a cosine similarity and a
 * BM25 score, which live on unrelated scales, never need normalising.
 */
import type { SearchHit } from './port.js';

/** The constant from Cormack et al. (2009), also Qdrant's and Elasticsearch's default. */
export const RRF_K = 60;

export interface FusionOptions {
  limit: number;
  k?: number;
}

/**
 * Fuses ranked hit lists (each best first) into one: a document scores
 * sum(1 / (k + rank)) over the lists it appears in, rank counted from 1.
 * The fused hit keeps the fields of its first appearance (earlier lists win),
 * with `score` replaced by the fused score. Ties keep first-appearance order,
 * so the result is deterministic.
 */
export function fuseReciprocalRank(lists: ReadonlyArray<ReadonlyArray<SearchHit>>, options: FusionOptions): SearchHit[] {
  const k = options.k ?? RRF_K;
  const fused = new Map<string, { hit: SearchHit; score: number; order: number }>();
  for (const list of lists) {
    const seen = new Set<string>();
    list.forEach((hit, index) => {
      // A list that repeats an id counts it once, at its best rank.
      if (seen.has(hit.id)) return;
      seen.add(hit.id);
      const contribution = 1 / (k + index + 1);
      const entry = fused.get(hit.id);
      if (entry) entry.score += contribution;
      else fused.set(hit.id, { hit, score: contribution, order: fused.size });
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, Math.max(0, options.limit))
    .map(({ hit, score }) => ({ ...hit, score }));
}
