/**
 * The in-memory side of one embedded collection: every live document's
 * normalised vector (as f16, half.ts) and parsed metadata, in `seq` order (SQLite's
 * AUTOINCREMENT row id, never reused). SQLite stays the source of truth; this
 * is what exact scans, filters and ANN re-ranking read, so a search never
 * touches the disk.
 *
 * Vectors live in fixed-size blocks rather than one growing array: appending
 * never copies the whole matrix, so RSS stays close to the vectors' bytes, half
 * of the raw f32 ones. Scores computed here are within HALF_SCORE_ERROR of the
 * exact cosines; the store re-scores its answers from the f32 originals.
 * A replaced or deleted document leaves a dead slot (a tombstone) until the
 * next compaction.
 */
import type { Matches } from 'usearch';
import type { Metadata } from '../port.js';
import { vectorNorm } from '../../shared/vector-encoding.js';
import { usearch } from './ann.js';
import { HALF_VALUES, decodeHalves, encodeHalves } from './half.js';

const BLOCK_SLOTS = 1024;
/**
 * Slots per int8 copy (8 blocks): usearch scans one copy per call, and a call costs its own setup and
 * the sorting of its `candidates` answers; over 100,000 x 384 per-block copies scanned in 4.3 ms,
 * copies of 8 blocks in ~2.6 ms (one copy of everything: 2.4). Larger runs would keep more copies
 * alive: a run gives its copy up only once the index covers it whole.
 */
export const PACKED_SLOTS = 8 * BLOCK_SLOTS;

export interface ScoredSlot {
  slot: number;
  score: number;
}

/** Normalises to unit length; a zero vector stays zero (cosine 0 to everything). */
export function normalize(vector: Float32Array): Float32Array {
  const norm = vectorNorm(vector);
  const out = new Float32Array(vector.length);
  if (norm === 0) return out;
  const inv = 1 / norm;
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! * inv;
  return out;
}

function quantizeInto(source: Float32Array, start: number, d: number, out: Int8Array, outStart: number): void {
  let max = 0;
  for (let i = 0; i < d; i++) {
    const x = source[start + i]!;
    if (x > max) max = x;
    else if (-x > max) max = -x;
  }
  const scale = max === 0 ? 0 : 127 / max;
  for (let i = 0; i < d; i++) {
    const x = source[start + i]! * scale;
    // Round half away from zero; |x| <= 127, so the int8 store never wraps.
    out[outStart + i] = x >= 0 ? (x + 0.5) | 0 : (x - 0.5) | 0;
  }
}

/** One vector as int8, scaled like `CollectionMemory.quantize` (a fresh array: usearch ignores byteOffset). */
export function quantizeVector(vector: Float32Array): Int8Array {
  const out = new Int8Array(vector.length);
  quantizeInto(vector, 0, vector.length, out, 0);
  return out;
}

/**
 * One buffer for the part of an int8 copy a scan starts inside (CollectionMemory.scanTail), reused by
 * every search: scans are synchronous, and a fresh buffer per search would be fresh pages each time.
 * It grows to the largest run scanned (PACKED_SLOTS x dimensions bytes) and stays.
 */
let scratch = new Int8Array(0);

function copyToScratch(source: Int8Array, from: number, length: number): Int8Array {
  if (scratch.length < length) scratch = new Int8Array(length);
  scratch.set(source.subarray(from, from + length));
  return new Int8Array(scratch.buffer, 0, length);
}

/** Keeps the best `limit` slots by score (a min-heap on score). */
export class TopK {
  private readonly heap: ScoredSlot[] = [];
  constructor(readonly limit: number) {}

  get size(): number {
    return this.heap.length;
  }

  /** The lowest score kept, or -Infinity while not full. */
  get floor(): number {
    return this.heap.length < this.limit ? -Infinity : this.heap[0]!.score;
  }

  push(slot: number, score: number): void {
    if (this.limit <= 0) return;
    const heap = this.heap;
    if (heap.length < this.limit) {
      heap.push({ slot, score });
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heap[parent]!.score <= heap[i]!.score) break;
        [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
        i = parent;
      }
      return;
    }
    if (score <= heap[0]!.score) return;
    heap[0] = { slot, score };
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && heap[left]!.score < heap[smallest]!.score) smallest = left;
      if (right < heap.length && heap[right]!.score < heap[smallest]!.score) smallest = right;
      if (smallest === i) break;
      [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
      i = smallest;
    }
  }

  /** Best first. */
  sorted(): ScoredSlot[] {
    return [...this.heap].sort((a, b) => b.score - a.score);
  }
}

export class CollectionMemory {
  /** f16 bits of the unit vectors, BLOCK_SLOTS x dimensions per block. */
  private blocks: Uint16Array[] = [];
  /**
   * int8 copies of runs of PACKED_SLOTS slots that hold documents the HNSW index does not cover yet
   * (complete for every filled slot of their run, or absent), so that the tail the index has not
   * caught up with is scanned by usearch's SIMD kernel (~20x a JS f32 scan) instead of one JS dot
   * product per slot. A run the index covers whole gives its copy up: the copies cost half of the
   * tail's f16 bytes.
   */
  private packed: Array<Int8Array | undefined> = [];
  private seqs = new Float64Array(BLOCK_SLOTS);
  private alive = new Uint8Array(BLOCK_SLOTS);
  private ids: string[] = [];
  private metas: Metadata[] = [];
  private readonly slotById = new Map<string, number>();
  /** One vector read back to f32, to quantise it (pack, quantize). */
  private readonly decoded: Float32Array;
  /** Slots used, dead ones included. */
  size = 0;
  liveCount = 0;
  /** Bumped by every change, so caches derived from this memory know when they are stale. */
  version = 0;

  /** @param indexedSeq documents with a seq up to this are in the HNSW index (see markIndexed). */
  constructor(
    readonly dimensions: number,
    private indexedSeq = 0,
  ) {
    this.decoded = new Float32Array(dimensions);
  }

  get deadCount(): number {
    return this.size - this.liveCount;
  }

  /** Appends a document; `seq` must exceed every seq already held. */
  append(seq: number, id: string, metadata: Metadata, unitVector: Float32Array): void {
    const existing = this.slotById.get(id);
    if (existing !== undefined) this.kill(existing);
    const slot = this.size;
    if (slot >= this.seqs.length) {
      const seqs = new Float64Array(this.seqs.length * 2);
      seqs.set(this.seqs);
      this.seqs = seqs;
      const alive = new Uint8Array(this.alive.length * 2);
      alive.set(this.alive);
      this.alive = alive;
    }
    const block = slot >>> 10;
    const offset = (slot & (BLOCK_SLOTS - 1)) * this.dimensions;
    if (block >= this.blocks.length) this.blocks.push(new Uint16Array(BLOCK_SLOTS * this.dimensions));
    encodeHalves(unitVector, this.blocks[block]!, offset);
    const run = Math.floor(slot / PACKED_SLOTS);
    const packed = this.packed[run];
    if (packed) quantizeInto(unitVector, 0, this.dimensions, packed, (slot - run * PACKED_SLOTS) * this.dimensions);
    else if (seq > this.indexedSeq) this.pack(run, slot + 1);
    this.seqs[slot] = seq;
    this.alive[slot] = 1;
    this.ids[slot] = id;
    this.metas[slot] = metadata;
    this.slotById.set(id, slot);
    this.size++;
    this.liveCount++;
    this.version++;
  }

  /** Marks a document deleted; returns its seq, or undefined when absent. */
  remove(id: string): number | undefined {
    const slot = this.slotById.get(id);
    if (slot === undefined) return undefined;
    this.kill(slot);
    return this.seqs[slot];
  }

  private kill(slot: number): void {
    if (!this.alive[slot]) return;
    this.alive[slot] = 0;
    this.slotById.delete(this.ids[slot]!);
    this.metas[slot] = {};
    this.liveCount--;
    this.version++;
  }

  isAlive(slot: number): boolean {
    return this.alive[slot] === 1;
  }

  idOf(slot: number): string {
    return this.ids[slot]!;
  }

  seqOf(slot: number): number {
    return this.seqs[slot]!;
  }

  metadataOf(slot: number): Metadata {
    return this.metas[slot]!;
  }

  slotOfId(id: string): number | undefined {
    return this.slotById.get(id);
  }

  /** The live slot holding `seq`, or undefined (deleted, replaced, unknown). */
  slotOfSeq(seq: number): number | undefined {
    let lo = 0;
    let hi = this.size - 1;
    const seqs = this.seqs;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = seqs[mid]!;
      if (value === seq) return this.alive[mid] ? mid : undefined;
      if (value < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Whether `seq` is newer than every document memory holds: written, and not in memory yet. */
  isAhead(seq: number): boolean {
    return this.size === 0 || seq > this.seqs[this.size - 1]!;
  }

  /** The first slot whose seq is greater than `seq` (size when none). */
  firstSlotAfter(seq: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid]! <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  countLive(from: number, to: number): number {
    let count = 0;
    for (let slot = from; slot < to; slot++) count += this.alive[slot]!;
    return count;
  }

  /** The unit vector of `slot`, as memory holds it, written into `out`. */
  vectorInto(slot: number, out: Float32Array): Float32Array {
    return decodeHalves(this.blocks[slot >>> 10]!, (slot & (BLOCK_SLOTS - 1)) * this.dimensions, out);
  }

  /** Cosine of `slot`'s vector with a unit query, within HALF_SCORE_ERROR of the exact one. */
  dot(slot: number, unitQuery: Float32Array): number {
    const block = this.blocks[slot >>> 10]!;
    const values = HALF_VALUES;
    const d = this.dimensions;
    let i = (slot & (BLOCK_SLOTS - 1)) * d;
    const end = i + d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    // Four accumulators let V8 overlap the multiply-adds.
    for (; i + 3 < end; i += 4, j += 4) {
      s0 += values[block[i]!]! * unitQuery[j]!;
      s1 += values[block[i + 1]!]! * unitQuery[j + 1]!;
      s2 += values[block[i + 2]!]! * unitQuery[j + 2]!;
      s3 += values[block[i + 3]!]! * unitQuery[j + 3]!;
    }
    for (; i < end; i++, j++) s0 += values[block[i]!]! * unitQuery[j]!;
    return s0 + s1 + s2 + s3;
  }

  /** Bytes held by the int8 copies (half the f16 bytes of the runs the index does not cover whole). */
  get packedBytes(): number {
    return this.packed.reduce((sum, packed) => sum + (packed?.byteLength ?? 0), 0);
  }

  /** Makes the int8 copy of `run`, whose filled slots end before `end`. */
  private pack(run: number, end: number): void {
    const d = this.dimensions;
    const packed = new Int8Array(PACKED_SLOTS * d);
    for (let slot = run * PACKED_SLOTS; slot < end; slot++) quantizeInto(this.vectorInto(slot, this.decoded), 0, d, packed, (slot - run * PACKED_SLOTS) * d);
    this.packed[run] = packed;
  }

  /**
   * The HNSW index now covers every document with a seq up to `watermark` (0: there is no index):
   * full runs it covers give up their int8 copies, and runs it does not cover have one.
   */
  markIndexed(watermark: number): void {
    this.indexedSeq = watermark;
    for (let run = 0; run * PACKED_SLOTS < this.size; run++) {
      const end = Math.min(this.size, (run + 1) * PACKED_SLOTS);
      const covered = end - run * PACKED_SLOTS === PACKED_SLOTS && this.seqs[end - 1]! <= watermark;
      if (covered) this.packed[run] = undefined;
      else if (!this.packed[run]) this.pack(run, end);
    }
  }

  /**
   * Cosine scan of the live slots from `from` to the end, through the int8 copies: each run's
   * best `candidates` by int8 cosine (usearch's SIMD kernel), the best of all of them re-ranked with
   * memory's cosines (`dot`) into `top`. Slots of a run without a copy (the index covers them) are
   * scanned one by one; with `candidates` >= top's limit, quantisation only reorders near-ties.
   * Returns how many live slots it scanned.
   */
  scanTail(from: number, unitQuery: Float32Array, top: TopK, candidates: number): number {
    const d = this.dimensions;
    const query = quantizeVector(unitQuery);
    const best = new TopK(candidates);
    let scanned = 0;
    for (let run = Math.floor(from / PACKED_SLOTS); run * PACKED_SLOTS < this.size; run++) {
      const first = run * PACKED_SLOTS;
      const start = Math.max(from, first);
      const end = Math.min(this.size, first + PACKED_SLOTS);
      const packed = this.packed[run];
      if (!packed) {
        scanned += this.scan(start, end, unitQuery, top);
        continue;
      }
      const live = this.countLive(start, end);
      if (live === 0) continue;
      scanned += live;
      // usearch reads a view from its buffer's first byte (it ignores byteOffset): a tail that begins
      // inside the run is copied to the front of a scratch buffer first, so what comes before it is not
      // scanned. Dead slots are scanned and cannot answer: asked for that many more, the kernel still
      // returns the best `candidates` of the live ones, however many nearer dead ones there are.
      const rows = end - start;
      const matrix = start === first ? new Int8Array(packed.buffer, 0, rows * d) : copyToScratch(packed, (start - first) * d, rows * d);
      const matches = usearch.exactSearch(matrix, query, d, Math.min(candidates + rows - live, rows), usearch.MetricKind.Cos, 1) as Matches;
      for (let i = 0; i < matches.keys.length; i++) {
        const slot = start + Number(matches.keys[i]);
        if (this.alive[slot]) best.push(slot, 1 - matches.distances[i]!);
      }
    }
    for (const { slot } of best.sorted()) top.push(slot, this.dot(slot, unitQuery));
    return scanned;
  }

  /** Cosine scan (`dot`) of the live slots in [from, to) that pass `predicate`; returns how many live slots it saw. */
  scan(from: number, to: number, unitQuery: Float32Array, top: TopK, predicate?: (metadata: Metadata) => boolean): number {
    let live = 0;
    for (let slot = from; slot < to; slot++) {
      if (!this.alive[slot]) continue;
      live++;
      if (predicate && !predicate(this.metas[slot]!)) continue;
      top.push(slot, this.dot(slot, unitQuery));
    }
    return live;
  }

  /**
   * The vectors of `slots`, packed contiguously as int8 for usearch's exact
   * SIMD scan. Each vector is scaled by its own largest component: cosine
   * ignores a vector's scale, and unit vectors' components are small, so a
   * fixed scale of 127 would waste most of the int8 range.
   */
  quantize(slots: ArrayLike<number>): Int8Array {
    const d = this.dimensions;
    const out = new Int8Array(slots.length * d);
    for (let row = 0; row < slots.length; row++) {
      quantizeInto(this.vectorInto(slots[row]!, this.decoded), 0, d, out, row * d);
    }
    return out;
  }

  /** Live slots (in slot order) whose metadata passes `predicate`. */
  matching(predicate: (metadata: Metadata) => boolean): number[] {
    const slots: number[] = [];
    for (let slot = 0; slot < this.size; slot++) {
      if (this.alive[slot] && predicate(this.metas[slot]!)) slots.push(slot);
    }
    return slots;
  }

  /**
   * Drops dead slots once they are a quarter of the whole, so tombstones do
   * not grow memory or scan time without bound. Slot numbers change; seqs and
   * ids do not, which is why nothing outside keeps slot numbers.
   */
  compactIfWorthIt(): boolean {
    const dead = this.deadCount;
    if (dead < BLOCK_SLOTS || dead * 4 < this.size) return false;
    const old = { blocks: this.blocks, seqs: this.seqs, alive: this.alive, ids: this.ids, metas: this.metas, size: this.size };
    this.blocks = [];
    this.packed = [];
    this.seqs = new Float64Array(Math.max(BLOCK_SLOTS, old.seqs.length));
    this.alive = new Uint8Array(this.seqs.length);
    this.ids = [];
    this.metas = [];
    this.slotById.clear();
    this.size = 0;
    this.liveCount = 0;
    this.version++;
    const d = this.dimensions;
    const vector = new Float32Array(d);
    for (let slot = 0; slot < old.size; slot++) {
      if (!old.alive[slot]) continue;
      // f16 -> f32 -> f16 is exact, so the vector is the one it was.
      decodeHalves(old.blocks[slot >>> 10]!, (slot & (BLOCK_SLOTS - 1)) * d, vector);
      this.append(old.seqs[slot]!, old.ids[slot]!, old.metas[slot]!, vector);
    }
    return true;
  }
}
