/** The one logger type: Fastify's (pino's). A module that logs takes it, or the methods of it it calls. */
import type { FastifyBaseLogger } from 'fastify';

export type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
