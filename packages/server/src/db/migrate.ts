import { Migrator, SqliteAdapter, sql, type Kysely, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { PortcullisError } from 'portcullis/errors';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

/**
 * Brings the schema up to date at start-up (and from the CLI). Kysely's Migrator records what ran;
 * on PostgreSQL it holds an advisory lock, so instances starting together apply each migration
 * once. Its SQLite lock is a no-op (it assumes one process), so there the whole run happens inside
 * BEGIN IMMEDIATE: a second process (the CLI beside a starting server) waits for the write lock,
 * then finds the work done, instead of failing on a stale read.
 */

const inCodeMigrations: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...migrations }),
};

function migrateSqlite(db: Kysely<Database>): Promise<MigrationResultSet> {
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    let outcome: MigrationResultSet;
    try {
      outcome = await new Migrator({ db: connection, provider: inCodeMigrations, disableTransactions: true }).migrateToLatest();
    } catch (error) {
      await sql`rollback`.execute(connection);
      throw error;
    }
    await (outcome.error === undefined ? sql`commit` : sql`rollback`).execute(connection);
    return outcome;
  });
}

/**
 * Applies every pending migration, in order. Running it again is a no-op. Throws
 * `storage.migration_failed` naming the migration that failed (the database error is the cause).
 *
 * @example
 * const database = await openDatabase(config.database);
 * await migrateToLatest(database.db);
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  let outcome: MigrationResultSet;
  try {
    outcome =
      db.getExecutor().adapter instanceof SqliteAdapter
        ? await migrateSqlite(db)
        : await new Migrator({ db, provider: inCodeMigrations }).migrateToLatest();
  } catch (error) {
    outcome = { error };
  }
  const { error, results } = outcome;
  if (error === undefined) return;
  const failed = results?.find((result) => result.status === 'Error');
  const reason = error instanceof Error ? error.message : String(error);
  throw new PortcullisError('storage.migration_failed', {
    detail:
      failed === undefined
        ? `database migrations could not run: ${reason}`
        : `database migration ${failed.migrationName} failed: ${reason}`,
    cause: error,
  });
}
