/**
 * The client's types come from the server's schemas (checked by tsc, which
 * `npm test` runs first), and the client loads no server module at run time.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Concept, EntityInput, EntityListQuery, EntityName, IntelligenceInput, Pattern, Project, WorkSessionItem } from '../../src/client/index.js';

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

test('client modules import only each other at run time (type imports of schemas are erased)', () => {
  const dir = 'src/client';
  for (const file of readdirSync(dir)) {
    const source = readFileSync(path.join(dir, file), 'utf8');
    for (const match of source.matchAll(/^(import|export)(?! type)[^;]*?from '([^']+)'/gms)) {
      assert.match(match[2]!, /^\.\/[\w-]+\.js$/, `${file}: runtime import of ${match[2]}`);
    }
  }
});

test('package.json exports ./client from the build of src/client/index.ts, and keeps the main entry', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { main: string; exports: Record<string, { types: string; default: string }> };
  assert.deepEqual(manifest.exports['./client'], { types: './dist/client/index.d.ts', default: './dist/client/index.js' });
  assert.equal(manifest.exports['.']!.default, `./${manifest.main}`);
  assert.ok(existsSync('src/client/index.ts') && existsSync(manifest.main.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')));
});
