/**
 * Input rules shared by every embedder, so that `local` and `openai` reject
 * the same texts: a blank text has no meaning to embed (OpenAI answers 400,
 * a hashing embedder would return a zero vector that cannot be normalised).
 */
import { AppError } from '../errors.js';
import { vectorNorm } from '../shared/vector-encoding.js';

export function assertEmbeddableTexts(texts: readonly string[]): void {
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i];
    if (typeof text !== 'string') throw new AppError('VALIDATION_FAILED', `text ${i} to embed is not a string`);
    if (text.trim() === '') throw new AppError('VALIDATION_FAILED', `text ${i} to embed is empty`);
  }
}

/** Scales a vector to unit length in place; a zero vector is left as it is. */
export function normaliseInPlace(vector: Float32Array): Float32Array {
  const norm = vectorNorm(vector);
  if (norm === 0) return vector;
  const scale = 1 / norm;
  for (let i = 0; i < vector.length; i++) vector[i]! *= scale;
  return vector;
}
