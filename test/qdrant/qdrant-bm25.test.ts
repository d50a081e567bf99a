/** The BM25 sparse vectors the Qdrant adapter sends for keyword search. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { documentSparseVector, querySparseVector, termIndex, tokenize } from '../../src/vectors/qdrant-bm25.js';

test('tokens: letters and digits, case and accents folded, the rest separates', () => {
  assert.deepEqual(tokenize('getUserName(id_2) — Café RÉSUMÉ x86-64'), ['getusername', 'id', '2', 'cafe', 'resume', 'x86', '64']);
  assert.deepEqual(tokenize(' ,;! '), []);
});

test('term ids are 32-bit FNV-1a', () => {
  assert.equal(termIndex(''), 0x811c9dc5);
  assert.equal(termIndex('a'), 0xe40c292c);
  assert.equal(termIndex('foobar'), 0xbf9cf968);
});

test('document weights saturate with term frequency and shrink with length', () => {
  const doc = documentSparseVector('fox fox fox dog')!;
  const weight = (term: string) => doc.values[doc.indices.indexOf(termIndex(term))]!;
  const norm = 1.2 * (1 - 0.75 + (0.75 * 4) / 256);
  assert.ok(Math.abs(weight('fox') - (3 * 2.2) / (3 + norm)) < 1e-12);
  assert.ok(Math.abs(weight('dog') - 2.2 / (1 + norm)) < 1e-12);
  assert.deepEqual(
    [...doc.indices].sort((a, b) => a - b),
    doc.indices,
    'indices sorted and unique',
  );
  assert.equal(documentSparseVector('...'), null);
});

test('query: each distinct term once, weight 1', () => {
  const query = querySparseVector('Fox fox DOG')!;
  assert.equal(query.indices.length, 2);
  assert.deepEqual(query.values, [1, 1]);
  assert.equal(querySparseVector(''), null);
});
