import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/errors.js';
import { compileFilter, isEmptyFilter, validateFilter } from '../../src/vectors/filter.js';
import type { Filter, Metadata } from '../../src/vectors/port.js';

const rejects = (filter: unknown, ...mentions: string[]): void => {
  assert.throws(
    () => compileFilter(filter as Filter),
    (error: unknown) => {
      assert.ok(isAppError(error));
      assert.equal(error.code, 'INVALID_FILTER');
      assert.equal(error.statusCode, 400);
      for (const mention of mentions) assert.ok(error.message.includes(mention), `"${error.message}" should mention ${mention}`);
      return true;
    },
  );
};

const matches = (filter: Filter, metadata: Metadata): boolean => compileFilter(filter)(metadata);

describe('filter validation', () => {
  it('names the field and operator of an unknown operator', () => rejects({ language: { like: 'ts' } }, '`language`', '`like`'));
  it('rejects an empty operator object', () => rejects({ language: {} }, '`language`', 'empty'));
  it('rejects wrong operand types', () => {
    rejects({ size: { gt: 'yesterday' } }, '`size`', '`gt`');
    rejects({ size: { gt: true } }, '`size`', '`gt`');
    rejects({ size: { lte: null } }, '`size`', '`lte`');
    rejects({ size: { gt: Number.NaN } }, '`size`', '`gt`');
    rejects({ tag: { in: 'a' } }, '`tag`', '`in`');
    rejects({ tag: { nin: [{}] } }, '`tag`', '`nin`');
    rejects({ tag: { ne: ['a'] } }, '`tag`', '`ne`');
    rejects({ size: { gt: 1, lt: '2024-01-01T00:00:00Z' } }, '`size`', 'mix');
  });
  it('rejects an array or object as a plain value, and a non-object filter', () => {
    rejects({ tag: ['a', 'b'] }, '`tag`', 'in');
    rejects({ tag: { nested: { deep: 1 } } }, '`tag`', '`nested`');
    rejects(['a'], 'object');
    rejects('language = ts', 'object');
  });
  it('accepts every operator with good operands', () => {
    validateFilter({
      a: 'x',
      b: 1,
      c: true,
      d: null,
      e: { in: ['x', 1, false, null] },
      f: { nin: [] },
      g: { gt: 1, lte: 2 },
      h: { ne: 'y' },
      i: { gte: '2024-01-01T00:00:00Z' },
    });
    assert.ok(isEmptyFilter(undefined));
    assert.ok(isEmptyFilter({}));
    assert.ok(!isEmptyFilter({ a: 1 }));
  });
});

describe('filter semantics (Qdrant-compatible)', () => {
  it('equality is type-strict', () => {
    assert.equal(matches({ n: 1 }, { n: 1 }), true);
    assert.equal(matches({ n: 1 }, { n: '1' }), false);
    assert.equal(matches({ n: '1' }, { n: 1 }), false);
    assert.equal(matches({ b: true }, { b: 1 }), false);
    assert.equal(matches({ z: null }, { z: null }), true);
    assert.equal(matches({ z: null }, {}), false);
  });
  it('matches array fields when any element matches', () => {
    assert.equal(matches({ tags: 'a' }, { tags: ['b', 'a'] }), true);
    assert.equal(matches({ tags: 'c' }, { tags: ['b', 'a'] }), false);
    assert.equal(matches({ tags: { in: ['c', 'a'] } }, { tags: ['b', 'a'] }), true);
    assert.equal(matches({ tags: { nin: ['c', 'a'] } }, { tags: ['b', 'a'] }), false);
    assert.equal(matches({ tags: { nin: ['c'] } }, { tags: ['b', 'a'] }), true);
    assert.equal(matches({ tags: { ne: 'a' } }, { tags: ['b', 'a'] }), false);
    assert.equal(matches({ n: { gt: 5 } }, { n: [1, 9] }), true);
    assert.equal(matches({ n: { gt: 2, lt: 5 } }, { n: [1, 9] }), false, 'one element must satisfy every bound');
  });
  it('a missing key fails eq, in and ranges, and passes ne and nin', () => {
    assert.equal(matches({ x: 'a' }, {}), false);
    assert.equal(matches({ x: { in: ['a'] } }, {}), false);
    assert.equal(matches({ x: { gte: 0 } }, {}), false);
    assert.equal(matches({ x: { ne: 'a' } }, {}), true);
    assert.equal(matches({ x: { nin: ['a'] } }, {}), true);
  });
  it('compares numbers with numeric bounds and instants with date-time bounds', () => {
    assert.equal(matches({ n: { gte: 2, lte: 2 } }, { n: 2 }), true);
    assert.equal(matches({ n: { gt: 2 } }, { n: 2 }), false);
    assert.equal(matches({ n: { lt: 10 } }, { n: '5' }), false, 'a numeric string is not a number');
    assert.equal(matches({ at: { gt: '2024-01-01T00:00:00Z' } }, { at: '2024-01-01T01:00:00+00:00' }), true);
    assert.equal(matches({ at: { gt: '2024-01-01T00:00:00Z' } }, { at: '2024-01-01T01:00:00+02:00' }), false, 'compared as instants, not strings');
    assert.equal(matches({ at: { gt: '2024-01-01T00:00:00Z' } }, { at: 'not a date' }), false);
    assert.equal(matches({ at: { gt: '2024-01-01T00:00:00Z' } }, { at: 1e15 }), false);
  });
  it('ANDs fields and operators, and treats an empty filter as match-all', () => {
    const filter: Filter = { language: 'ts', size: { gte: 10, ne: 20 } };
    assert.equal(matches(filter, { language: 'ts', size: 15 }), true);
    assert.equal(matches(filter, { language: 'ts', size: 20 }), false);
    assert.equal(matches(filter, { language: 'py', size: 15 }), false);
    assert.equal(matches({}, {}), true);
    assert.equal(compileFilter(undefined)({ a: 1 }), true);
  });
  it('does not treat inherited properties as present', () => {
    assert.equal(matches({ toString: { ne: 'x' } }, {}), true);
    assert.equal(matches({ constructor: { in: ['Object'] } }, {}), false);
  });
});
