/**
 * The part of a collection the HNSW index does not cover is scanned through int8 copies of its
 * blocks (usearch's SIMD kernel) and re-ranked with f32: the answers must be those of the exact
 * f32 scan, dead slots never answer, and only the blocks the index does not cover whole keep a copy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CollectionMemory, TopK, normalize } from '../../src/vectors/embedded/memory.js';

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
    for (const [index, hit] of actual.entries()) assert.ok(Math.abs(hit.score - expected[index]!.score) < 1e-6, 'scores are exact f32 cosines');
  }
}

describe('scanning what the index does not cover', () => {
  it('answers like the exact f32 scan, from any slot, with deleted and replaced documents never answering', () => {
    const memory = new CollectionMemory(D);
    for (let i = 0; i < 3000; i++) memory.append(i + 1, `d${i}`, {}, vectorOf(i));
    assert.equal(memory.packedBytes, 3 * 1024 * D, 'nothing indexed: every block has its copy');
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

  it('keeps copies only of blocks the index does not cover whole, and makes them again when the index goes', () => {
    const memory = new CollectionMemory(D);
    for (let i = 0; i < 3000; i++) memory.append(i + 1, `d${i}`, {}, vectorOf(i));
    memory.markIndexed(memory.seqOf(2047));
    assert.equal(memory.packedBytes, 1024 * D, 'blocks 0 and 1 are covered and full: only block 2 keeps a copy');
    assertSameAnswers(memory, memory.firstSlotAfter(1500));
    assertSameAnswers(memory, 0);
    memory.append(3001, 'late', {}, vectorOf(9999));
    assert.equal(memory.packedBytes, 1024 * D, 'a new document lands in the block that has its copy');

    memory.markIndexed(0);
    assert.equal(memory.packedBytes, 3 * 1024 * D);
    assertSameAnswers(memory, 0);
  });

  it('a collection loaded under an index packs only what the index does not cover', () => {
    const memory = new CollectionMemory(D, 2048);
    for (let i = 0; i < 3000; i++) memory.append(i + 1, `d${i}`, {}, vectorOf(i));
    assert.equal(memory.packedBytes, 1024 * D);
    assertSameAnswers(memory, memory.firstSlotAfter(2048));
  });
});
