/**
 * Moving values between JSON and SQL, driven by field kinds. The same codec
 * serves every dialect: the dialect only says how a JSON value or timestamp is
 * bound; decoding accepts what either driver returns (text or parsed JSON,
 * text or Date, number or bigint-as-string).
 */
import { AppError } from '../errors.js';
import { columnName, type FieldDefinition } from '../entities/define.js';
import type { Dialect, Row, SqlValue } from './port.js';

export type Item = Record<string, unknown>;

/** Normalises a client timestamp to ISO-8601 UTC with milliseconds. */
export function toIsoTimestamp(value: unknown, field: string): string {
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new AppError('VALIDATION_FAILED', `${field} is not a valid timestamp`);
  return date.toISOString();
}

/**
 * PostgreSQL cannot store U+0000 in text or JSONB. Every provider refuses it,
 * so a value accepted by one database is accepted by all.
 */
export function rejectNul(value: unknown, what: string): void {
  if (containsNul(value)) throw new AppError('VALIDATION_FAILED', `${what} contains the NUL character (U+0000), which the store cannot hold`);
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') return Object.entries(value).some(([key, inner]) => key.includes('\u0000') || containsNul(inner));
  return false;
}

export function encodeValue(dialect: Dialect, spec: FieldDefinition, field: string, value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  rejectNul(value, field);
  switch (spec.kind) {
    case 'json':
      return dialect.encodeJson(value);
    case 'timestamp':
      return dialect.encodeTimestamp(toIsoTimestamp(value, field));
    case 'integer':
    case 'number':
      return value as number;
    case 'string':
      return value as string;
  }
}

/** A JSON column as read: PostgreSQL (jsonb) hands it over parsed, SQLite as text. */
export function decodeJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

export function decodeValue(spec: FieldDefinition, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  switch (spec.kind) {
    case 'json':
      return decodeJson(value);
    case 'timestamp':
      // Stored timestamps are already normalised ISO text (SQLite) or Dates (PostgreSQL).
      return value instanceof Date ? value.toISOString() : String(value);
    case 'integer':
    case 'number':
      return Number(value);
    case 'string':
      return String(value);
  }
}

const layouts = new WeakMap<Record<string, FieldDefinition>, Array<[string, string, FieldDefinition]>>();

/** [field, column, spec] of each field, computed once per field set (decoding is on every read's path). */
function layoutOf(fields: Record<string, FieldDefinition>): Array<[string, string, FieldDefinition]> {
  let layout = layouts.get(fields);
  if (!layout) {
    layout = Object.entries(fields).map(([field, spec]) => [field, columnName(field), spec]);
    layouts.set(fields, layout);
  }
  return layout;
}

/** A database row as the API shows it; NULL columns are left out. */
export function decodeRow(fields: Record<string, FieldDefinition>, row: Row): Item {
  const item: Item = {};
  for (const [field, column, spec] of layoutOf(fields)) {
    const value = decodeValue(spec, row[column]);
    if (value !== undefined) item[field] = value;
  }
  return item;
}

/** The SQL placeholder for one field: a cast is needed for JSONB and TIMESTAMPTZ parameters. */
export function placeholder(dialect: Dialect, spec: FieldDefinition): string {
  if (spec.kind === 'json') return dialect.jsonParameter;
  if (spec.kind === 'timestamp') return dialect.timestampParameter;
  return '?';
}
