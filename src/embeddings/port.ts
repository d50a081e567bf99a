/** The embedder port: text in, unit-length vectors out. */
export interface Embedder {
  readonly provider: 'openai' | 'local';
  readonly model: string;
  readonly dimensions: number;
  /**
   * One vector per text, in order. Throws an AppError (see src/errors.ts) on provider failure.
   * `scope` is the project the texts belong to: a cache keeps each project's texts apart (providers ignore it).
   */
  embed(texts: string[], scope?: string): Promise<Float32Array[]>;
}
