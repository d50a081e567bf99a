/** The one size check of the vector layer, made by each store where it resolves the collection (see port.ts). */
import { AppError } from '../errors.js';

/** A vector must have its collection's dimensions. */
export function assertDimensions(collection: { name: string; dimensions: number }, vector: Float32Array, what: string): void {
  if (vector.length !== collection.dimensions) {
    throw new AppError(
      'DIMENSION_MISMATCH',
      `${what} has ${vector.length} dimensions but collection ${JSON.stringify(collection.name)} holds ${collection.dimensions}`,
    );
  }
}
