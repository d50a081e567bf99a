/**
 * Vectors as text: the float32 components' bytes, little-endian, in standard padded base64 (what
 * OpenAI's `encoding_format: "base64"` answers, and what backups hold). A vector of 384 travels as
 * 2,048 characters that parse as one string, where a JSON array of the same numbers is ~3,000
 * characters of digits to parse and print again. Imports nothing but Node, so the client can ship it.
 */

/** The vector's Euclidean length. An indexed loop: a typed array's reduce and for-of are 5-10x slower. */
export function vectorNorm(vector: Float32Array): number {
  let sumOfSquares = 0;
  for (let index = 0; index < vector.length; index++) sumOfSquares += vector[index]! * vector[index]!;
  return Math.sqrt(sumOfSquares);
}

/** Every platform Node supports for this service (x64, arm64) is little-endian: the bytes are copied as they are. */
export function encodeVector(vector: Float32Array | readonly number[]): string {
  const floats = vector instanceof Float32Array ? vector : Float32Array.from(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

/**
 * The float32 values `encoded` holds, or null unless it is exactly their encoding: Node's decoder
 * skips characters outside the alphabet and a tail short of 4 bytes would be dropped, so the text is
 * encoded back and compared (native work, ~1 µs for 384 values) rather than trusted.
 */
export function decodeVector(encoded: string): Float32Array | null {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length % 4 !== 0 || bytes.toString('base64') !== encoded) return null;
  // Copied into a fresh buffer: a Float32Array needs 4-byte alignment that Buffer's pool does not promise.
  return new Float32Array(new Uint8Array(bytes).buffer);
}

/** The vector as a JSON array. A plain loop: `Array.from` on a typed array walks its iterator, ten times slower. */
export function vectorToArray(vector: Float32Array): number[] {
  const values = new Array<number>(vector.length);
  for (let index = 0; index < vector.length; index++) values[index] = vector[index]!;
  return values;
}

/** Exact powers of ten: every integer power up to 1e22 is a double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_unused, exponent) => 10 ** exponent);

/**
 * The vector as a JSON array of numbers that print with at most 9 significant digits and read back, as
 * float32, to the same values: 9 digits always identify a float32, where its exact value as a double
 * prints with up to 17 (`0.012345679` instead of `0.012345678918063641`). A batch of 100 x 384 is then
 * ~520 KB of JSON instead of ~800 KB, which is printed, copied and sent, and which the receiver (Qdrant)
 * parses: ~35% less of each. Rounding `x * 10^k` to an integer and dividing by the exact `10^k` gives the
 * double nearest that decimal, so it prints as it. Values too large or too small for an exact power
 * (beyond 1e9 or below 1e-14, rare in an embedding) keep their exact value.
 */
export function vectorToCompactArray(vector: Float32Array): number[] {
  const values = new Array<number>(vector.length);
  for (let index = 0; index < vector.length; index++) {
    const x = vector[index]!;
    const k = x === 0 ? -1 : 8 - Math.floor(Math.log10(Math.abs(x)));
    values[index] = k >= 0 && k < POWERS_OF_TEN.length ? Math.round(x * POWERS_OF_TEN[k]!) / POWERS_OF_TEN[k]! : x;
  }
  return values;
}
