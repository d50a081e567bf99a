/**
 * The OpenAI embedder: any OpenAI-compatible `/embeddings` endpoint (OpenAI,
 * Azure-style proxies, vLLM, Ollama, LM Studio...) through the official SDK.
 *
 * The SDK's own retries are switched off (`maxRetries: 0`) and done here
 * instead, so that every retry is logged through the service's logger, a long
 * Retry-After gives up at once instead of holding a request for minutes, and
 * the final failure becomes an AppError the API can answer with (503 +
 * Retry-After). The API key never appears in a message or a log line
 * (see openai-failures.ts).
 */
import type { OpenAI } from 'openai';
import { AppError } from '../errors.js';
import type { Embedder } from './port.js';
import { assertEmbeddableTexts, normaliseInPlace } from './input.js';
import type { EmbeddingLog } from './log.js';
import { classifyFailure, type Failure } from './openai-failures.js';
import { backoffMs, withRetries } from '../shared/retry.js';

export const OPENAI_DEFAULT_MODEL = 'text-embedding-3-small';
const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Native sizes of OpenAI's models; other models need `dimensions` configured. */
const KNOWN_MODEL_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};
/** Models that reject the `dimensions` request parameter. */
const FIXED_SIZE_MODELS = new Set(['text-embedding-ada-002']);

// OpenAI caps a request at 2,048 inputs and 300k tokens in total. Code runs at
// 3-4 characters per token, so a 300k character budget stays under the token
// cap without a tokenizer.
const MAX_BATCH_SIZE = 2048;
const MAX_BATCH_CHARS = 300_000;
const MAX_BACKOFF_MS = 8_000;
// A provider asking for a longer pause than this is down for our purposes:
// fail now and pass its Retry-After on to the client.
const MAX_RETRY_AFTER_MS = 30_000;
// Retry-After sent to our clients when the provider gave none.
const DEFAULT_RETRY_AFTER_SECONDS = 5;

export interface OpenAIEmbedderOptions {
  apiKey: string;
  /** Base URL of an OpenAI-compatible API, e.g. `http://localhost:11434/v1`. */
  baseUrl?: string;
  model?: string;
  /** Vector size; passed to the API (text-embedding-3 can shorten vectors). */
  dimensions?: number;
  /** Deadline for one HTTP request, response body included. */
  timeoutMs: number;
  /** Retries of one batch after the first attempt (429, 5xx, network, timeout). */
  maxRetries: number;
  batchSize?: number;
  log?: EmbeddingLog;
  /** First backoff delay; it doubles on each retry, with jitter. */
  retryBaseDelayMs?: number;
}

export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const model = options.model ?? OPENAI_DEFAULT_MODEL;
  const dimensions = resolveDimensions(model, options.dimensions);
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new RangeError(`embedding batchSize must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${batchSize}`);
  }
  if (!(options.timeoutMs > 0)) throw new RangeError(`embedding timeoutMs must be positive, got ${options.timeoutMs}`);
  if (!Number.isInteger(options.maxRetries) || options.maxRetries < 0) {
    throw new RangeError(`embedding maxRetries must be a non-negative integer, got ${options.maxRetries}`);
  }
  if (!options.apiKey) throw new RangeError('the OpenAI embedder needs an API key');

  const apiKey = options.apiKey;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
  const sendDimensions = options.dimensions !== undefined && !FIXED_SIZE_MODELS.has(model);
  const redact = (text: string): string => text.split(apiKey).join('[redacted]');
  const sdk = lazySdk(options);

  async function embedBatch(batch: string[]): Promise<Float32Array[]> {
    const { client, errors } = await sdk();
    const data = await withRetries(
      async () => {
        // Our own deadline covers the body too: the SDK's timeout stops once headers arrive.
        const deadline = AbortSignal.timeout(options.timeoutMs);
        try {
          const response = await client.embeddings.create(
            {
              model,
              input: batch,
              // `float` is the API default and every compatible server knows it; the
              // SDK would otherwise ask for base64, which some servers ignore.
              encoding_format: 'float',
              ...(sendDimensions ? { dimensions } : {}),
            },
            { signal: deadline, timeout: options.timeoutMs },
          );
          return response.data;
        } catch (error) {
          // The attempt's own facts (did our deadline fire?) go with the failure to the decision below.
          throw classifyFailure(error, { timedOut: deadline.aborted, sdk: errors, timeoutMs: options.timeoutMs, redact, model });
        }
      },
      (failure, attempt) => {
        const classified = failure as Failure;
        if (!classified.retryable) throw classified.error;
        const { reason, retryAfterMs } = classified;
        const retriesLeft = options.maxRetries - attempt;
        if (retriesLeft <= 0 || (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS)) {
          const retryAfter = retryAfterMs !== undefined ? Math.max(1, Math.ceil(retryAfterMs / 1000)) : DEFAULT_RETRY_AFTER_SECONDS;
          throw new AppError('EMBEDDING_UNAVAILABLE', `embedding provider unavailable after ${attempt + 1} attempt(s): ${reason}`, { retryAfter });
        }
        const delayMs = retryAfterMs ?? backoffMs(attempt, retryBaseDelayMs, MAX_BACKOFF_MS);
        options.log?.warn({ model, attempt: attempt + 1, retriesLeft, delayMs: Math.round(delayMs), reason }, 'embedding request failed, retrying');
        return delayMs;
      },
    );
    // A malformed answer is not retried: the same server would most likely answer the same.
    return readVectors(data, batch.length, dimensions, model);
  }

  return {
    provider: 'openai',
    model,
    dimensions,
    async embed(texts: string[]): Promise<Float32Array[]> {
      assertEmbeddableTexts(texts);
      const vectors: Float32Array[] = [];
      // Batches run one after another: a large ingest should not hit rate limits harder.
      for (const batch of packBatches(texts, batchSize)) vectors.push(...(await embedBatch(batch)));
      return vectors;
    },
  };
}

/** The size a model's vectors have: its known one, or the configured one where the model allows it (RangeError otherwise). */
export function resolveDimensions(model: string, configured: number | undefined): number {
  const known = KNOWN_MODEL_DIMENSIONS[model];
  if (configured === undefined) {
    if (known === undefined) throw new RangeError(`embedding model "${model}" has no known size: configure its dimensions`);
    return known;
  }
  if (!Number.isInteger(configured) || configured < 1) throw new RangeError(`embedding dimensions must be a positive integer, got ${configured}`);
  if (FIXED_SIZE_MODELS.has(model) && configured !== known) {
    throw new RangeError(`embedding model "${model}" only produces ${known} dimensions, not ${configured}`);
  }
  return configured;
}

/** The SDK is loaded on first use, so a service running the local embedder never pays for it. */
function lazySdk(options: OpenAIEmbedderOptions): () => Promise<{ client: OpenAI; errors: typeof import('openai') }> {
  let loading: Promise<{ client: OpenAI; errors: typeof import('openai') }> | undefined;
  return () => {
    loading ??= import('openai').then((sdk) => ({
      errors: sdk,
      // Every option is given explicitly: left out, the SDK would read its own
      // OPENAI_* environment variables, and config is read in one place only.
      // (It still merges OPENAI_CUSTOM_HEADERS; no option turns that off.)
      client: new sdk.OpenAI({
        apiKey: options.apiKey,
        baseURL: options.baseUrl ?? OPENAI_DEFAULT_BASE_URL,
        adminAPIKey: null,
        organization: null,
        project: null,
        webhookSecret: null,
        logLevel: 'off',
        maxRetries: 0,
        timeout: options.timeoutMs,
      }),
    }));
    return loading;
  };
}

/** Splits texts into request-sized batches, by count and by total characters. */
function packBatches(texts: string[], batchSize: number): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const text of texts) {
    if (current.length > 0 && (current.length === batchSize || chars + text.length > MAX_BATCH_CHARS)) {
      batches.push(current);
      current = [];
      chars = 0;
    }
    current.push(text);
    chars += text.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

interface EmbeddingItem {
  index: number;
  embedding: unknown;
}

/** Orders the vectors by `index` and checks each one before anyone stores it. */
function readVectors(data: readonly EmbeddingItem[] | undefined, expectedCount: number, dimensions: number, model: string): Float32Array[] {
  const invalid = (detail: string): AppError =>
    new AppError('EMBEDDING_UNAVAILABLE', `embedding provider returned an invalid response for model "${model}": ${detail}`);
  if (!Array.isArray(data) || data.length !== expectedCount) {
    throw invalid(`${Array.isArray(data) ? data.length : 0} embeddings for ${expectedCount} texts`);
  }
  const vectors = new Array<Float32Array | undefined>(expectedCount);
  for (const item of data) {
    const { index, embedding } = item;
    if (!Number.isInteger(index) || index < 0 || index >= expectedCount || vectors[index] !== undefined) throw invalid(`bad or repeated index ${index}`);
    if (!Array.isArray(embedding)) throw invalid(`embedding ${index} is not an array of numbers`);
    if (embedding.length !== dimensions) {
      throw new AppError(
        'EMBEDDING_UNAVAILABLE',
        `embedding provider returned a vector of ${embedding.length} dimensions, expected ${dimensions} (model "${model}")`,
      );
    }
    // Checked before conversion: Float32Array.from would turn null into 0 silently.
    if (!embedding.every(Number.isFinite)) throw invalid(`embedding ${index} holds a value that is not a finite number`);
    const vector = Float32Array.from(embedding as number[]);
    vectors[index] = normaliseInPlace(vector);
  }
  return vectors as Float32Array[];
}
