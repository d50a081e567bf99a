/**
 * Starts the service: config -> services -> app -> listen, and drains on
 * SIGTERM/SIGINT (stop accepting, finish in-flight requests, close stores).
 */
import pino, { type Logger } from 'pino';
import { buildApp } from './app.js';
import { loadConfig, redactConfig, type Config } from './config.js';
import { createServices } from './services.js';

/** Paths pino blanks in every log line, wherever a secret could appear. */
export const redactPaths = [
  'req.headers.authorization',
  'headers.authorization',
  '*.password',
  '*.apiKey',
  '*.openaiApiKey',
  '*.apiKeys',
  '*.connectionString',
];

export function createLogger(config: Config): Logger {
  return pino({
    level: config.server.logLevel,
    redact: { paths: redactPaths, censor: '[redacted]' },
    // Pretty lines for a person at a terminal; JSON lines for everything else.
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}

export async function startServer(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  const logger = createLogger(config);
  logger.info({ config: redactConfig(config) }, `starting in-memoria-storage: environment ${config.environment}, mode ${config.mode}, relational ${config.relational.provider}, vectors ${config.vectors.provider}`);
  const services = await createServices(config, logger);
  const app = await buildApp({ services, logger });
  await app.listen({ host: config.server.host, port: config.server.port });

  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      logger.info({ signal }, 'shutting down: draining in-flight requests');
      await app.close();
      await services.close();
      logger.info('stopped');
    })();
    return closing;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM').then(() => process.exit(0)));
  process.once('SIGINT', () => void shutdown('SIGINT').then(() => process.exit(0)));
  return { app, services, config, shutdown };
}
