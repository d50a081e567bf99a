/**
 * The one cursor codec: every list and scroll hands out its position as base64url JSON, and reads it
 * back through a check of its own shape. A cursor that does not decode, or not to that shape, is 400
 * INVALID_CURSOR: it is opaque to clients, who only send back what they were given.
 */
import { AppError } from './errors.js';

export function encodeCursor(position: object): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor<T>(
  cursor: string,
  isPosition: (value: unknown) => value is T,
  message = 'cursor is not one this list returned; start again without it',
): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('INVALID_CURSOR', message);
  }
  if (!isPosition(value)) throw new AppError('INVALID_CURSOR', message);
  return value;
}

/** A plain object (not null, not an array): most positions are. */
export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
