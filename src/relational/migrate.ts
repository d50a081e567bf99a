/**
 * Applies pending migrations, each in its own transaction together with its
 * row in the version table, so a crash never leaves a half-applied version.
 * Adapters wrap this in whatever lock keeps concurrent replicas apart.
 */
import { migrations, migrationsTable } from './migrations.js';
import { quoteIdent, type SqlClient } from './port.js';

const versionTable = quoteIdent(migrationsTable);

export async function currentSchemaVersion(db: SqlClient): Promise<number> {
  const [row] = await db.query<{ version: number | string | null }>(`SELECT MAX(version) AS version FROM ${versionTable}`);
  return Number(row?.version ?? 0);
}

/** Returns how many migrations were applied. */
export async function applyMigrations(db: SqlClient): Promise<number> {
  const { types } = db.dialect;
  await db.run(
    `CREATE TABLE IF NOT EXISTS ${versionTable} (version ${types.integer} NOT NULL PRIMARY KEY, name ${types.string} NOT NULL, applied_at ${types.timestamp} NOT NULL)`,
  );
  const current = await currentSchemaVersion(db);
  let applied = 0;
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    await db.transaction(async (tx) => {
      const statements = [...migration.statements(tx.dialect), ...(migration.dialectStatements?.[tx.dialect.name] ?? [])];
      for (const statement of statements) await tx.run(statement);
      await tx.run(`INSERT INTO ${versionTable} (version, name, applied_at) VALUES (?, ?, ${tx.dialect.timestampParameter})`, [
        migration.version,
        migration.name,
        tx.dialect.encodeTimestamp(new Date().toISOString()),
      ]);
    });
    applied++;
  }
  return applied;
}
