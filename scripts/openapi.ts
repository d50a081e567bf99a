/**
 * Writes openapi.yaml from the route schemas (`npm run openapi`).
 * `--check` exits 1 when the committed file is stale instead of writing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderOpenApi } from '../src/openapi.js';

const target = new URL('../openapi.yaml', import.meta.url);
const fresh = await renderOpenApi();
if (process.argv.includes('--check')) {
  const current = readFileSync(target, 'utf8');
  if (current !== fresh) {
    process.stderr.write('openapi.yaml is stale: run `npm run openapi`\n');
    process.exit(1);
  }
} else {
  writeFileSync(target, fresh);
  process.stdout.write('wrote openapi.yaml\n');
}
