/** The embedder port: text in, unit-length vectors out. */
export interface Embedder {
  readonly provider: 'openai' | 'local';
  readonly model: string;
  readonly dimensions: number;
  /** One vector per text, in order. Throws an AppError (see src/errors.ts) on provider failure. */
  embed(texts: string[]): Promise<Float32Array[]>;
}
