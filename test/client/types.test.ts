/**
 * The client loads no server module at run time. (Its types come from the server's schemas:
 * types-check.ts, checked by tsc, which `npm test` runs first.)
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const clientSources = 'packages/client/src';
const clientManifest = JSON.parse(readFileSync('packages/client/package.json', 'utf8')) as {
  main: string;
  bin: Record<string, string>;
  exports: Record<string, { types: string; default: string }>;
  dependencies: Record<string, string>;
};

test('client modules import each other, Node and their declared dependencies at run time (type imports of schemas are erased)', () => {
  const files = readdirSync(clientSources, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  assert.ok(files.includes(path.join('in-memoria', 'worker.ts')), 'the bridge is part of the client package');
  for (const file of files) {
    const source = readFileSync(path.join(clientSources, file), 'utf8');
    for (const match of source.matchAll(/^(import|export)(?! type)[^;]*?from '([^']+)'/gms)) {
      const specifier = match[2]!;
      const allowed = /^\.\.?\/[\w/-]+\.js$/.test(specifier) || specifier.startsWith('node:') || specifier in clientManifest.dependencies;
      assert.ok(allowed, `${file}: runtime import of ${specifier}`);
      if (specifier.startsWith('.')) assert.ok(!path.normalize(path.join(path.dirname(file), specifier)).startsWith('..'), `${file}: ${specifier} leaves the package`);
    }
  }
});

test('the client package: its exports and bin are builds of its sources, and it depends on nothing of the server', () => {
  const toSource = (built: string) => built.replace(/^\.?\/?dist\/packages\/client\//, 'packages/client/').replace(/\.js$/, '.ts');
  for (const entry of [clientManifest.main, clientManifest.exports['.']!.default, clientManifest.exports['./in-memoria']!.default, clientManifest.bin['in-memoria-remote']!]) {
    assert.ok(existsSync(toSource(entry)), `${entry} is built from ${toSource(entry)}`);
  }
  assert.deepEqual(Object.keys(clientManifest.dependencies).sort(), ['synckit', 'typebox']);
  const server = JSON.parse(readFileSync('package.json', 'utf8')) as { workspaces: string[]; exports: Record<string, unknown> };
  assert.deepEqual(server.workspaces, ['packages/client']);
  assert.equal(server.exports['./client'], undefined, 'the client is its own package now');
});
