#!/usr/bin/env node
/**
 * `in-memoria-remote <in-memoria arguments>`: runs the In-Memoria installed
 * beside this package (the same node_modules, or the `in-memoria` on PATH),
 * unmodified, in this process, with its storage served by the storage service
 * (IN_MEMORIA_STORAGE_URL, _API_KEY, _PROJECT, _ROOT). Every argument passes
 * through: `in-memoria-remote server` is the MCP server over stdio,
 * `in-memoria-remote learn .` learns into the service.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface Manifest {
  name?: string;
  bin?: string | Record<string, string>;
}

/** In-Memoria's package directory, or undefined. */
function findInMemoria(): string | undefined {
  try {
    return path.dirname(createRequire(import.meta.url).resolve('in-memoria/package.json'));
  } catch {
    // Not beside this package: look on PATH.
  }
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(directory, 'in-memoria');
    if (!directory || !existsSync(candidate)) continue;
    for (let dir = path.dirname(realpathSync(candidate)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const manifest = path.join(dir, 'package.json');
      if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as Manifest).name === 'in-memoria') return dir;
    }
  }
  return undefined;
}

const packageDirectory = findInMemoria();
if (!packageDirectory) {
  process.stderr.write('in-memoria-remote: In-Memoria is not installed beside it nor on PATH: npm install in-memoria\n');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(path.join(packageDirectory, 'package.json'), 'utf8')) as Manifest;
const entry = path.join(packageDirectory, typeof manifest.bin === 'string' ? manifest.bin : (manifest.bin?.['in-memoria'] ?? 'dist/index.js'));

// Settings, the service check and the hooks first; then In-Memoria, as if it had been started itself.
await import('./register.js');
process.argv = [process.argv[0]!, entry, ...process.argv.slice(2)];
await import(pathToFileURL(entry).href);
