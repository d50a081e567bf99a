/**
 * The client's types come from the server's schemas (checked by tsc, which
 * `npm test` runs first), and the client loads no server module at run time.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Concept, EntityInput, EntityListQuery, EntityName, IntelligenceInput, Pattern, Project, WorkSessionItem } from '../../packages/client/src/index.js';

test('request and response types follow the entity definitions', () => {
  const names: EntityName[] = ['concepts', 'entry-points', 'key-directories', 'work-sessions', 'architecture-decisions', 'shared-patterns'];
  // @ts-expect-error not an entity of the registry
  const unknownEntity: EntityName = 'concept';
  const concept: Concept = { id: 'c', conceptName: 'A', conceptType: 'class', confidenceScore: 0.5, createdAt: '', updatedAt: '' };
  // @ts-expect-error conceptName is always present on a stored concept
  const withoutName: Concept = { id: 'c', conceptType: 'class', confidenceScore: 0.5, createdAt: '', updatedAt: '' };
  // @ts-expect-error frequency is an integer field: a number, not a string
  const badFrequency: Partial<Pattern> = { frequency: '3' };
  const input: EntityInput<'concepts'> = { conceptName: 'A', conceptType: 'class', filePath: null };
  // @ts-expect-error a PUT body carries the required fields
  const missingRequired: EntityInput<'concepts'> = { conceptName: 'A' };
  const query: EntityListQuery<'patterns'> = { patternType: 'naming', limit: 10, sort: '-frequency' };
  // @ts-expect-error patterns cannot be filtered by confidence
  const badFilter: EntityListQuery<'patterns'> = { confidence: 1 };
  const project: Project = { projectId: 'p', createdAt: '', updatedAt: '', languagesDetected: ['ts'] };
  const session: WorkSessionItem = { id: 's', sessionStart: '', lastUpdated: '' };
  // @ts-expect-error the intelligence replace takes only learned sections
  const badSection: IntelligenceInput = { insights: [] };
  const values = [names, unknownEntity, concept, withoutName, badFrequency, input, missingRequired, query, badFilter, project, session, badSection];
  assert.equal(values.length, 12);
});

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
