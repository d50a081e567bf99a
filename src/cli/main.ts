#!/usr/bin/env node
/**
 * The `in-memoria-storage` command. Data goes to stdout, logs to stderr.
 * A configuration error is one line on stderr and exit code 2.
 */
import { ConfigError } from '../config.js';
import { startServer } from '../server.js';

const usage = `usage: in-memoria-storage <command>

commands:
  serve     start the HTTP service (configured by the environment; see README)`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'serve':
      await startServer();
      return -1;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${usage}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n${usage}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`in-memoria-storage: configuration error: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`in-memoria-storage: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
