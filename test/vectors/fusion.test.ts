import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RRF_K, fuseReciprocalRank } from '../../src/vectors/fusion.js';
import type { SearchHit } from '../../src/vectors/port.js';

const hits = (...ids: string[]): SearchHit[] => ids.map((id, i) => ({ id, score: 100 - i, metadata: { from: id } }));

describe('reciprocal-rank fusion', () => {
  it('scores sum(1 / (60 + rank)) and ranks documents found by both lists first', () => {
    const fused = fuseReciprocalRank([hits('a', 'b', 'c'), hits('c', 'd', 'a')], { limit: 10 });
    assert.equal(RRF_K, 60);
    assert.deepEqual(
      fused.map((hit) => hit.id),
      ['a', 'c', 'b', 'd'],
    );
    assert.ok(Math.abs(fused[0]!.score - (1 / 61 + 1 / 63)) < 1e-12);
    assert.ok(Math.abs(fused[1]!.score - (1 / 63 + 1 / 61)) < 1e-12);
    assert.ok(Math.abs(fused[2]!.score - 1 / 62) < 1e-12);
    assert.deepEqual(fused[0]!.metadata, { from: 'a' });
  });
  it('ignores the original scores, which live on unrelated scales', () => {
    const cosine = [
      { id: 'x', score: 0.9, metadata: {} },
      { id: 'y', score: 0.1, metadata: {} },
    ];
    const bm25 = [
      { id: 'y', score: 42, metadata: {} },
      { id: 'x', score: 41, metadata: {} },
    ];
    const fused = fuseReciprocalRank([cosine, bm25], { limit: 2 });
    assert.equal(fused[0]!.score, fused[1]!.score);
    assert.deepEqual(
      fused.map((hit) => hit.id),
      ['x', 'y'],
      'ties keep first-appearance order',
    );
  });
  it('honours limit and k, counts a repeated id once per list, and handles empty input', () => {
    assert.deepEqual(
      fuseReciprocalRank([hits('a', 'b', 'c')], { limit: 2 }).map((hit) => hit.id),
      ['a', 'b'],
    );
    assert.ok(Math.abs(fuseReciprocalRank([hits('a')], { limit: 1, k: 0 })[0]!.score - 1) < 1e-12);
    assert.ok(Math.abs(fuseReciprocalRank([hits('a', 'a')], { limit: 5 })[0]!.score - 1 / 61) < 1e-12);
    assert.deepEqual(fuseReciprocalRank([], { limit: 5 }), []);
    assert.deepEqual(fuseReciprocalRank([hits('a')], { limit: 0 }), []);
  });
});
