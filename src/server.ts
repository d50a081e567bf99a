/**
 * Starts the service: config -> services -> app -> listen, and drains on
 * SIGTERM/SIGINT (stop accepting, finish in-flight requests, close stores).
 */
import pino, { type Logger } from 'pino';
import { buildApp } from './app.js';
import { loadConfig, redactConfig, type Config } from './config.js';
import { createServices } from './services.js';

/**
 * Paths pino blanks in every log line where a credential could travel. Explicit paths only:
 * wildcards (`*.password`) doubled the cost of every request line. The configuration is
 * logged only through redactConfig(), which removes its secrets itself.
 */
export const redactPaths = [
  'req.headers.authorization',
  'headers.authorization',
  'err.headers.authorization',
  'err.headers["api-key"]',
  'err.config.headers.authorization',
  'err.config.headers["api-key"]',
];

export function createLogger(config: Config): Logger {
  const options = { level: config.server.logLevel, redact: { paths: redactPaths, censor: '[redacted]' } };
  // Pretty lines for a person at a terminal; JSON lines for everything else.
  if (process.stdout.isTTY) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  // Buffered writes: a write(2) per request line would cost a third of the request rate.
  // Flushed every second, after start-up, and at shutdown, so a quiet service's lines still appear.
  const logger = pino(options, pino.destination({ dest: 1, sync: false, minLength: 4096 }));
  setInterval(() => logger.flush(), 1000).unref();
  return logger;
}

export async function startServer(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  const logger = createLogger(config);
  logger.info({ config: redactConfig(config) }, `starting in-memoria-storage: environment ${config.environment}, mode ${config.mode}, relational ${config.relational.provider}, vectors ${config.vectors.provider}`);
  const services = await createServices(config, logger);
  const app = await buildApp({ services, logger });
  await app.listen({ host: config.server.host, port: config.server.port });
  logger.flush();

  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      logger.info({ signal }, 'shutting down: draining in-flight requests');
      await app.close();
      await services.close();
      logger.info('stopped');
      logger.flush();
    })();
    return closing;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM').then(() => process.exit(0)));
  process.once('SIGINT', () => void shutdown('SIGINT').then(() => process.exit(0)));
  return { app, services, config, shutdown };
}
