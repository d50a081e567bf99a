/**
 * The exact Qdrant conditions each operator of the shared filter language
 * becomes (their meaning is tested end to end in qdrant-store.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../src/errors.js';
import { translateFilter } from '../../src/vectors/qdrant-filter.js';
import { validateFilter } from '../../src/vectors/filter.js';
import type { Filter } from '../../src/vectors/port.js';

test('equality: match.value, is_null, and a closed range for non-integers', () => {
  assert.deepEqual(translateFilter({ language: 'ts', n: 3, ok: true, gone: null, ratio: 0.5 }), [
    { key: 'metadata.language', match: { value: 'ts' } },
    { key: 'metadata.n', match: { value: 3 } },
    { key: 'metadata.ok', match: { value: true } },
    { is_null: { key: 'metadata.gone' } },
    { key: 'metadata.ratio', range: { gte: 0.5, lte: 0.5 } },
  ]);
});

test('in / nin / ne: match.any grouped by type, must_not for the negations', () => {
  assert.deepEqual(translateFilter({ f: { in: ['a', 'b', 'a', 1, 2, true, null] } }), [
    {
      should: [
        { key: 'metadata.f', match: { any: ['a', 'b'] } },
        { key: 'metadata.f', match: { any: [1, 2] } },
        { key: 'metadata.f', match: { value: true } },
        { is_null: { key: 'metadata.f' } },
      ],
    },
  ]);
  assert.deepEqual(translateFilter({ f: { in: ['a'] } }), [{ key: 'metadata.f', match: { any: ['a'] } }]);
  assert.deepEqual(translateFilter({ f: { in: [] } }), [{ should: [] }]);
  assert.deepEqual(translateFilter({ f: { nin: ['a'] } }), [{ must_not: [{ key: 'metadata.f', match: { any: ['a'] } }] }]);
  assert.deepEqual(translateFilter({ f: { ne: 'a' } }), [{ must_not: [{ key: 'metadata.f', match: { value: 'a' } }] }]);
});

test('ranges: numbers, and ISO date-times sent as RFC 3339 UTC', () => {
  assert.deepEqual(translateFilter({ n: { gt: 1, lte: 5 } }), [{ key: 'metadata.n', range: { gt: 1, lte: 5 } }]);
  assert.deepEqual(translateFilter({ t: { gte: '2024-03-01' } }), [{ key: 'metadata.t', range: { gte: '2024-03-01T00:00:00.000Z' } }]);
  assert.deepEqual(
    translateFilter({ t: { lt: '2024-03-01T10:30' } }),
    [{ key: 'metadata.t', range: { lt: '2024-03-01T10:30:00.000Z' } }],
    'no zone: UTC, as Qdrant reads it',
  );
  assert.deepEqual(translateFilter({ t: { lt: '2024-03-01T10:30:00+02:00' } }), [{ key: 'metadata.t', range: { lt: '2024-03-01T08:30:00.000Z' } }]);
  assert.deepEqual(translateFilter({ n: { gte: 1, ne: 3 } }), [
    { must_not: [{ key: 'metadata.n', match: { value: 3 } }] },
    { key: 'metadata.n', range: { gte: 1 } },
  ]);
});

test('field names outside [A-Za-z0-9_-] are quoted in the key path', () => {
  assert.deepEqual(translateFilter({ 'a.b': 1, 'c d': 'x', ünï: true, 'x-y_z9': 2 }), [
    { key: 'metadata."a.b"', match: { value: 1 } },
    { key: 'metadata."c d"', match: { value: 'x' } },
    { key: 'metadata."ünï"', match: { value: true } },
    { key: 'metadata.x-y_z9', match: { value: 2 } },
  ]);
});

test('no filter and {} add no condition', () => {
  assert.deepEqual(translateFilter(undefined), []);
  assert.deepEqual(translateFilter({}), []);
});

test('what the shared language refuses never reaches the translator; what only Qdrant cannot express is INVALID_FILTER, never dropped', () => {
  const refused: unknown[] = [
    { f: { like: 'a%' } },
    { f: {} },
    { f: [1] },
    { f: { in: 'a' } },
    { f: { in: [[1]] } },
    { f: { ne: [1] } },
    { f: { gt: 'yesterday' } },
    { f: { gt: 1, lt: '2024-01-01' } },
    { f: { gt: null } },
    { f: Number.NaN },
    { '': 1 },
    'not an object',
  ];
  const isInvalidFilter = (error: unknown) => error instanceof AppError && error.code === 'INVALID_FILTER';
  for (const filter of refused) assert.throws(() => validateFilter(filter as Filter), isInvalidFilter, JSON.stringify(filter));
  const quoted = { 'say "hi"': 1 };
  validateFilter(quoted);
  assert.throws(() => translateFilter(quoted), isInvalidFilter);
});
