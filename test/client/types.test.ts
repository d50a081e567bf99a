/**
 * The client loads no server module at run time, only the dependency-free helpers of src/shared/
 * (retries, the NDJSON line splitter), which it ships in its build. (Its types come from the
 * server's schemas: types-check.ts, checked by tsc, which `npm test` runs first.)
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const clientSources = 'packages/client/src';
const sharedSources = 'src/shared';
const clientManifest = JSON.parse(readFileSync('packages/client/package.json', 'utf8')) as {
  main: string;
  bin: Record<string, string>;
  exports: Record<string, { types: string; default: string }>;
  dependencies: Record<string, string>;
};

/** The runtime (not type-only) import specifiers of a TypeScript source. */
const runtimeImports = (source: string) => [...source.matchAll(/^(import|export)(?! type)[^;]*?from '([^']+)'/gms)].map((match) => match[2]!);

test('client modules import each other, src/shared, Node and their declared dependencies at run time (type imports of schemas are erased)', () => {
  const files = readdirSync(clientSources, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  assert.ok(files.includes(path.join('in-memoria', 'worker.ts')), 'the bridge is part of the client package');
  const sharedUsed = new Set<string>();
  for (const file of files) {
    for (const specifier of runtimeImports(readFileSync(path.join(clientSources, file), 'utf8'))) {
      const allowed = /^(\.\.?\/)+[\w/-]+\.js$/.test(specifier) || specifier.startsWith('node:') || specifier in clientManifest.dependencies;
      assert.ok(allowed, `${file}: runtime import of ${specifier}`);
      if (!specifier.startsWith('.')) continue;
      const target = path.normalize(path.join(clientSources, path.dirname(file), specifier));
      if (target.startsWith(`${sharedSources}${path.sep}`)) sharedUsed.add(target);
      else assert.ok(target.startsWith(`${clientSources}${path.sep}`), `${file}: ${specifier} leaves the package for a server module`);
    }
  }
  assert.deepEqual([...sharedUsed].sort(), ['src/shared/lines.js', 'src/shared/retry.js', 'src/shared/vector-encoding.js']);
});

test('src/shared, which the client ships, imports nothing but Node', () => {
  for (const file of readdirSync(sharedSources).filter((name) => name.endsWith('.ts'))) {
    for (const specifier of runtimeImports(readFileSync(path.join(sharedSources, file), 'utf8'))) {
      assert.ok(specifier.startsWith('node:'), `${file}: runtime import of ${specifier}`);
    }
  }
});

test('the client package: its exports and bin are builds of its sources, and it depends on nothing of the server', () => {
  const toSource = (built: string) => built.replace(/^\.?\/?dist\/packages\/client\//, 'packages/client/').replace(/\.js$/, '.ts');
  for (const entry of [
    clientManifest.main,
    clientManifest.exports['.']!.default,
    clientManifest.exports['./in-memoria']!.default,
    clientManifest.bin['in-memoria-remote']!,
  ]) {
    assert.ok(existsSync(toSource(entry)), `${entry} is built from ${toSource(entry)}`);
  }
  assert.deepEqual(Object.keys(clientManifest.dependencies).sort(), ['synckit', 'typebox']);
  const server = JSON.parse(readFileSync('package.json', 'utf8')) as { workspaces: string[]; exports: Record<string, unknown> };
  assert.deepEqual(server.workspaces, ['packages/client']);
  assert.equal(server.exports['./client'], undefined, 'the client is its own package now');
});
