#!/usr/bin/env node
/**
 * The `in-memoria-storage` command. Data goes to stdout, logs to stderr.
 * A configuration error is one line on stderr and exit code 2.
 */
import { ConfigError } from '../config.js';
import { AppError } from '../errors.js';
import { startServer } from '../server.js';
import { exportCommand, importCommand, importInMemoriaCommand, migrateCommand } from './backup.js';

const usage = `usage: in-memoria-storage <command>

commands:
  serve                                     start the HTTP service (configured by the environment; see README)
  export --output FILE|- [--project P]...   write a backup (NDJSON) of every project, or of those named
  import --input FILE|- [--reembed]         read a backup back, idempotently
  migrate --from ENV_FILE --to ENV_FILE [--project P]... [--reembed]
                                            copy between two provider configurations, then verify counts and
                                            checksums (exit 1 when they differ)
  import-in-memoria --db FILE --project P [--embed [--collection NAME]]
                                            import an In-Memoria SQLite database (any schema version) as
                                            one project; --embed also embeds its concepts (collection
                                            "concepts" by default)

export, import and import-in-memoria use the stores the environment configures, like serve.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await startServer();
      return -1;
    case 'export':
      return exportCommand(rest, process.env);
    case 'import':
      return importCommand(rest, process.env);
    case 'migrate':
      return migrateCommand(rest);
    case 'import-in-memoria':
      return importInMemoriaCommand(rest, process.env);
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
    if (error instanceof AppError) {
      // An expected failure (a truncated backup, a dimension mismatch): its message says what to do.
      process.stderr.write(`in-memoria-storage: ${error.code}: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    if (String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`in-memoria-storage: ${(error as Error).message}\n${usage}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`in-memoria-storage: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
