/**
 * An embedding cache around any embedder: unchanged code is never embedded
 * twice. Keys are the project (the `scope` of each call) and the SHA-256 of the
 * content: one project never gets a vector another embedded, so hit counts and
 * timings say nothing of other projects' texts, and `forget(project)` removes
 * a deleted project's entries. The persisted store adds model and dimensions to
 * the key, so switching models never returns old vectors.
 * Lookups go memory (LRU) -> store (optional, survives restarts) -> inner
 * embedder, which receives only the misses, each distinct text once.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Embedder } from './port.js';
import type { EmbeddingLog } from './log.js';
import type { EmbeddingCacheStore } from './sqlite-cache-store.js';
import { assertEmbeddableTexts } from './input.js';
import { AppError } from '../errors.js';

export interface EmbeddingCacheOptions {
  /** Vectors kept in memory; the least recently used go first. */
  maxEntries: number;
  store?: EmbeddingCacheStore;
  log?: EmbeddingLog;
}

/** Counters for metrics. Distinct texts are counted: a text repeated in one call counts once. */
export interface EmbeddingCacheStats {
  /** Texts answered from the cache, memory or store. */
  hits: number;
  /** The part of `hits` that came from the persisted store. */
  storeHits: number;
  /** Texts sent to the embedder. */
  misses: number;
  /** Vectors held in memory now. */
  entries: number;
}

export interface CachedEmbedder extends Embedder {
  stats(): EmbeddingCacheStats;
  /** Drops every entry of a project (deleted, say), in memory and in the store. */
  forget(scope: string): void;
  /** Closes the persisted store, if any. */
  close(): void;
}

export function withEmbeddingCache(embedder: Embedder, options: EmbeddingCacheOptions): CachedEmbedder {
  const { maxEntries, store, log } = options;
  if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new RangeError(`embedding cache maxEntries must be a non-negative integer, got ${maxEntries}`);
  const { model, dimensions } = embedder;
  // lru-cache needs a bound of at least one; a cache of no entries remembers nothing.
  const memory = new LRUCache<string, Float32Array>({ max: Math.max(1, maxEntries) });
  const counters = { hits: 0, storeHits: 0, misses: 0 };

  const remember = (hash: string, vector: Float32Array): void => {
    if (maxEntries > 0) memory.set(hash, vector);
  };

  // The store is an optimisation: when it fails, embedding carries on without it.
  const fromStore = (scope: string, hashes: string[]): Map<string, Float32Array> => {
    if (!store || hashes.length === 0) return new Map();
    try {
      return store.get(scope, model, dimensions, hashes);
    } catch (error) {
      log?.warn({ err: describe(error) }, 'embedding cache store read failed; embedding instead');
      return new Map();
    }
  };
  const toStore = (scope: string, entries: Array<{ hash: string; vector: Float32Array }>): void => {
    if (!store || entries.length === 0) return;
    try {
      store.set(scope, model, dimensions, entries);
    } catch (error) {
      log?.warn({ err: describe(error) }, 'embedding cache store write failed');
    }
  };

  return {
    provider: embedder.provider,
    model,
    dimensions,
    async embed(texts: string[], scope = ''): Promise<Float32Array[]> {
      assertEmbeddableTexts(texts);
      const hashes = texts.map(sha256);
      const memoryKey = (hash: string) => `${scope}\0${hash}`;
      const found = new Map<string, Float32Array>();
      const missing: string[] = [];
      for (const hash of new Set(hashes)) {
        const vector = memory.get(memoryKey(hash));
        if (vector) {
          found.set(hash, vector); // get() made it the most recently used
        } else {
          missing.push(hash);
        }
      }

      const stored = fromStore(scope, missing);
      for (const [hash, vector] of stored) {
        remember(memoryKey(hash), vector);
        found.set(hash, vector);
      }
      counters.hits += found.size;
      counters.storeHits += stored.size;

      const toEmbed = missing.filter((hash) => !stored.has(hash));
      if (toEmbed.length > 0) {
        const textOf = new Map(hashes.map((hash, i) => [hash, texts[i]!]));
        counters.misses += toEmbed.length;
        const vectors = await embedder.embed(toEmbed.map((hash) => textOf.get(hash)!));
        if (vectors.length !== toEmbed.length) {
          throw new AppError('INTERNAL_ERROR', `embedder returned ${vectors.length} vectors for ${toEmbed.length} texts`);
        }
        const fresh = toEmbed.map((hash, i) => ({ hash, vector: vectors[i]! }));
        for (const { hash, vector } of fresh) {
          remember(memoryKey(hash), vector);
          found.set(hash, vector);
        }
        toStore(scope, fresh);
      }
      // Copies: callers own what they get, and must not be able to alter the cache.
      return hashes.map((hash) => found.get(hash)!.slice());
    },
    stats: () => ({ ...counters, entries: memory.size }),
    forget(scope) {
      const prefix = `${scope}\0`;
      for (const key of memory.keys()) if (key.startsWith(prefix)) memory.delete(key);
      try {
        store?.forget(scope);
      } catch (error) {
        log?.warn({ err: describe(error) }, 'embedding cache store delete failed');
      }
    },
    close: () => store?.close(),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
