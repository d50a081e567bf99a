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
 * The filter has passed validateFilter (filter.ts; the port's precondition), so
 * only what Qdrant alone cannot express is refused here (INVALID_FILTER): a
 * filter is never dropped.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { invalid, isOperand } from './filter.js';
import type { Filter, FilterCondition, FilterOperand } from './port.js';

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

function oneOf(key: string, operand: FilterOperand[]): Condition {
  const strings = [...new Set(operand.filter((v): v is string => typeof v === 'string'))];
  const integers = [...new Set(operand.filter((v): v is number => typeof v === 'number' && Number.isSafeInteger(v)))];
  const others = [...new Set(operand.filter((v) => typeof v !== 'string' && !(typeof v === 'number' && Number.isSafeInteger(v))))];
  const should: Condition[] = [];
  if (strings.length > 0) should.push({ key, match: { any: strings } });
  if (integers.length > 0) should.push({ key, match: { any: integers } });
  for (const value of others) should.push(equals(key, value));
  return should.length === 1 ? should[0]! : { should };
}

/** A range bound: a number, or a date-time sent as RFC 3339 UTC (one without a zone is taken as UTC). */
function bound(operand: number | string): number | string {
  if (typeof operand === 'number') return operand;
  return new Date(Date.parse(NO_ZONE.test(operand) ? `${operand.replace(' ', 'T')}Z` : operand)).toISOString();
}

function translateCondition(field: string, value: FilterCondition): Condition[] {
  // Qdrant's key paths have no escape for a double quote inside a quoted key.
  if (field.includes('"')) throw invalid(`filter on \`${field}\`: field names with '"' cannot be filtered on the qdrant provider`);
  const key = BARE_FIELD.test(field) ? `metadata.${field}` : `metadata."${field}"`;
  if (isOperand(value)) return [equals(key, value)];
  const out: Condition[] = [];
  if (value.in !== undefined) out.push(oneOf(key, value.in));
  if (value.nin !== undefined) out.push({ must_not: [oneOf(key, value.nin)] });
  if (value.ne !== undefined) out.push({ must_not: [equals(key, value.ne)] });
  const present = RANGE_OPERATORS.filter((op) => value[op] !== undefined);
  if (present.length > 0) out.push({ key, range: Object.fromEntries(present.map((op) => [op, bound(value[op]!)])) });
  return out;
}

/** Conditions that must all hold (AND them with the tenant conditions); [] for no filter. */
export function translateFilter(filter: Filter | undefined): Condition[] {
  if (filter === undefined) return [];
  return Object.entries(filter).flatMap(([field, condition]) => translateCondition(field, condition));
}
