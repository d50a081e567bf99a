/**
 * The Qdrant adapter sends vectors as numbers of at most 9 significant digits
 * (vectorToCompactArray): each must read back, as the float32 Qdrant stores, to
 * exactly the value the service holds, whatever its magnitude.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vectorToArray, vectorToCompactArray } from '../../src/shared/vector-encoding.js';
import { seededRandom } from '../support/random.js';

/** Significant digits of a number as JavaScript prints it (`-1.25e-7` has 3). */
function significantDigits(value: number): number {
  const mantissa = String(Math.abs(value)).split('e')[0]!.replace('.', '');
  return mantissa.replace(/^0+/, '').length;
}

function assertReadsBack(vector: Float32Array): number[] {
  const compact = vectorToCompactArray(vector);
  assert.equal(compact.length, vector.length);
  for (const [index, value] of compact.entries()) {
    // Through JSON, as Qdrant receives it, then to float32, as Qdrant keeps it.
    const received = Math.fround(JSON.parse(JSON.stringify(value)) as number);
    assert.ok(Object.is(received, vector[index]) || (received === 0 && vector[index] === 0), `${vector[index]} was sent as ${value}`);
  }
  return compact;
}

test('every finite float32 reads back exactly: random bit patterns across all magnitudes', () => {
  const random = seededRandom(20261202);
  const bits = new Uint32Array(400_000);
  // [0, 1) back to the generator's 32-bit integers (exact: a multiple of 2^-32 times 2^32).
  for (let index = 0; index < bits.length; index++) bits[index] = random() * 2 ** 32;
  const all = new Float32Array(bits.buffer).filter(Number.isFinite);
  assert.ok(all.length > 390_000);
  assertReadsBack(all);
});

test('edge values read back exactly: zeros, extremes, subnormals, powers of ten and their neighbours', () => {
  const edges = [0, -0, 1, -1, 3.4028234663852886e38, -3.4028234663852886e38, 1.1754943508222875e-38, 1.401298464324817e-45, 1e9, 1e-14];
  for (let exponent = -20; exponent <= 12; exponent++) {
    const power = Math.fround(10 ** exponent);
    const bits = new Uint32Array(Float32Array.of(power).buffer)[0]!;
    // The float32 nearest 10^k and its neighbours on either side, both signs.
    const around = new Float32Array(new Uint32Array([bits - 1, bits, bits + 1]).buffer);
    edges.push(...around, ...around.map((x) => -x));
  }
  assertReadsBack(Float32Array.from(edges));
});

test('embedding-range values print with at most 9 significant digits, a third shorter than their exact values', () => {
  const random = seededRandom(7);
  const vector = Float32Array.from({ length: 38_400 }, () => (random() - 0.5) * 0.2);
  const compact = assertReadsBack(vector);
  for (const value of compact) assert.ok(significantDigits(value) <= 9, `${value} has more than 9 significant digits`);
  const exactLength = JSON.stringify(vectorToArray(vector)).length;
  const compactLength = JSON.stringify(compact).length;
  assert.ok(compactLength < 0.7 * exactLength, `compact JSON ${compactLength} bytes against ${exactLength}`);
});
