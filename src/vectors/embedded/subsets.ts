/**
 * Filtered search over a middling share of a collection (too many documents
 * to re-rank one by one in JS, too few for the HNSW graph, whose top-k would
 * have to be huge to hold enough that pass): the matching vectors are packed
 * as int8 and scanned exactly by usearch's SIMD kernel, then the best
 * candidates are re-ranked with exact f32 cosines.
 *
 * Packing costs more than one exact scan of the matches (tens of ms for 10k
 * x 384), so it only pays for filters that recur (one language, one folder):
 * a filter is packed on its second sighting, and packed subsets are cached
 * until the collection changes, within a byte budget. A first sighting
 * answers by exact scan of the matches.
 */
import { createRequire } from 'node:module';
import { quantizeVector, type CollectionMemory } from './memory.js';

const usearch = createRequire(import.meta.url)('usearch') as typeof import('usearch');

export interface PackedSubset {
  slots: Int32Array;
  vectors: Int8Array;
}

const SIGHTINGS_KEPT = 256;

export class SubsetCache {
  private readonly entries = new Map<string, { version: number; subset: PackedSubset }>();
  /** Filters seen once, so that a second sighting packs them. */
  private readonly sightings = new Set<string>();
  private bytes = 0;

  constructor(private readonly budgetBytes: number) {}

  /** The packed subset for a recurring filter, or null on a filter's first sighting. */
  get(key: string, memory: CollectionMemory, matching: () => number[]): PackedSubset | null {
    if (!this.entries.has(key) && !this.sightings.has(key)) {
      if (this.sightings.size >= SIGHTINGS_KEPT) this.sightings.delete(this.sightings.values().next().value!);
      this.sightings.add(key);
      return null;
    }
    this.sightings.delete(key);
    const cached = this.entries.get(key);
    if (cached && cached.version === memory.version) {
      // Re-insert: Map order is the LRU order.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached.subset;
    }
    if (cached) this.drop(key);
    const slots = Int32Array.from(matching());
    const subset = { slots, vectors: memory.quantize(slots) };
    const size = subset.vectors.byteLength + slots.byteLength;
    if (size <= this.budgetBytes) {
      while (this.bytes + size > this.budgetBytes) this.drop(this.entries.keys().next().value!);
      this.entries.set(key, { version: memory.version, subset });
      this.bytes += size;
    }
    return subset;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.bytes -= entry.subset.vectors.byteLength + entry.subset.slots.byteLength;
    this.entries.delete(key);
  }
}

/** The `k` best slots of a packed subset for a unit query, by int8 cosine (candidates to re-rank). */
export function scanSubset(subset: PackedSubset, memory: CollectionMemory, unitQuery: Float32Array, k: number): number[] {
  const rows = subset.slots.length;
  const wanted = Math.min(k, rows);
  if (wanted === 0) return [];
  // One thread: requests are served concurrently, and a second core is the index worker's.
  const matches = usearch.exactSearch(subset.vectors, quantizeVector(unitQuery), memory.dimensions, wanted, usearch.MetricKind.Cos, 1) as import('usearch').Matches;
  const slots: number[] = [];
  for (let i = 0; i < wanted; i++) {
    const row = Number(matches.keys[i]);
    if (row < rows) slots.push(subset.slots[row]!);
  }
  return slots;
}
