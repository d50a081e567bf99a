/** The subset of a pino/Fastify logger the embedders use, so any of those can be passed in. */
export interface EmbeddingLog {
  warn(details: Record<string, unknown>, message: string): void;
}
