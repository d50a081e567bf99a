/**
 * What the OpenAI embedder does about a failed request: retry it (429, 5xx,
 * network, timeout) or stop with the AppError the API answers. Messages are
 * built here from status codes, never from the provider's 401 text, which
 * echoes part of the API key.
 */
import { AppError } from '../errors.js';

/** What to do about one failed request; `reason` is safe to log (never holds the key). */
export type Failure = { retryable: true; reason: string; retryAfterMs?: number } | { retryable: false; error: AppError };

export interface FailureContext {
  /** Our own deadline fired (it also covers the response body). */
  timedOut: boolean;
  /** The loaded SDK, for its error classes. */
  sdk: typeof import('openai');
  timeoutMs: number;
  /** Removes the API key from provider text. */
  redact: (text: string) => string;
  model: string;
}

export function classifyFailure(error: unknown, context: FailureContext): Failure {
  const { timedOut, sdk, timeoutMs, redact, model } = context;
  const retry = (reason: string, retryAfterMs?: number): Failure => ({ retryable: true, reason, retryAfterMs });
  const stop = (error: AppError): Failure => ({ retryable: false, error });

  if (timedOut || error instanceof sdk.APIConnectionTimeoutError) return retry(`request timed out after ${timeoutMs} ms`);
  if (error instanceof sdk.APIConnectionError) return retry(`connection failed (${networkCode(error)})`);
  if (!(error instanceof sdk.APIError) || error.status === undefined) {
    // A body that is not the expected JSON (a proxy's HTML page, say) lands here.
    const detail = error instanceof Error ? error.message : String(error);
    return stop(new AppError('EMBEDDING_UNAVAILABLE', `embedding provider sent an unreadable response: ${redact(detail)}`));
  }

  const status = error.status;
  if (status === 401) {
    // The provider's text is left out on purpose: OpenAI echoes part of the key in it.
    return stop(new AppError('EMBEDDING_UNAVAILABLE', 'embedding provider rejected the API key (HTTP 401): check OPENAI_API_KEY'));
  }
  if (status === 403) {
    return stop(new AppError('EMBEDDING_UNAVAILABLE', `embedding provider denied access to model "${model}" (HTTP 403): check the API key's permissions`));
  }
  if (status === 408 || status === 409 || status === 429 || status >= 500) {
    return retry(`HTTP ${status}${status === 429 ? ' rate limited' : ''}`, retryAfterMs(error.headers));
  }
  if (status === 404) return stop(new AppError('EMBEDDING_UNAVAILABLE', `embedding model "${model}" not found at the provider (HTTP 404)`));
  // 400, 413, 422: the input itself (too long, too many tokens) or an option the model refuses.
  return stop(new AppError('VALIDATION_FAILED', `embedding provider rejected the request (HTTP ${status}): ${redact(providerMessage(error))}`));
}

function providerMessage(error: { error?: unknown; message: string }): string {
  const body = error.error as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : error.message;
}

function networkCode(error: Error): string {
  // fetch wraps the socket error: TypeError('fetch failed') { cause: Error { code: 'ECONNREFUSED' } }
  let cause: unknown = error.cause;
  while (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cause = cause.cause;
  }
  return 'network error';
}

/** `retry-after-ms` (OpenAI's), else `Retry-After` in seconds or as an HTTP date. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const millis = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(millis) && millis >= 0) return millis;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
