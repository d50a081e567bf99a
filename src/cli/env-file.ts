/**
 * A provider configuration for `migrate --from/--to`: a file of `KEY=VALUE`
 * lines in the service's environment variables (the format of
 * env.production.example), read on its own, so the two sides never mix.
 * Node's own dotenv parser reads it (quotes, `export`, comments); a line that
 * is not a setting at all is refused first, by number, since that parser
 * would fold it into the next key.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from '../config.js';

export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(error as Error).message}`);
  }
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#') && !/^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line)) {
      throw new ConfigError(`${file} line ${index + 1} is not KEY=VALUE`);
    }
  });
  return parseEnv(text) as Record<string, string>;
}
