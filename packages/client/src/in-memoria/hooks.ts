/**
 * Node module customization hooks (registered by register.ts): when In-Memoria
 * imports its storage modules (`<in-memoria>/dist/storage/sqlite-db.js` and
 * `vector-db.js`), load the bridge's stand-ins instead. In-Memoria's files are
 * never edited; any other module resolves as usual.
 */
import { readFileSync } from 'node:fs';

const STORAGE_MODULE = /\/dist\/storage\/(sqlite-db|vector-db)\.js$/;
/** In-Memoria's version by package.json URL, or null for a package that is not In-Memoria. */
const versions = new Map<string, string | null>();

function inMemoriaVersion(packageJson: URL): string | null {
  const key = packageJson.href;
  if (!versions.has(key)) {
    let version: string | null = null;
    try {
      const manifest = JSON.parse(readFileSync(packageJson, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'in-memoria') version = manifest.version ?? '';
    } catch {
      // No package.json there: not In-Memoria's dist.
    }
    versions.set(key, version);
  }
  return versions.get(key)!;
}

interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: unknown) => Promise<ResolveResult>;

export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<ResolveResult> {
  const resolved = await nextResolve(specifier, context);
  const match = resolved.url.startsWith('file:') ? STORAGE_MODULE.exec(new URL(resolved.url).pathname) : null;
  if (!match) return resolved;
  const version = inMemoriaVersion(new URL('../../package.json', resolved.url));
  if (version === null) return resolved;
  const standIn = new URL(`./${match[1]}.js`, import.meta.url);
  standIn.searchParams.set('in-memoria', version);
  return { url: standIn.href, format: 'module', shortCircuit: true };
}
