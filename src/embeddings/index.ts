/**
 * Chooses the embedder from already-parsed configuration (the environment is
 * read in src/config.ts only) and wraps it in the cache.
 */
import { withEmbeddingCache, type CachedEmbedder } from './cache.js';
import { createLocalEmbedder } from './local.js';
import type { EmbeddingLog } from './log.js';
import { createOpenAIEmbedder } from './openai.js';
import { createSqliteCacheStore } from './sqlite-cache-store.js';
import type { Embedder } from './port.js';
import type { Config } from '../config.js';

type EmbeddingSettings = Config['embeddings'];

export type { Embedder } from './port.js';
export type { CachedEmbedder, EmbeddingCacheStats } from './cache.js';
export type { EmbeddingLog } from './log.js';

/** The embedding settings of the configuration (one definition, in src/config.ts), plus what the service wires in. */
export interface EmbedderOptions extends EmbeddingSettings {
  /** SQLite file that keeps the cache across restarts; memory only without it. */
  cacheFile?: string;
  log?: EmbeddingLog;
  /** Decorates the provider inside the cache (metrics), so cache hits never reach it. */
  instrument?: (embedder: Embedder) => Embedder;
}

// Memory the in-process cache may hold: ~43k local vectors (384-d), ~11k of 1536-d.
const MEMORY_CACHE_BYTES = 64 * 1024 * 1024;

export function createEmbedder(options: EmbedderOptions): CachedEmbedder {
  const provider = chooseProvider(options) === 'openai' ? createOpenAI(options) : createLocalEmbedder({ dimensions: options.dimensions });
  const embedder = options.instrument ? options.instrument(provider) : provider;
  return withEmbeddingCache(embedder, {
    maxEntries: Math.floor(MEMORY_CACHE_BYTES / (embedder.dimensions * Float32Array.BYTES_PER_ELEMENT)),
    store: options.cacheFile ? createSqliteCacheStore(options.cacheFile) : undefined,
    log: options.log,
  });
}

function chooseProvider(options: EmbedderOptions): 'openai' | 'local' {
  if (options.provider === 'auto') return options.openaiApiKey ? 'openai' : 'local';
  return options.provider;
}

function createOpenAI(options: EmbedderOptions) {
  let apiKey = options.openaiApiKey;
  if (!apiKey) {
    if (!options.openaiBaseUrl) throw new RangeError('the openai embedding provider needs OPENAI_API_KEY (or OPENAI_BASE_URL for a server without keys)');
    // Self-hosted compatible servers (Ollama, vLLM, LM Studio) often take no key, but the SDK insists on one.
    apiKey = 'no-key';
  }
  return createOpenAIEmbedder({
    apiKey,
    baseUrl: options.openaiBaseUrl,
    model: options.model,
    dimensions: options.dimensions,
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    log: options.log,
  });
}
