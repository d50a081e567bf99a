/**
 * The client's types follow the entity definitions: checked by `tsc --noEmit`, which `npm test` runs
 * before any test (each @ts-expect-error fails the build when the line it marks compiles). Not a test
 * file: there is nothing to run, and an assertion here could not fail.
 */
import type {
  Concept,
  EntityInput,
  EntityListQuery,
  EntityName,
  IntelligenceInput,
  Pattern,
  Project,
  WorkSessionItem,
} from '../../packages/client/src/index.js';

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

export const typeChecks = [names, unknownEntity, concept, withoutName, badFrequency, input, missingRequired, query, badFilter, project, session, badSection];
