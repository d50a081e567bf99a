/**
 * Translation of the shared filter language (port.ts, DESIGN.md section 4) into
 * Qdrant filter conditions over the documents' `metadata` payload object.
 *
 * Each operator maps onto a Qdrant condition with the same meaning, so the
 * adapter answers like every other provider:
 * - `{f: v}`: `match.value` for strings, booleans and integers (Qdrant's match is
 *   type-strict and holds when any array element matches); `is_null` for null;
 *   a closed `range` [v, v] for non-integer numbers, which `match` cannot express.
 * - `in`: a nested `should` of those (strings and integers grouped into
 *   `match.any`); an empty list is `should: []`, which matches nothing.
 * - `ne`, `nin`: `must_not` of the positive condition, so a missing key passes.
 * - `gt/gte/lt/lte`: `range` for numbers; for strings, Qdrant's datetime range
 *   (ISO-8601 date-times compared as instants), sent as RFC 3339 UTC.
 * Field names outside [A-Za-z0-9_-] are quoted in the key path (`metadata."a.b"`).
 * Anything else is an AppError INVALID_FILTER: a filter is never dropped.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { describe, invalid, isOperand, isPlainObject, operatorObject } from './filter.js';
import type { Filter, FilterOperand } from './port.js';

type Condition = Schemas['Condition'];

const NO_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;
const RANGE_OPERATORS = ['gt', 'gte', 'lt', 'lte'] as const;
/** Field names Qdrant's key path syntax takes as they are; others are quoted (`metadata."a.b"`). */
const BARE_FIELD = /^[A-Za-z0-9_-]+$/;

function equals(key: string, value: FilterOperand): Condition {
  if (value === null) return { is_null: { key } };
  if (typeof value === 'number' && !Number.isSafeInteger(value)) return { key, range: { gte: value, lte: value } };
  return { key, match: { value } };
}

function oneOf(key: string, field: string, operator: string, operand: unknown): Condition {
  if (!Array.isArray(operand) || !operand.every(isOperand)) {
    throw invalid(`filter on \`${field}\`: operator \`${operator}\` takes an array of strings, numbers, booleans or null, got ${describe(operand)}`);
  }
  const strings = [...new Set(operand.filter((v): v is string => typeof v === 'string'))];
  const integers = [...new Set(operand.filter((v): v is number => typeof v === 'number' && Number.isSafeInteger(v)))];
  const others = [...new Set(operand.filter((v) => typeof v !== 'string' && !(typeof v === 'number' && Number.isSafeInteger(v))))];
  const should: Condition[] = [];
  if (strings.length > 0) should.push({ key, match: { any: strings } });
  if (integers.length > 0) should.push({ key, match: { any: integers } });
  for (const value of others) should.push(equals(key, value));
  return should.length === 1 ? should[0]! : { should };
}

function bound(field: string, operator: string, operand: unknown, kind: 'number' | 'string'): number | string {
  if (typeof operand === 'number' && Number.isFinite(operand) && kind === 'number') return operand;
  if (typeof operand === 'string' && kind === 'string') {
    // Qdrant reads a date-time without a zone as UTC; JavaScript would read it as local time.
    const zoned = NO_ZONE.test(operand) ? `${operand.replace(' ', 'T')}Z` : operand;
    const instant = Date.parse(zoned);
    if (!Number.isNaN(instant)) return new Date(instant).toISOString();
  }
  throw invalid(`filter on \`${field}\`: operator \`${operator}\` takes a number or an ISO-8601 date-time, got ${typeof operand === 'string' ? `"${operand}"` : describe(operand)}`);
}

function range(key: string, field: string, condition: Record<string, unknown>): Condition | null {
  const present = RANGE_OPERATORS.filter((op) => condition[op] !== undefined);
  if (present.length === 0) return null;
  const kinds = new Set(present.map((op) => (typeof condition[op] === 'string' ? 'string' : 'number')));
  if (kinds.size > 1) throw invalid(`filter on \`${field}\`: range operators ${present.map((op) => `\`${op}\``).join(', ')} mix numbers and date-times`);
  const kind = kinds.has('string') ? 'string' : 'number';
  const bounds = Object.fromEntries(present.map((op) => [op, bound(field, op, condition[op], kind)]));
  return { key, range: bounds };
}

function translateCondition(field: string, value: unknown): Condition[] {
  if (field.length === 0) throw invalid('filter has an empty field name');
  // Qdrant's key paths have no escape for a double quote inside a quoted key.
  if (field.includes('"')) throw invalid(`filter on \`${field}\`: field names with '"' cannot be filtered on the qdrant provider`);
  const key = BARE_FIELD.test(field) ? `metadata.${field}` : `metadata."${field}"`;
  if (isOperand(value)) return [equals(key, value)];
  const condition = operatorObject(field, value);
  const out: Condition[] = [];
  if (condition.in !== undefined) out.push(oneOf(key, field, 'in', condition.in));
  if (condition.nin !== undefined) out.push({ must_not: [oneOf(key, field, 'nin', condition.nin)] });
  if (condition.ne !== undefined) {
    if (!isOperand(condition.ne)) throw invalid(`filter on \`${field}\`: operator \`ne\` takes a string, number, boolean or null, got ${describe(condition.ne)}`);
    out.push({ must_not: [equals(key, condition.ne)] });
  }
  const ranged = range(key, field, condition);
  if (ranged) out.push(ranged);
  return out;
}

/** Conditions that must all hold (AND them with the tenant conditions); [] for no filter. */
export function translateFilter(filter: Filter | undefined): Condition[] {
  if (filter === undefined) return [];
  if (!isPlainObject(filter)) throw invalid(`filter must be an object of field conditions, got ${describe(filter)}`);
  return Object.entries(filter).flatMap(([field, condition]) => translateCondition(field, condition));
}
