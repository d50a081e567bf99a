/** The relational contract on a real PostgreSQL server that this file starts and removes. */
import { runRelationalContract } from '../contracts/relational.js';
import { startTestService } from '../support/app.js';
import { postgresEnv, startPostgres } from '../support/postgres.js';

runRelationalContract('postgres', async () => {
  const server = await startPostgres();
  try {
    // A database whose default collation sorts 'auth' before 'Billing': the schema's own collation must decide, as on SQLite.
    const url = await server.createDatabase('contract', { icuLocale: 'en-US' });
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
