import type { Log } from '../log.js';

/** The part of the service's logger the embedders use. */
export type EmbeddingLog = Pick<Log, 'warn'>;
