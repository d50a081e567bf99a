/**
 * The part of a collection the HNSW index does not cover is scanned through int8 copies of its
 * runs of slots (usearch's SIMD kernel) and re-ranked with memory's vectors: the answers must be those
 * of the exact scan of memory, dead slots never answer, and only the runs the index does not cover whole keep a copy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CollectionMemory, PACKED_SLOTS, TopK, normalize } from '../../src/vectors/embedded/memory.js';

const D = 32;
const vectorOf = (i: number) => normalize(Float32Array.from({ length: D }, (_, j) => Math.sin(i * 7.3 + j * 1.1) + Math.cos(i * 0.37 * (j + 1))));

function exactTop(memory: CollectionMemory, from: number, query: Float32Array, limit: number) {
  const top = new TopK(limit);
  memory.scan(from, memory.size, query, top);
  return top.sorted();
}

function tailTop(memory: CollectionMemory, from: number, query: Float32Array, limit: number) {
  const top = new TopK(limit);
  memory.scanTail(from, query, top, limit * 4 + 40);
  return top.sorted();
}

function assertSameAnswers(memory: CollectionMemory, from: number) {
  for (let q = 0; q < 25; q++) {
    const query = normalize(Float32Array.from({ length: D }, (_, j) => Math.cos(q * 3.1 + j * 0.7)));
    const expected = exactTop(memory, from, query, 10);
    const actual = tailTop(memory, from, query, 10);
    assert.deepEqual(
      actual.map((hit) => memory.idOf(hit.slot)),
      expected.map((hit) => memory.idOf(hit.slot)),
      `query ${q} from slot ${from}`,
    );
    for (const [index, hit] of actual.entries()) {
      assert.ok(Math.abs(hit.score - expected[index]!.score) < 1e-6, 'scores are those the exact scan computes from memory');
    }
  }
}

describe('scanning what the index does not cover', () => {
  it('answers like the exact f32 scan, from any slot, with deleted and replaced documents never answering', () => {
    const memory = new CollectionMemory(D);
    for (let i = 0; i < 3000; i++) memory.append(i + 1, `d${i}`, {}, vectorOf(i));
    assert.equal(memory.packedBytes, PACKED_SLOTS * D, 'nothing indexed: the one run has its copy');
    assertSameAnswers(memory, 0);
    assertSameAnswers(memory, 1500);

    // The best match of a query, deleted, and another document replaced by a copy of it: neither old slot may answer.
    const query = vectorOf(123);
    assert.equal(memory.idOf(tailTop(memory, 0, query, 1)[0]!.slot), 'd123');
    memory.remove('d123');
    memory.append(3001, 'd7', {}, vectorOf(123));
    const hits = tailTop(memory, 0, query, 5);
    assert.equal(memory.idOf(hits[0]!.slot), 'd7', 'the replacement answers, at its new slot');
    assert.ok(hits.every((hit) => memory.isAlive(hit.slot)));
    assertSameAnswers(memory, 0);
  });

  it('keeps copies only of runs the index does not cover whole, and makes them again when the index goes', () => {
    const memory = new CollectionMemory(D);
    const n = 2 * PACKED_SLOTS + 3000;
    for (let i = 0; i < n; i++) memory.append(i + 1, `d${i}`, {}, vectorOf(i));
    assert.equal(memory.packedBytes, 3 * PACKED_SLOTS * D, 'nothing indexed: every run has its copy');
    memory.markIndexed(memory.seqOf(2 * PACKED_SLOTS - 1));
    assert.equal(memory.packedBytes, PACKED_SLOTS * D, 'runs 0 and 1 are covered and full: only run 2 keeps a copy');
    assertSameAnswers(memory, memory.firstSlotAfter(PACKED_SLOTS + 1500));
    assertSameAnswers(memory, 0);
    memory.append(n + 1, 'late', {}, vectorOf(99999));
    assert.equal(memory.packedBytes, PACKED_SLOTS * D, 'a new document lands in the run that has its copy');

    memory.markIndexed(0);
    assert.equal(memory.packedBytes, 3 * PACKED_SLOTS * D);
    assertSameAnswers(memory, 0);
  });

  it('finds the best of the tail however many better documents before it, or dead ones, share its run', () => {
    // The tail's best (near the query) sits between a thousand nearer documents before the tail and a
    // thousand nearer dead ones: the int8 kernel ranks all of those first, and none of them may answer.
    const query = vectorOf(5);
    const near = (i: number, noise: number) => normalize(Float32Array.from(query, (x, j) => x + noise * Math.sin(i * 1.7 + j)));
    const memory = new CollectionMemory(D);
    let seq = 0;
    for (let i = 0; i < 1000; i++) memory.append(++seq, `before${i}`, {}, near(i, 0.001));
    const from = memory.size;
    for (let i = 0; i < 20; i++) memory.append(++seq, `best${i}`, {}, near(i, 0.02));
    for (let i = 0; i < 1000; i++) memory.append(++seq, `dead${i}`, {}, near(i, 0.001));
    for (let i = 0; i < 3000; i++) memory.append(++seq, `far${i}`, {}, vectorOf(1000 + i));
    for (let i = 0; i < 1000; i++) memory.remove(`dead${i}`);
    const expected = exactTop(memory, from, query, 10);
    assert.ok(expected.every((hit) => memory.idOf(hit.slot).startsWith('best')));
    assert.deepEqual(
      tailTop(memory, from, query, 10).map((hit) => memory.idOf(hit.slot)),
      expected.map((hit) => memory.idOf(hit.slot)),
    );
    assertSameAnswers(memory, from);
    assert.equal(memory.scanTail(from, query, new TopK(10), 80), 20 + 3000, 'it says how many live slots it scanned');
    assert.equal(memory.scan(from, memory.size, query, new TopK(10)), 20 + 3000, 'the exact scan says the same');
  });

  it('a collection loaded under an index packs only what the index does not cover', () => {
    const memory = new CollectionMemory(D, PACKED_SLOTS);
    for (let i = 0; i < PACKED_SLOTS + 3000; i++) memory.append(i + 1, `d${i}`, {}, vectorOf(i));
    assert.equal(memory.packedBytes, PACKED_SLOTS * D);
    assertSameAnswers(memory, memory.firstSlotAfter(PACKED_SLOTS));
  });
});
