/**
 * A provider configuration for `migrate --from/--to`: a file of `KEY=VALUE`
 * lines in the service's environment variables (the format of
 * env.production.example), read on its own, so the two sides never mix.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';

export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(error as Error).message}`);
  }
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new ConfigError(`${file} line ${index + 1} is not KEY=VALUE`);
    let value = match[2]!;
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    env[match[1]!] = value;
  });
  return env;
}
