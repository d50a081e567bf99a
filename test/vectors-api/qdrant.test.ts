/** The vector API over HTTP on the Qdrant provider (hybrid mode: SQLite + Qdrant), against the Qdrant 1.19 test server. */
import assert from 'node:assert/strict';
import { contractEnv, runVectorApiContract } from '../contracts/vector-api.js';
import { startTestService } from '../support/app.js';
import { startQdrantTestServer } from '../support/qdrant-test-server.js';

runVectorApiContract('qdrant', async () => {
  const qdrant = await startQdrantTestServer({ apiKey: 'vector-api-key' });
  const service = await startTestService({
    env: {
      ...contractEnv,
      IN_MEMORIA_STORAGE_MODE: 'hybrid',
      RELATIONAL_PROVIDER: 'sqlite',
      VECTOR_PROVIDER: 'qdrant',
      QDRANT_URL: qdrant.url,
      QDRANT_API_KEY: 'vector-api-key',
      QDRANT_TIMEOUT: '2000',
      QDRANT_RETRY_ATTEMPTS: '1',
    },
  });
  return {
    app: service.app,
    async destroy() {
      await service.destroy();
      assert.deepEqual(
        qdrant.invalid().map((r) => `${r.method} ${r.path}: ${r.errors.join('; ')}`),
        [],
        'every request the client sent is valid against the Qdrant spec',
      );
      await qdrant.stop();
    },
  };
});
