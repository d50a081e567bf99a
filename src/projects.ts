/**
 * What spans both halves of a project: its deletion. The relational and vector services each own
 * their stores; this asks both, in the order that makes a failure safe to retry.
 */
import { AppError } from './errors.js';
import type { RelationalService } from './relational/service.js';
import type { VectorService } from './vectors/service.js';

export interface ProjectsService {
  /** Deletes every row and vector of the project (and its cached embeddings); PROJECT_NOT_FOUND when it holds nothing. */
  delete(projectId: string): Promise<void>;
}

export function createProjectsService(relational: RelationalService, vectors: VectorService): ProjectsService {
  return {
    async delete(projectId) {
      // Vectors first: if their store is down the request fails with nothing deleted, and a retry finishes the job.
      const hadVectors = await vectors.deleteProject(projectId);
      const hadRows = await relational.deleteProject(projectId);
      if (!hadRows && !hadVectors) throw new AppError('PROJECT_NOT_FOUND', `project ${JSON.stringify(projectId)} not found`);
    },
  };
}
