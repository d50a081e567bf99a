/** The one error the client throws: the service's `{statusCode, code, message}`, or a transport failure. */

/** Codes of failures that never reached an answer from the service. */
export type TransportErrorCode = 'TIMEOUT' | 'NETWORK_ERROR' | 'ABORTED' | 'INVALID_RESPONSE';

export class StorageError extends Error {
  /** HTTP status, or undefined when no answer came (timeout, network, abort). */
  readonly status: number | undefined;
  /** The service's stable code (README's error table), or a TransportErrorCode. */
  readonly code: string;
  readonly method: string;
  /** The path called, without the base URL or query string. */
  readonly path: string;
  /** Seconds the service asked to wait (Retry-After), when it said so. */
  readonly retryAfter?: number;

  constructor(options: { status?: number; code: string; message: string; method: string; path: string; retryAfter?: number; cause?: unknown }) {
    super(`${options.method} ${options.path}: ${options.status ?? options.code} ${options.message}`, { cause: options.cause });
    this.name = 'StorageError';
    this.status = options.status;
    this.code = options.code;
    this.method = options.method;
    this.path = options.path;
    this.retryAfter = options.retryAfter;
  }
}

export function isStorageError(value: unknown, code?: string): value is StorageError {
  return value instanceof StorageError && (code === undefined || value.code === code);
}

/**
 * Answers null instead of throwing when the thing asked for does not exist
 * (NOT_FOUND, PROJECT_NOT_FOUND, COLLECTION_NOT_FOUND, ...). A wrong address
 * (ROUTE_NOT_FOUND, UNKNOWN_ENTITY, a proxy's 404) still throws: it is a
 * misconfiguration, not an absence.
 */
export async function orNull<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof StorageError && error.status === 404 && error.code.endsWith('NOT_FOUND') && error.code !== 'ROUTE_NOT_FOUND') return null;
    throw error;
  }
}
