/**
 * The shared metadata filter language (DESIGN.md section 4): validation, and
 * compilation to a predicate for providers that filter in process.
 *
 * Semantics follow Qdrant's, so that every provider answers alike:
 * - a condition on an array-valued field holds when ANY element satisfies it
 *   (Qdrant's `match`/`range` on arrays);
 * - `ne` and `nin` are the negations of `eq` and `in` (Qdrant's `must_not`):
 *   they hold when NO element matches, and on a missing key;
 * - a missing key fails equality, `in` and ranges;
 * - equality is type-strict: 1 does not equal "1", true does not equal 1;
 * - range bounds in one condition apply together to one element (Qdrant's
 *   `range` checks each value against the whole range); numeric bounds compare
 *   numbers only, string bounds are ISO-8601 date-times compared as instants
 *   (Qdrant's datetime range).
 */
import { AppError } from '../errors.js';
import type { Filter, FilterOperand, Metadata, MetadataValue } from './port.js';

export type MetadataPredicate = (metadata: Metadata) => boolean;

const rangeOperators = ['gt', 'gte', 'lt', 'lte'] as const;
const operators = new Set<string>(['in', 'nin', 'ne', ...rangeOperators]);

type RangeOperator = (typeof rangeOperators)[number];
type Scalar = string | number | boolean;

export function invalid(message: string): AppError {
  return new AppError('INVALID_FILTER', message);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isOperand(value: unknown): value is FilterOperand {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** The elements a condition is tested against: the array's, or the value itself. */
function elementsOf(value: MetadataValue): ReadonlyArray<Scalar | null> {
  return Array.isArray(value) ? value : [value];
}

function anyElement(metadata: Metadata, field: string, test: (element: Scalar | null) => boolean): boolean {
  if (!Object.hasOwn(metadata, field)) return false;
  const value = metadata[field];
  if (value === undefined) return false;
  return elementsOf(value).some(test);
}

function parseInstant(field: string, operator: string, operand: string): number {
  const instant = Date.parse(operand);
  if (Number.isNaN(instant)) {
    throw invalid(`filter on \`${field}\`: operator \`${operator}\` takes a number or an ISO-8601 date-time, got "${operand}"`);
  }
  return instant;
}

function compileRange(field: string, bounds: Partial<Record<RangeOperator, unknown>>): MetadataPredicate {
  const present = rangeOperators.filter((op) => bounds[op] !== undefined);
  const kinds = new Set(present.map((op) => typeof bounds[op]));
  for (const op of present) {
    const operand = bounds[op];
    if (!(typeof operand === 'number' && Number.isFinite(operand)) && typeof operand !== 'string') {
      throw invalid(`filter on \`${field}\`: operator \`${op}\` takes a number or an ISO-8601 date-time, got ${describe(operand)}`);
    }
  }
  if (kinds.size > 1) throw invalid(`filter on \`${field}\`: range operators ${present.map((op) => `\`${op}\``).join(', ')} mix numbers and date-times`);

  const dates = kinds.has('string');
  const limit = (op: RangeOperator): number | undefined => {
    const operand = bounds[op];
    if (operand === undefined) return undefined;
    return typeof operand === 'string' ? parseInstant(field, op, operand) : (operand as number);
  };
  const gt = limit('gt');
  const gte = limit('gte');
  const lt = limit('lt');
  const lte = limit('lte');

  const inRange = (element: Scalar | null): boolean => {
    let x: number;
    if (dates) {
      if (typeof element !== 'string') return false;
      x = Date.parse(element);
      if (Number.isNaN(x)) return false;
    } else {
      if (typeof element !== 'number') return false;
      x = element;
    }
    return (gt === undefined || x > gt) && (gte === undefined || x >= gte) && (lt === undefined || x < lt) && (lte === undefined || x <= lte);
  };
  return (metadata) => anyElement(metadata, field, inRange);
}

function operandList(field: string, operator: string, operand: unknown): Set<FilterOperand> {
  if (!Array.isArray(operand) || !operand.every(isOperand)) {
    throw invalid(`filter on \`${field}\`: operator \`${operator}\` takes an array of strings, numbers, booleans or null, got ${describe(operand)}`);
  }
  // Set membership uses SameValueZero: type-strict like the equality below.
  return new Set(operand);
}

/**
 * A field's condition that is not a plain value must be an object of known operators, each with
 * an operand: checked here for every provider (the port's precondition), so each translates it without repeating this.
 */
function operatorObject(field: string, condition: unknown): Record<string, unknown> {
  if (!isPlainObject(condition)) {
    const hint = Array.isArray(condition) ? ' (use `{in: [...]}` to match any of several values)' : '';
    throw invalid(`filter on \`${field}\`: expected a value or an operator object, got ${describe(condition)}${hint}`);
  }
  const ops = Object.keys(condition);
  if (ops.length === 0) throw invalid(`filter on \`${field}\`: empty operator object; use one of in, nin, gt, gte, lt, lte, ne`);
  for (const op of ops) {
    if (!operators.has(op)) throw invalid(`filter on \`${field}\`: unknown operator \`${op}\`; use one of in, nin, gt, gte, lt, lte, ne`);
    if (condition[op] === undefined) throw invalid(`filter on \`${field}\`: operator \`${op}\` has no operand`);
  }
  return condition;
}

function compileCondition(field: string, value: unknown): MetadataPredicate {
  if (isOperand(value)) return (metadata) => anyElement(metadata, field, (element) => element === value);
  const condition = operatorObject(field, value);

  const parts: MetadataPredicate[] = [];
  if (condition.in !== undefined) {
    const set = operandList(field, 'in', condition.in);
    parts.push((metadata) => anyElement(metadata, field, (element) => set.has(element)));
  }
  if (condition.nin !== undefined) {
    const set = operandList(field, 'nin', condition.nin);
    parts.push((metadata) => !anyElement(metadata, field, (element) => set.has(element)));
  }
  if (condition.ne !== undefined) {
    const operand = condition.ne;
    if (!isOperand(operand)) throw invalid(`filter on \`${field}\`: operator \`ne\` takes a string, number, boolean or null, got ${describe(operand)}`);
    parts.push((metadata) => !anyElement(metadata, field, (element) => element === operand));
  }
  if (rangeOperators.some((op) => condition[op] !== undefined)) parts.push(compileRange(field, condition));

  return parts.length === 1 ? parts[0]! : (metadata) => parts.every((part) => part(metadata));
}

/**
 * Validates `filter` and compiles it to a predicate over a document's
 * metadata. Throws AppError INVALID_FILTER naming the field and operator.
 * An absent or empty filter matches everything.
 */
export function compileFilter(filter: Filter | undefined): MetadataPredicate {
  if (filter === undefined) return () => true;
  if (!isPlainObject(filter)) throw invalid(`filter must be an object of field conditions, got ${describe(filter)}`);
  const parts: MetadataPredicate[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    if (field.length === 0) throw invalid('filter has an empty field name');
    parts.push(compileCondition(field, condition));
  }
  if (parts.length === 0) return () => true;
  if (parts.length === 1) return parts[0]!;
  return (metadata) => {
    for (const part of parts) if (!part(metadata)) return false;
    return true;
  };
}

/** Validates a filter without keeping the predicate (for providers that translate it). */
export function validateFilter(filter: Filter | undefined): void {
  compileFilter(filter);
}

/** True when the filter constrains nothing (absent or `{}`). */
export function isEmptyFilter(filter: Filter | undefined): boolean {
  return filter === undefined || Object.keys(filter).length === 0;
}
