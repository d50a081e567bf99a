/**
 * One HTTP call with a timeout, an optional API key, and retries with
 * exponential backoff for calls that are safe to repeat. Only 503 and 429
 * answers, and connections refused or reset before any answer, are retried:
 * the service says then that the work was not done. A timeout is not retried
 * (the work may still be running), nor is any other status.
 */
import { backoffMs, withRetries } from '../../../src/shared/retry.js';
import { StorageError } from './errors.js';

export interface TransportOptions {
  /** e.g. http://127.0.0.1:8080 (a path prefix such as /storage is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`; never logged nor put in errors. */
  apiKey?: string;
  /** Per attempt, in ms (default 10,000); 0 for none. */
  timeoutMs?: number;
  /** Retries after the first attempt of a repeatable call (default 3). */
  retries?: number;
  /** First backoff step in ms (default 200); doubles each retry, with jitter (half fixed, half random). */
  retryBaseMs?: number;
  /** Longest single wait, also for Retry-After (default 30,000). */
  maxRetryDelayMs?: number;
  /** A fetch to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch;
}

export interface CallOptions {
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
  /** Cancels the call, retries included. */
  signal?: AbortSignal;
}

export interface RequestSpec extends CallOptions {
  method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined | null>;
  /** JSON-encoded unless it is a stream (then sent as is, never retried). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Whether repeating the call leaves the same state; GET, PUT, PATCH and DELETE are. */
  idempotent?: boolean;
  /** Error statuses that are answers for this call (GET /ready's 503 is a report, not a failure). */
  acceptStatus?: number[];
}

const RETRYABLE_STATUS = new Set([429, 503]);
// Errors Node's fetch reports when no byte of an answer arrived.
const RETRYABLE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

export class Transport {
  private readonly baseUrl: string;
  private readonly options: Required<Omit<TransportOptions, 'apiKey' | 'baseUrl'>> & { apiKey?: string };

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.options = {
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: options.retries ?? 3,
      retryBaseMs: options.retryBaseMs ?? 200,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
      fetch: options.fetch ?? globalThis.fetch,
    };
  }

  /** Sends the call and answers the parsed JSON body (undefined for 204); the timeout covers the body too. */
  async json<T>(spec: RequestSpec): Promise<T> {
    const { response, timer } = await this.send(spec);
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      throw this.failure(cause, spec, timer);
    } finally {
      timer.clear();
    }
    if (response.status === 204 || text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new StorageError({ status: response.status, code: 'INVALID_RESPONSE', message: 'answer is not JSON', method: spec.method, path: spec.path, cause });
    }
  }

  /**
   * Sends the call and answers the successful Response with its body unread, for
   * streaming: the timeout covers only the wait for the answer's headers.
   */
  async stream(spec: RequestSpec): Promise<Response> {
    const { response, timer } = await this.send(spec);
    timer.clear();
    return response;
  }

  private async send(spec: RequestSpec): Promise<{ response: Response; timer: Timer }> {
    const idempotent = spec.idempotent ?? spec.method !== 'POST';
    const streaming = isStream(spec.body);
    const attempts = idempotent && !streaming ? this.options.retries + 1 : 1;
    const once = async () => {
      const sent = await this.attempt(spec, streaming);
      if (sent.response.ok || spec.acceptStatus?.includes(sent.response.status)) return sent;
      const error = await errorFrom(sent.response, spec);
      sent.timer.clear();
      throw error;
    };
    const retryIn = (error: unknown, attempt: number) => {
      if (attempt + 1 >= attempts || !isRetryable(error)) throw error;
      return this.delay(attempt, error as StorageError);
    };
    try {
      return await withRetries(once, retryIn, spec.signal);
    } catch (error) {
      // Aborted while waiting to retry: the wait's AbortError becomes the client's own error.
      if (!(error instanceof StorageError) && spec.signal?.aborted) throw transportError('ABORTED', 'the call was aborted', spec, spec.signal.reason);
      throw error;
    }
  }

  private async attempt(spec: RequestSpec, streaming: boolean): Promise<{ response: Response; timer: Timer }> {
    const timer = startTimer(spec.timeoutMs ?? this.options.timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timer.signal]) : timer.signal;
    const headers: Record<string, string> = { accept: 'application/json', ...spec.headers };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let body: string | ReadableStream<Uint8Array> | undefined;
    if (streaming) body = spec.body as ReadableStream<Uint8Array>;
    else if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    try {
      // `duplex: 'half'` is how Node's fetch accepts a streamed request body.
      const init: RequestInit & { duplex?: 'half' } = { method: spec.method, headers, body, signal, ...(streaming ? { duplex: 'half' } : {}) };
      return { response: await this.options.fetch(this.url(spec), init), timer };
    } catch (cause) {
      timer.clear();
      throw this.failure(cause, spec, timer);
    }
  }

  /** Names a failure that got no (complete) answer. */
  private failure(cause: unknown, spec: RequestSpec, timer: Timer): StorageError {
    if (spec.signal?.aborted) return transportError('ABORTED', 'the call was aborted', spec, cause);
    if (timer.signal.aborted) return transportError('TIMEOUT', `no answer within ${timer.ms} ms`, spec, cause);
    const code = networkCode(cause);
    return transportError('NETWORK_ERROR', `cannot reach the service${code ? ` (${code})` : ''}`, spec, cause);
  }

  private url(spec: RequestSpec): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(spec.query ?? {})) if (value !== undefined && value !== null) params.set(name, String(value));
    const search = params.size ? `?${params}` : '';
    return `${this.baseUrl}${spec.path}${search}`;
  }

  /** Retry-After when the service sent one, else exponential backoff with jitter (attempts counted from 0); both capped. */
  private delay(attempt: number, error: StorageError): number {
    if (error.retryAfter !== undefined) return Math.min(error.retryAfter * 1000, this.options.maxRetryDelayMs);
    return backoffMs(attempt, this.options.retryBaseMs, this.options.maxRetryDelayMs);
  }
}

interface Timer {
  signal: AbortSignal;
  ms: number;
  clear(): void;
}

/**
 * An abort after `ms` that can be called off (AbortSignal.timeout cannot), so a
 * stream may outlive it. 0 or Infinity: no timeout (setTimeout would fire at once).
 */
function startTimer(ms: number): Timer {
  const controller = new AbortController();
  if (!(ms > 0 && Number.isFinite(ms))) return { signal: controller.signal, ms, clear: () => {} };
  const handle = setTimeout(() => controller.abort(new Error(`timeout after ${ms} ms`)), ms);
  return { signal: controller.signal, ms, clear: () => clearTimeout(handle) };
}

function isStream(body: unknown): boolean {
  return body instanceof ReadableStream;
}

function isRetryable(error: unknown): boolean {
  if (!(error instanceof StorageError)) return false;
  if (error.status !== undefined) return RETRYABLE_STATUS.has(error.status);
  return error.code === 'NETWORK_ERROR' && RETRYABLE_NETWORK.has(networkCode(error.cause) ?? '');
}

/** The system error code under fetch's generic "fetch failed" TypeError. */
function networkCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function transportError(code: string, message: string, spec: RequestSpec, cause: unknown): StorageError {
  return new StorageError({ code, message, method: spec.method, path: spec.path, cause });
}

async function errorFrom(response: Response, spec: RequestSpec): Promise<StorageError> {
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  let body: { code?: unknown; message?: unknown } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // Not the service's JSON error shape (a proxy's page, say): the status still tells.
  }
  return new StorageError({
    status: response.status,
    code: typeof body.code === 'string' ? body.code : `HTTP_${response.status}`,
    message: typeof body.message === 'string' ? body.message : response.statusText,
    method: spec.method,
    path: spec.path,
    retryAfter,
  });
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}
