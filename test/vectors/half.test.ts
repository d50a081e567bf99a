/**
 * The embedded store keeps its in-memory vectors as f16 (src/vectors/embedded/half.ts): the conversion
 * must round to nearest like IEEE 754, and stay within the error bound the store's re-scoring relies on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HALF_SCORE_ERROR, HALF_VALUES, encodeHalves, toHalf } from '../../src/vectors/embedded/half.js';
import { seededRandom } from '../support/random.js';

describe('f16 vectors', () => {
  it('rounds to the nearest f16 like IEEE 754, ties to even', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [65504, 0x7bff], // the largest f16
      [65520, 0x7c00], // halfway to the next binade: rounds up to infinity
      [1e6, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001], // the smallest subnormal
      [2 ** -26, 0x0000], // below half of it
      [6.097555e-5, 0x03ff], // the largest subnormal
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next f16: to the even one
      [1 + 3 * 2 ** -11, 0x3c02],
    ];
    for (const [value, bits] of cases) assert.equal(toHalf(value), bits, `toHalf(${value})`);
    assert.ok(Number.isNaN(HALF_VALUES[toHalf(NaN)]!));
  });

  it('encodes a vector like toHalf, value by value, from a view inside a larger array', () => {
    const random = seededRandom(9);
    const values = [0, -0, 1, -1, 0.1, 65504, 65520, 1e6, -Infinity, NaN, 2 ** -24, 2 ** -26, 6.1e-5, 6.2e-5, 1 + 2 ** -11];
    for (let i = 0; i < 2000; i++) values.push((random() - 0.5) * 10 ** Math.floor(random() * 12 - 8));
    const all = Float32Array.from([7, 7, ...values]);
    const source = all.subarray(2);
    const target = new Uint16Array(values.length + 3);
    encodeHalves(source, target, 3);
    source.forEach((value, i) => assert.equal(target[3 + i], toHalf(value), `encodeHalves at ${value}`));
  });

  it('reads back every finite f16 exactly, and moves a unit vector cosine by less than HALF_SCORE_ERROR', () => {
    for (let bits = 0; bits < 0x7c00; bits++) {
      assert.equal(toHalf(HALF_VALUES[bits]!), bits);
      assert.equal(toHalf(HALF_VALUES[bits | 0x8000]!), bits | 0x8000);
    }
    const random = seededRandom(5);
    for (const dimensions of [3, 384, 4096]) {
      let worst = 0;
      for (let trial = 0; trial < 50; trial++) {
        // Two unit vectors alike (the worst case: every component's rounding adds up) and one random query.
        const vector = Float32Array.from({ length: dimensions }, () => random() - 0.5);
        const norm = Math.hypot(...vector);
        const unit = vector.map((x) => x / norm);
        const other = Float32Array.from({ length: dimensions }, () => random() - 0.5);
        const otherNorm = Math.hypot(...other);
        for (const query of [unit, other.map((x) => x / otherNorm)]) {
          let exact = 0;
          let rounded = 0;
          for (let i = 0; i < dimensions; i++) {
            exact += unit[i]! * query[i]!;
            rounded += HALF_VALUES[toHalf(unit[i]!)]! * query[i]!;
          }
          worst = Math.max(worst, Math.abs(exact - rounded));
        }
      }
      assert.ok(worst > 0 && worst < HALF_SCORE_ERROR, `${dimensions} dimensions: worst change ${worst}`);
    }
  });
});
