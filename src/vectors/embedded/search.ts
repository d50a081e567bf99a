/**
 * How the embedded store answers a search, given one collection's memory,
 * its HNSW index (if built yet) and its FTS table.
 *
 * Vector mode, without a filter: the index proposes candidates (oversampled),
 * the tail newer than the index is scanned exactly, and everything is
 * re-ranked with memory's f16 cosines. With a filter, by its measured share s:
 * - few matches (s * n * dims within the exact budget): scan them exactly;
 * - s < GRAPH_MIN_SHARE: scan the packed int8 subset of matches (subsets.ts),
 *   or, for a filter not seen before, scan the matches exactly;
 * - otherwise: oversample the index by 1/s, and when too few candidates pass,
 *   fall back to the packed subset.
 * Every path checks liveness and the filter itself, so no result fails the
 * filter or is deleted, and none that should be there is lost to the index.
 * Scores are memory's (f16 vectors, within HALF_SCORE_ERROR of exact), and
 * RESCORE_SPARE more slots than the limit are answered, so that the store can
 * re-score from its f32 originals (embedded.ts) whatever f16 could have misplaced.
 */
import type { Statement } from 'better-sqlite3';
import type { MetadataPredicate } from '../filter.js';
import { annCandidates, type AnnIndex } from './ann.js';
import { TopK, type CollectionMemory, type ScoredSlot } from './memory.js';
import { scanSubset, type SubsetCache } from './subsets.js';

export interface SearchableCollection {
  memory: CollectionMemory;
  ann: AnnIndex | null;
  subsets: SubsetCache;
  fts: { search: Statement };
}

export interface VectorFilter {
  /** Identifies the filter for the packed-subset cache (its JSON). */
  key: string;
  predicate: MetadataPredicate;
}

/** Slots answered beyond the limit, for the store's exact re-scoring to choose from at the limit's edge. */
export const RESCORE_SPARE = 10;
/** Candidates asked of the index beyond the limit: re-ranking recovers what i8 quantisation blurs. */
const OVERSAMPLE_FACTOR = 4;
const OVERSAMPLE_MIN = 40;
/**
 * With a filter passing a share s of documents, asking the index for
 * limit * 2 / s candidates expects twice the passing hits needed; a shortfall
 * falls back to the packed subset, so this trades latency, never correctness.
 */
const FILTERED_OVERSAMPLE_FACTOR = 2;
/** By default, a filtered exact scan is chosen when it costs at most this many multiply-adds (~1 ms). */
export const EXACT_SCAN_BUDGET = 1_000_000;
const SELECTIVITY_SAMPLE = 512;
/**
 * Below this share of documents passing a filter, the HNSW top-k would have to
 * be huge to hold enough that pass (on clustered data, 10% needs k ~ 1,000 for
 * recall 0.96): scan the packed matching subset instead.
 */
const GRAPH_MIN_SHARE = 0.3;
const MAX_QUERY_TERMS = 64;

/** Share of the slots passing the predicate, from a random sample. */
function selectivity(memory: CollectionMemory, predicate: MetadataPredicate): number {
  // Random, not strided: a stride aliases with periodic data (every 10th chunk a language, say).
  let seen = 0;
  let passed = 0;
  for (let draw = 0; draw < SELECTIVITY_SAMPLE; draw++) {
    const slot = Math.floor(Math.random() * memory.size);
    if (!memory.isAlive(slot)) continue;
    seen++;
    if (predicate(memory.metadataOf(slot))) passed++;
  }
  return seen === 0 ? 0 : passed / seen;
}

export function nearestSlots(
  collection: SearchableCollection,
  unitQuery: Float32Array,
  limit: number,
  filter: VectorFilter | undefined,
  exactScanBudget: number,
): ScoredSlot[] {
  const { memory, ann } = collection;
  const predicate = filter?.predicate;
  const candidates = limit * OVERSAMPLE_FACTOR + OVERSAMPLE_MIN;
  const kept = limit + RESCORE_SPARE;
  // Without a filter, through the int8 copies of what the index does not cover (memory.ts); with one, slot by slot.
  // Both return how many live slots they saw from `from` on.
  const scanFrom = (from: number, top: TopK): number =>
    predicate ? memory.scan(from, memory.size, unitQuery, top, predicate) : memory.scanTail(from, unitQuery, top, candidates);
  const exact = (): ScoredSlot[] => {
    const top = new TopK(kept);
    scanFrom(0, top);
    return top.sorted();
  };
  const packed = (): ScoredSlot[] => {
    if (!filter) return exact();
    const subset = collection.subsets.get(filter.key, memory, () => memory.matching(filter.predicate));
    if (!subset) return exact();
    const top = new TopK(kept);
    for (const slot of scanSubset(subset, memory, unitQuery, candidates)) top.push(slot, memory.dot(slot, unitQuery));
    return top.sorted();
  };

  let share = 1;
  if (filter) {
    share = selectivity(memory, filter.predicate);
    if (share * memory.liveCount * memory.dimensions <= exactScanBudget) return exact();
    if (!ann || share < GRAPH_MIN_SHARE) return packed();
  }
  if (!ann) return exact();

  // The graph answers for indexed documents; the tail newer than the index is scanned exactly.
  const tailStart = memory.firstSlotAfter(ann.watermark);
  const top = new TopK(kept);
  const indexedLive = memory.liveCount - scanFrom(tailStart, top);
  if (indexedLive === 0) return top.sorted();
  const k = filter ? Math.ceil((limit * FILTERED_OVERSAMPLE_FACTOR) / share) + OVERSAMPLE_MIN : candidates;
  if (k >= ann.size) return packed();

  let passed = 0;
  for (const seq of annCandidates(ann, unitQuery, k)) {
    const slot = memory.slotOfSeq(seq);
    if (slot === undefined) continue; // deleted or replaced since indexing
    if (predicate && !predicate(memory.metadataOf(slot))) continue;
    passed++;
    top.push(slot, memory.dot(slot, unitQuery));
  }
  // Too few candidates survived the filter or the tombstones: answer from every match rather than short.
  if (passed < Math.min(limit, indexedLive)) return packed();
  return top.sorted();
}

/** FTS5 query: each word of the text quoted (so no FTS syntax leaks through), any word matching. */
function ftsQuery(text: string): string | null {
  const terms = text
    .split(/[^\p{L}\p{N}]+/u)
    .filter((term) => term.length > 0)
    .slice(0, MAX_QUERY_TERMS);
  return terms.length === 0 ? null : terms.map((term) => `"${term}"`).join(' OR ');
}

/** BM25 ranking from the collection's FTS table, filtered in memory, best first; null while memory is behind SQLite. */
export function keywordSlots(
  collection: SearchableCollection,
  text: string,
  limit: number,
  threshold: number | undefined,
  predicate?: MetadataPredicate,
): ScoredSlot[] | null {
  const query = ftsQuery(text);
  if (query === null) return [];
  const hits: ScoredSlot[] = [];
  for (const [seq, score] of collection.fts.search.iterate(query) as IterableIterator<[number, number]>) {
    if (threshold !== undefined && score <= threshold) break; // rows arrive best first
    const slot = collection.memory.slotOfSeq(seq);
    // A batch committed by the writer's thread and not in memory yet: it may have replaced a document
    // this search should find, so the caller reads again once memory has it (embedded.ts, agreed).
    if (slot === undefined && collection.memory.isAhead(seq)) return null;
    if (slot === undefined) continue;
    if (predicate && !predicate(collection.memory.metadataOf(slot))) continue;
    hits.push({ slot, score });
    if (hits.length >= limit) break;
  }
  return hits;
}
