/**
 * Every error the service answers with, in one table: a stable `code` that
 * clients can switch on, and its HTTP status. Handlers throw `AppError`;
 * adapters translate driver errors into it; the app's error handler turns it
 * into `{statusCode, code, error, message}`.
 */
import { STATUS_CODES } from 'node:http';
import Type from 'typebox';

export const errorTable = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  INVALID_PROJECT_ID: 400,
  MALFORMED_JSON: 400,
  MALFORMED_URL: 400,
  UNKNOWN_FILTER_FIELD: 400,
  INVALID_SORT: 400,
  UNKNOWN_SORT_FIELD: 400,
  LIMIT_OUT_OF_RANGE: 400,
  INVALID_CURSOR: 400,
  ID_MISMATCH: 400,
  BATCH_TOO_LARGE: 400,
  DIMENSION_MISMATCH: 400,
  MODEL_MISMATCH: 400,
  INVALID_FILTER: 400,
  INVALID_VECTOR: 400,
  UNSUPPORTED_SEARCH_MODE: 400,
  INVALID_BACKUP: 400,
  BACKUP_TRUNCATED: 400,
  UNSUPPORTED_BACKUP_VERSION: 400,
  CHECKSUM_MISMATCH: 400,
  MODEL_NOT_ALLOWED: 400,
  RESPONSE_TOO_LARGE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  UNTRUSTED_HOST: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  UNKNOWN_ENTITY: 404,
  PROJECT_NOT_FOUND: 404,
  COLLECTION_NOT_FOUND: 404,
  DOCUMENT_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  COLLECTION_CONFLICT: 409,
  TOO_MANY_COLLECTIONS: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  PROVIDER_UNAVAILABLE: 503,
  OVERLOADED: 503,
  EMBEDDING_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorTable;

/** Every error answer's body, in OpenAPI and for the client's types. */
export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'stable error code; the table is in README.md' }),
    error: Type.String(),
    message: Type.String(),
  },
  { title: 'Error' },
);

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Seconds a client should wait before retrying (sent as Retry-After on 429/503). */
  readonly retryAfter?: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfter?: number }) {
    super(message, { cause: options?.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = errorTable[code];
    this.retryAfter = options?.retryAfter;
  }

  toJSON(): ErrorBody {
    return { statusCode: this.statusCode, code: this.code, error: STATUS_CODES[this.statusCode] ?? 'Error', message: this.message };
  }
}

export interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
