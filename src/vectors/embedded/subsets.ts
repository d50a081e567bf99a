/**
 * Filtered search over a middling share of a collection (too many documents
 * to re-rank one by one in JS, too few for the HNSW graph, whose top-k would
 * have to be huge to hold enough that pass): the matching vectors are packed
 * as int8 and scanned exactly by usearch's SIMD kernel, then the best
 * candidates are re-ranked with memory's f16 cosines (and the answers re-scored
 * from f32 by the store).
 *
 * Packing costs more than one exact scan of the matches (tens of ms for 10k
 * x 384), so it only pays for filters that recur (one language, one folder):
 * a filter is packed on its second sighting, and packed subsets are cached
 * until the collection changes, within a byte budget. A first sighting
 * answers by exact scan of the matches.
 */
import { LRUCache } from 'lru-cache';
import { usearch } from './ann.js';
import { quantizeVector, type CollectionMemory } from './memory.js';

export interface PackedSubset {
  slots: Int32Array;
  vectors: Int8Array;
}

const SIGHTINGS_KEPT = 256;

export class SubsetCache {
  /** Packed subsets by filter, the least recently used dropped first to stay within the byte budget. */
  private readonly entries: LRUCache<string, { version: number; subset: PackedSubset }>;
  /** Filters seen once, so that a second sighting packs them. */
  private readonly sightings = new LRUCache<string, true>({ max: SIGHTINGS_KEPT });

  constructor(budgetBytes: number) {
    this.entries = new LRUCache({
      maxSize: Math.max(1, budgetBytes),
      sizeCalculation: ({ subset }) => Math.max(1, subset.vectors.byteLength + subset.slots.byteLength),
    });
  }

  /** The packed subset for a recurring filter, or null on a filter's first sighting. */
  get(key: string, memory: CollectionMemory, matching: () => number[]): PackedSubset | null {
    if (!this.entries.has(key) && !this.sightings.has(key)) {
      this.sightings.set(key, true);
      return null;
    }
    this.sightings.delete(key);
    const cached = this.entries.get(key);
    if (cached && cached.version === memory.version) return cached.subset;
    const slots = Int32Array.from(matching());
    const subset = { slots, vectors: memory.quantize(slots) };
    // A subset larger than the whole budget is used once and not kept (lru-cache refuses it).
    this.entries.set(key, { version: memory.version, subset });
    return subset;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The `k` best slots of a packed subset for a unit query, by int8 cosine (candidates to re-rank). */
export function scanSubset(subset: PackedSubset, memory: CollectionMemory, unitQuery: Float32Array, k: number): number[] {
  const rows = subset.slots.length;
  const wanted = Math.min(k, rows);
  if (wanted === 0) return [];
  // One thread: requests are served concurrently, and a second core is the index worker's.
  const matches = usearch.exactSearch(
    subset.vectors,
    quantizeVector(unitQuery),
    memory.dimensions,
    wanted,
    usearch.MetricKind.Cos,
    1,
  ) as import('usearch').Matches;
  const slots: number[] = [];
  for (let i = 0; i < wanted; i++) {
    const row = Number(matches.keys[i]);
    if (row < rows) slots.push(subset.slots[row]!);
  }
  return slots;
}
