/**
 * How the Qdrant adapter runs a client call: client errors become AppErrors from
 * the error table, and transient failures (network errors, timeouts, 429, 5xx)
 * are retried with exponential backoff and jitter, `retryAttempts` times, before
 * they become PROVIDER_UNAVAILABLE (503 with retryAfter). A refused API key
 * (401/403) is PROVIDER_UNAVAILABLE at once: retrying cannot fix it. Messages
 * name the Qdrant origin and the reason, never the API key.
 */
import { AppError, isAppError } from '../errors.js';
import type { Log } from '../log.js';
import { backoffMs, withRetries } from '../shared/retry.js';

const RETRY_BASE_MS = 150;
const RETRY_MAX_MS = 2000;

/** The part of the service's logger the Qdrant store uses. */
export type QdrantLog = Pick<Log, 'warn'> & Partial<Pick<Log, 'info'>>;

export interface QdrantCallerOptions {
  /** Scheme, host and port only: safe to show. */
  origin: string;
  timeoutMs: number;
  retryAttempts: number;
  log?: QdrantLog;
}

interface Failure {
  transient: boolean;
  error: AppError;
}

export type QdrantCall = <T>(op: string, fn: () => Promise<T>, retries?: number) => Promise<T>;

export function createQdrantCaller(options: QdrantCallerOptions): QdrantCall {
  const { origin } = options;

  // The cause is the client's error: it carries the response or the socket error, never the request headers.
  function unavailable(reason: string, retryAfter: number, cause: unknown): AppError {
    return new AppError('PROVIDER_UNAVAILABLE', `Qdrant at ${origin} is unavailable: ${reason}`, { cause, retryAfter });
  }

  /** Sorts a client error into an AppError, and says whether trying again may help. */
  function classify(error: unknown): Failure {
    const e = error as { name?: string; status?: unknown; data?: unknown; cause?: { code?: string; message?: string }; message?: string };
    if (typeof e.status === 'number') {
      const status = e.status;
      const detail = (e.data as { status?: { error?: string } } | undefined)?.status?.error ?? '';
      if (status === 401 || status === 403) {
        return { transient: false, error: unavailable(`authentication failed (${status}); check QDRANT_API_KEY`, 60, error) };
      }
      if (status === 429 || status >= 500) return { transient: true, error: unavailable(`it answered ${status} ${detail}`.trim(), 5, error) };
      if (status === 404) return { transient: false, error: new AppError('COLLECTION_NOT_FOUND', detail || 'Qdrant collection not found') };
      if (status === 409) return { transient: false, error: new AppError('COLLECTION_CONFLICT', detail || 'Qdrant collection already exists') };
      if (/Vector dimension error/.test(detail)) return { transient: false, error: new AppError('DIMENSION_MISMATCH', detail) };
      // Qdrant's strict mode (e.g. on Qdrant Cloud) refuses filters on fields without a payload index.
      if (/Index required/i.test(detail)) return { transient: false, error: new AppError('INVALID_FILTER', `Qdrant refused the filter: ${detail}`) };
      // Inputs are validated before any call, so Qdrant refusing one is a bug here, not the caller's.
      return { transient: false, error: new AppError('INTERNAL_ERROR', `Qdrant rejected a request (${status}): ${detail}`) };
    }
    if (e.name === 'QdrantClientUnexpectedResponseError') {
      return { transient: false, error: new AppError('INTERNAL_ERROR', `Qdrant answered with an unexpected response: ${e.message ?? ''}`) };
    }
    if (e.name === 'QdrantClientTimeoutError') return { transient: true, error: unavailable(`no answer within ${options.timeoutMs} ms`, 5, error) };
    if (e.name === 'QdrantClientResourceExhaustedError') return { transient: true, error: unavailable('rate limited (429)', 5, error) };
    const code = e.cause?.code ?? e.cause?.message ?? e.message ?? 'network error';
    return { transient: true, error: unavailable(`unreachable (${code})`, 5, error) };
  }

  /** Runs one client call, retrying transient failures `retries` times (default: the configured count). */
  async function call<T>(op: string, fn: () => Promise<T>, retries = options.retryAttempts): Promise<T> {
    return withRetries(fn, (error, attempt) => {
      if (isAppError(error)) throw error;
      const failure = classify(error);
      if (!failure.transient || attempt >= retries) throw failure.error;
      options.log?.warn({ op, attempt: attempt + 1, reason: failure.error.message }, 'qdrant call failed, retrying');
      return backoffMs(attempt, RETRY_BASE_MS, RETRY_MAX_MS);
    });
  }

  return call;
}
