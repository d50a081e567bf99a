/**
 * Starts the service: config -> services -> app -> listen, and drains on
 * SIGTERM/SIGINT (stop accepting, finish in-flight requests, close stores).
 */
import pino, { type Logger } from 'pino';
import { buildApp } from './app.js';
import { MIN_PRODUCTION_KEY_LENGTH, loadConfig, redactConfig, type Config } from './config.js';
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

/**
 * Secure defaults: without keys the API is open, so it is only ever served on loopback: HOST is
 * forced to 127.0.0.1, with a warning. What production forbids (no keys when declared or beyond
 * loopback, short keys) loadConfig has refused already, for `serve`.
 */
export function listenHost(config: Config, log: { warn(message: string): void }): string {
  if (config.apiKeys.length > 0) {
    const short = config.apiKeys.filter((spec) => spec.key.length < MIN_PRODUCTION_KEY_LENGTH).length;
    if (short > 0) log.warn(`${short} API key(s) shorter than ${MIN_PRODUCTION_KEY_LENGTH} characters: use long random keys (openssl rand -hex 32)`);
    return config.server.host;
  }
  log.warn(
    `no API keys configured (STORAGE_API_KEYS): the API is open, so it listens on 127.0.0.1 only${config.server.host === '127.0.0.1' ? '' : ` (HOST=${config.server.host} ignored)`}`,
  );
  return '127.0.0.1';
}

export async function startServer(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env, undefined, { serving: true });
  const logger = createLogger(config);
  const host = listenHost(config, { warn: (message) => logger.warn(message) });
  logger.info(
    { config: redactConfig(config) },
    `starting in-memoria-storage: environment ${config.environment}, mode ${config.mode}, relational ${config.relational.provider}, vectors ${config.vectors.provider}`,
  );
  const services = await createServices(config, logger);
  const app = await buildApp({ services, logger });

  let closing: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    closing ??= (async () => {
      // app.close() stops accepting, answers 503 to new requests on open connections, and waits for the
      // in-flight ones; services.close() lets ingest jobs finish their current batch, then closes the pools.
      logger.info({ signal }, 'shutting down: draining in-flight requests');
      await app.close();
      await services.close();
      logger.info('stopped');
      logger.flush();
    })();
    return closing;
  };
  // Installed before listening: a SIGTERM that arrives while the port opens still drains and exits 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      shutdown(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          logger.flush();
          process.exit(1);
        },
      );
    });
  }
  await app.listen({ host, port: config.server.port });
  logger.flush();
  return { app, services, config, shutdown };
}
