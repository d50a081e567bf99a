/**
 * Qdrant 1.19 filter semantics for the test server (test/support/qdrant-test-server.ts):
 * must / should / must_not / min_should, field conditions (match value / any /
 * except, range, datetime range), is_empty, is_null and has_id. This is a model
 * of Qdrant's documented behaviour, written for tests, not Qdrant itself.
 */

type Payload = Record<string, unknown>;
export type PointId = number | string;

/** A request Qdrant would reject with 422 (well-formed JSON, invalid meaning). */
export class FilterValidationError extends Error {}
/** A filter feature this test server does not model: the test must not rely on it. */
export class UnsupportedFeatureError extends Error {}

export interface FilterTarget {
  id: PointId;
  payload: Payload;
}

/** A key path Qdrant cannot parse: it answers 400 "Format error in JSON body". */
export class KeyPathError extends Error {}

interface Segment {
  key: string;
  /** `[]`: step into every element of an array. */
  flatten: boolean;
}

/**
 * Parses Qdrant's key path syntax: `a.b`, `a[].b`, and quoted keys for other
 * characters (`a."b c"`). Bare keys are letters, digits, `_` and `-`.
 * Array indexes (`a[0]`) are not modelled.
 */
export function parseKeyPath(path: string): Segment[] {
  const segments: Segment[] = [];
  const pattern = /^(?:"([^"]*)"|([\p{L}\p{N}_-]+))(\[\])?(?:\.|$)/u;
  let rest = path;
  while (rest.length > 0) {
    const m = pattern.exec(rest);
    if (!m) throw new KeyPathError(`Format error in JSON body: Invalid json path: '${path}'`);
    segments.push({ key: m[1] ?? m[2]!, flatten: m[3] !== undefined });
    rest = rest.slice(m[0].length);
    if (rest.length === 0 && m[0].endsWith('.')) throw new KeyPathError(`Format error in JSON body: Invalid json path: '${path}'`);
  }
  if (segments.length === 0) throw new KeyPathError(`Format error in JSON body: Invalid json path: '${path}'`);
  return segments;
}

function step(values: unknown[], segment: Segment): unknown[] {
  const next: unknown[] = [];
  for (const value of values) {
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, segment.key)) {
      next.push((value as Payload)[segment.key]);
    }
  }
  return segment.flatten ? next.flatMap((v) => (Array.isArray(v) ? v : [v])) : next;
}

/** Values at a Qdrant key path; arrays at the end are flattened. */
export function valuesAt(payload: Payload, key: string): unknown[] {
  const values = parseKeyPath(key).reduce<unknown[]>(step, [payload]);
  // A condition on an array field applies to each element.
  return values.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

/** Qdrant compares match values type-strictly: "1" never equals 1, true never equals 1. */
function sameValue(stored: unknown, wanted: unknown): boolean {
  if (typeof wanted === 'number') return typeof stored === 'number' && Number.isInteger(stored) && stored === wanted;
  return typeof stored === typeof wanted && stored === wanted;
}

function asList(clause: unknown): unknown[] | null {
  if (clause === undefined || clause === null) return null;
  return Array.isArray(clause) ? clause : [clause];
}

export function normaliseId(id: PointId): PointId {
  return typeof id === 'string' ? id.toLowerCase() : id;
}

const DATETIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Payload strings Qdrant reads as datetimes: RFC 3339 and its shorter forms
 * (date only, no seconds, no zone = UTC). Anything else is not a datetime, so
 * a datetime range never matches it (unlike JavaScript's lenient Date.parse).
 */
export function parseDatetime(value: string): number | null {
  const m = DATETIME.exec(value);
  if (!m) return null;
  const [, date, time, zone] = m;
  const iso = time ? `${date}T${time}${zone ? zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') : 'Z'}` : `${date}T00:00:00Z`;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function checkRange(values: unknown[], range: Record<string, unknown>): boolean {
  const bounds = Object.entries(range).filter(([, v]) => v !== null && v !== undefined);
  const isDatetime = bounds.some(([, v]) => typeof v === 'string');
  const toComparable = (v: unknown): number | null => {
    if (isDatetime) return typeof v === 'string' ? parseDatetime(v) : null;
    return typeof v === 'number' ? v : null;
  };
  return values.some((raw) => {
    const value = toComparable(raw);
    if (value === null) return false;
    return bounds.every(([op, boundRaw]) => {
      const bound = isDatetime ? (parseDatetime(boundRaw as string) ?? Number.NaN) : (boundRaw as number);
      if (op === 'gt') return value > bound;
      if (op === 'gte') return value >= bound;
      if (op === 'lt') return value < bound;
      if (op === 'lte') return value <= bound;
      throw new UnsupportedFeatureError(`range operator ${op}`);
    });
  });
}

function checkMatch(values: unknown[], match: Record<string, unknown>): boolean {
  if ('value' in match) return values.some((v) => sameValue(v, match.value));
  if ('any' in match) {
    const any = match.any as unknown[];
    return values.some((v) => any.some((wanted) => sameValue(v, wanted)));
  }
  if ('except' in match) {
    // "Should have at least one value not matching any of the given values"; a missing key has none.
    const except = match.except as unknown[];
    return values.some((v) => !except.some((unwanted) => sameValue(v, unwanted)));
  }
  throw new UnsupportedFeatureError(`match ${Object.keys(match).join(', ')}`);
}

const FIELD_CONDITIONS = ['match', 'range', 'geo_bounding_box', 'geo_radius', 'geo_polygon', 'values_count', 'is_empty', 'is_null'];

function checkFieldCondition(target: FilterTarget, condition: Record<string, unknown>): boolean {
  const key = condition.key as string;
  const present = FIELD_CONDITIONS.filter((name) => condition[name] !== undefined && condition[name] !== null);
  if (present.length === 0) {
    throw new FilterValidationError(`Validation error in JSON body: [filter: At least one field condition must be specified for key ${key}]`);
  }
  const values = valuesAt(target.payload, key);
  return present.every((name) => {
    if (name === 'match') return checkMatch(values, condition.match as Record<string, unknown>);
    if (name === 'range') return checkRange(values, condition.range as Record<string, unknown>);
    // `{key, is_empty: true}` and `{key, is_null: true}` are the short forms of the conditions below.
    if (name === 'is_empty') return isEmpty(target.payload, key) === condition.is_empty;
    if (name === 'is_null') return isNull(target.payload, key) === condition.is_null;
    throw new UnsupportedFeatureError(`field condition ${name}`);
  });
}

function checkCondition(target: FilterTarget, condition: unknown): boolean {
  const c = condition as Record<string, unknown>;
  if (typeof c.key === 'string') return checkFieldCondition(target, c);
  if (c.is_empty) return isEmpty(target.payload, (c.is_empty as { key: string }).key);
  if (c.is_null) return isNull(target.payload, (c.is_null as { key: string }).key);
  if (c.has_id) return (c.has_id as PointId[]).some((id) => normaliseId(id) === normaliseId(target.id));
  if (c.has_vector !== undefined || c.nested !== undefined) throw new UnsupportedFeatureError(Object.keys(c).join(', '));
  return matchesFilter(target, c);
}

/** Missing, null or []. */
function isEmpty(payload: Payload, key: string): boolean {
  return valuesAtRaw(payload, key).every((v) => v === null || (Array.isArray(v) && v.length === 0));
}

/** Present and null. */
function isNull(payload: Payload, key: string): boolean {
  return valuesAtRaw(payload, key).some((v) => v === null);
}

/** Like valuesAt, without flattening the final arrays: is_empty and is_null look at the stored value itself. */
function valuesAtRaw(payload: Payload, key: string): unknown[] {
  return parseKeyPath(key).reduce<unknown[]>(step, [payload]);
}

/** `must: []` matches everything; `should: []` matches nothing; an absent clause is ignored. */
export function matchesFilter(target: FilterTarget, filter: Record<string, unknown> | null | undefined): boolean {
  if (!filter) return true;
  const must = asList(filter.must);
  const should = asList(filter.should);
  const mustNot = asList(filter.must_not);
  const minShould = filter.min_should as { conditions: unknown[]; min_count: number } | null | undefined;
  if (must && !must.every((c) => checkCondition(target, c))) return false;
  if (mustNot && mustNot.some((c) => checkCondition(target, c))) return false;
  if (should && !should.some((c) => checkCondition(target, c))) return false;
  if (minShould && minShould.conditions.filter((c) => checkCondition(target, c)).length < minShould.min_count) return false;
  return true;
}
