import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CollectionMemory, TopK, normalize, quantizeVector } from '../../src/vectors/embedded/memory.js';
import { SubsetCache, scanSubset } from '../../src/vectors/embedded/subsets.js';

function memoryWith(count: number, dimensions: number): CollectionMemory {
  const memory = new CollectionMemory(dimensions);
  for (let i = 0; i < count; i++) {
    const vector = normalize(Float32Array.from({ length: dimensions }, (_, j) => Math.sin(i * 7.3 + j * 1.1)));
    memory.append(i + 1, `d${i}`, { even: i % 2 === 0 }, vector);
  }
  return memory;
}

describe('packed filtered subsets', () => {
  it('quantises each vector by its own largest component', () => {
    assert.deepEqual([...quantizeVector(new Float32Array([0.25, -0.5, 0.125]))], [64, -127, 32]);
    assert.deepEqual([...quantizeVector(new Float32Array([0, 0]))], [0, 0]);
  });

  it('packs a filter on its second sighting and answers like an exact scan of the matches', () => {
    const memory = memoryWith(2000, 16);
    const cache = new SubsetCache(1 << 20);
    const evens = () => memory.matching((m) => m.even === true);
    assert.equal(cache.get('even', memory, evens), null, 'first sighting: not packed');
    const subset = cache.get('even', memory, evens);
    assert.ok(subset);
    assert.equal(subset.slots.length, 1000);
    assert.equal(
      cache.get('even', memory, () => assert.fail('must come from the cache')),
      subset,
    );

    const query = normalize(Float32Array.from({ length: 16 }, (_, j) => Math.cos(j)));
    const exact = new TopK(10);
    memory.scan(0, memory.size, query, exact, (m) => m.even === true);
    const candidates = scanSubset(subset, memory, query, 80);
    assert.ok(candidates.every((slot) => memory.metadataOf(slot).even === true));
    const expected = exact.sorted().map((hit) => hit.slot);
    assert.ok(
      expected.every((slot) => candidates.includes(slot)),
      'the exact top 10 are among the int8 candidates',
    );
  });

  it('repacks after the collection changes and keeps within its byte budget', () => {
    const memory = memoryWith(500, 8);
    const cache = new SubsetCache(3000); // one 250 x 8 subset is 2,000 + 1,000 bytes
    const evens = () => memory.matching((m) => m.even === true);
    cache.get('even', memory, evens);
    const before = cache.get('even', memory, evens)!;
    memory.remove('d0');
    const after = cache.get('even', memory, evens)!;
    assert.notEqual(after, before);
    assert.equal(after.slots.length, 249);

    const odds = () => memory.matching((m) => m.even === false);
    cache.get('odd', memory, odds);
    cache.get('odd', memory, odds); // packing this evicts 'even'
    assert.equal(cache.get('even', memory, evens), null, 'evicted: seen afresh');
    assert.equal(cache.get('even', memory, evens)?.slots.length, 249);
  });
});
