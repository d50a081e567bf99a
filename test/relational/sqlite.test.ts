/** The relational contract on SQLite (a real database file per run). */
import { runRelationalContract } from '../contracts/relational.js';
import { startTestService } from '../support/app.js';

runRelationalContract('sqlite', () => startTestService());
