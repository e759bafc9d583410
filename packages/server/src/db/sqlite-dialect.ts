import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import { PortcullisError } from 'portcullis/errors';

/**
 * The embedded default: one better-sqlite3 connection, set up for a server. WAL lets readers run
 * while a write commits; busy_timeout makes a second process (the CLI next to a running server)
 * wait for the lock instead of failing at once; foreign keys are off in SQLite unless asked for.
 */

export interface SqliteSettings {
  readonly file: string;
  /** How long a statement waits for another connection's write lock before failing. */
  readonly busyTimeoutMs: number;
}

export interface SqliteConnection {
  readonly dialect: SqliteDialect;
  /**
   * The one connection the dialect runs on. Only for code that holds Kysely's connection while it
   * uses it (inside `db.connection().execute`): see AppDatabase.sqlite.
   */
  readonly database: BetterSqlite3.Database;
}

/** Opens (creating if needed) the SQLite file and returns the Kysely dialect over it, with its connection. */
export function createSqliteDialect({ file, busyTimeoutMs }: SqliteSettings): SqliteConnection {
  let database: BetterSqlite3.Database;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // better-sqlite3's `timeout` is SQLite's busy_timeout.
    database = new BetterSqlite3(file, { timeout: busyTimeoutMs });
  } catch (cause) {
    throw new PortcullisError('storage.unavailable', {
      detail: `cannot open the SQLite database at ${file}: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause,
    });
  }
  try {
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    // In WAL mode NORMAL syncs at checkpoints, not on every commit: better-sqlite3 runs on the
    // event loop, so a per-commit fsync would stall every request behind the disk. A power cut
    // can lose the last commits; an application crash cannot.
    database.pragma('synchronous = NORMAL');
  } catch (cause) {
    database.close();
    throw new PortcullisError('storage.unavailable', {
      detail: `cannot configure the SQLite database at ${file} (is it a database file?)`,
      cause,
    });
  }
  return { dialect: new SqliteDialect({ database }), database };
}
