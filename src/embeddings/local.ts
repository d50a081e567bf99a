/**
 * The offline embedder: code-aware feature hashing. No model, no download, no
 * network, the same vector for the same text on every machine, so a laptop
 * (or a container with no outbound access) still gets useful semantic search.
 *
 * A text becomes a bag of weighted features:
 *   - sub-words of every identifier (`getUserById` -> get, user, by, id), so
 *     code and prose about the same thing share features;
 *   - the whole identifier when it has several parts, so an exact name match
 *     counts for more than a loose one;
 *   - character 3-grams of each sub-word (`#us`, `use`, `ser`, `er#`), so
 *     `user`/`users` or `config`/`configure` still overlap.
 * Each feature is hashed into one of `dimensions` buckets with a random sign
 * (the sign keeps collisions from always adding up), counts are scaled
 * sub-linearly (sqrt) so a word repeated 50 times does not drown the rest,
 * and the vector is L2-normalised so cosine similarity is a dot product.
 */
import type { Embedder } from './port.js';
import { assertEmbeddableTexts, normaliseInPlace } from './input.js';

export const LOCAL_MODEL = 'local-hash-v1';
export const LOCAL_DEFAULT_DIMENSIONS = 384;
const MIN_DIMENSIONS = 8;
const MAX_DIMENSIONS = 65_536;
const YIELD_EVERY = 100;

export interface LocalEmbedderOptions {
  dimensions?: number;
}

// Weights per feature kind. Trigrams are many per word, so each weighs little.
const WORD_WEIGHT = 1;
const IDENTIFIER_WEIGHT = 1;
const TRIGRAM_WEIGHT = 0.25;
// Keywords and filler words appear in almost every snippet: with no corpus
// statistics (no IDF) to learn that, they are damped by hand instead.
const COMMON_WORD_FACTOR = 0.2;

// Distinct hash seeds keep the feature kinds apart: the word `get` and the
// trigram `get` are different features.
const WORD_SEED = 0x9e3779b1;
const IDENTIFIER_SEED = 0x85ebca77;
const TRIGRAM_SEED = 0xc2b2ae3d;

// Letters (with combining marks), digits, underscores; kebab-case joins parts.
const IDENTIFIER = /[\p{L}\p{M}\p{N}_]+(?:-[\p{L}\p{M}\p{N}_]+)*/gu;
// camelCase, PascalCase, ACRONYMCase and digit boundaries; `_`/`-` never match.
const SUBWORD = /\p{Lu}+(?!\p{Ll})|\p{Lu}?[\p{Ll}\p{M}]+|\p{N}+|[\p{L}\p{M}]+/gu;
const PLAIN_LOWER_WORD = /^[a-z]+$/;

const COMMON_WORDS = new Set([
  // English filler
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'for',
  'from',
  'in',
  'is',
  'it',
  'of',
  'on',
  'or',
  'that',
  'the',
  'this',
  'to',
  'with',
  // keywords shared by the languages In-Memoria reads
  'async',
  'await',
  'break',
  'case',
  'class',
  'const',
  'def',
  'default',
  'else',
  'export',
  'fn',
  'function',
  'if',
  'import',
  'let',
  'new',
  'null',
  'private',
  'public',
  'return',
  'self',
  'static',
  'true',
  'false',
  'undefined',
  'var',
  'void',
]);

export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const dimensions = options.dimensions ?? LOCAL_DEFAULT_DIMENSIONS;
  if (!Number.isInteger(dimensions) || dimensions < MIN_DIMENSIONS || dimensions > MAX_DIMENSIONS) {
    throw new RangeError(`local embedder dimensions must be an integer from ${MIN_DIMENSIONS} to ${MAX_DIMENSIONS}, got ${dimensions}`);
  }
  return {
    provider: 'local',
    model: LOCAL_MODEL,
    dimensions,
    async embed(texts: string[]): Promise<Float32Array[]> {
      assertEmbeddableTexts(texts);
      const vectors: Float32Array[] = [];
      for (const text of texts) {
        // ~5k snippets/s is CPU work on the event loop: yield now and then so a
        // big batch does not stall every other request (health checks included).
        if (vectors.length > 0 && vectors.length % YIELD_EVERY === 0) await new Promise(setImmediate);
        vectors.push(embedOne(text, dimensions));
      }
      return vectors;
    },
  };
}

function embedOne(text: string, dimensions: number): Float32Array {
  const features = extractFeatures(text);
  const vector = new Float32Array(dimensions);
  for (const [hash, weight] of features) {
    const mixed = fmix32(hash);
    const bucket = mixed % dimensions;
    // The sign comes from bits the bucket did not use, so it is independent of it.
    const sign = fmix32(mixed ^ 0x5bd1e995) & 1 ? 1 : -1;
    vector[bucket]! += sign * Math.sqrt(weight);
  }
  return normaliseInPlace(vector);
}

/** Feature hash -> summed weight of its occurrences. */
function extractFeatures(text: string): Map<number, number> {
  const features = new Map<number, number>();
  const add = (hash: number, weight: number): void => {
    features.set(hash, (features.get(hash) ?? 0) + weight);
  };
  for (const match of text.matchAll(IDENTIFIER)) {
    const identifier = match[0];
    const parts = PLAIN_LOWER_WORD.test(identifier) ? [identifier] : splitIdentifier(identifier);
    if (parts.length > 1) add(fnv1a(parts.join(''), IDENTIFIER_SEED), IDENTIFIER_WEIGHT);
    for (const part of parts) {
      // Single letters (loop counters, `e`, `x`) carry no meaning of their own.
      if (part.length < 2 && !isDigit(part)) continue;
      const factor = COMMON_WORDS.has(part) ? COMMON_WORD_FACTOR : 1;
      add(fnv1a(part, WORD_SEED), WORD_WEIGHT * factor);
      addTrigrams(part, TRIGRAM_WEIGHT * factor, add);
    }
  }
  // Text with no word at all (`=> {}`, `!!!`) still gets a direction of its own.
  if (features.size === 0) addTrigrams(text.trim(), TRIGRAM_WEIGHT, add);
  return features;
}

function splitIdentifier(identifier: string): string[] {
  const parts: string[] = [];
  for (const match of identifier.matchAll(SUBWORD)) parts.push(match[0].toLowerCase());
  return parts;
}

function isDigit(part: string): boolean {
  const code = part.charCodeAt(0);
  return code >= 48 && code <= 57;
}

const BOUNDARY = 0x23; // '#', marks the start and end of a word

/** Hashes the 3-grams of `#word#` without building substrings. */
function addTrigrams(word: string, weight: number, add: (hash: number, weight: number) => void): void {
  const length = word.length + 2;
  const codeAt = (i: number): number => (i === 0 || i === length - 1 ? BOUNDARY : word.charCodeAt(i - 1));
  for (let start = 0; start + 3 <= length; start++) {
    let hash = (0x811c9dc5 ^ TRIGRAM_SEED) >>> 0;
    for (let i = start; i < start + 3; i++) hash = Math.imul(hash ^ codeAt(i), 0x01000193);
    add(hash >>> 0, weight);
  }
}

/** FNV-1a over UTF-16 code units: fast, stable across platforms and releases. */
function fnv1a(value: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** murmur3's finaliser: spreads FNV's weak low bits before taking a bucket. */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
