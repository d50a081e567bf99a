/** The relational contract on a real PostgreSQL server that this file starts and removes. */
import { runRelationalContract } from '../contracts/relational.js';
import { startTestService } from '../support/app.js';
import { postgresEnv, startPostgres } from '../support/postgres.js';

runRelationalContract('postgres', async () => {
  const server = await startPostgres();
  try {
    const url = await server.createDatabase('contract');
    const service = await startTestService({ env: postgresEnv(url) });
    return {
      app: service.app,
      async destroy() {
        await service.destroy();
        server.destroy();
      },
    };
  } catch (error) {
    server.destroy();
    throw error;
  }
});
