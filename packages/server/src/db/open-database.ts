import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, type Dialect } from 'kysely';
import { PortcullisError } from 'portcullis/errors';
import type { DatabaseTarget } from '../config/server-config.js';
import type { Database } from './schema.js';
import { createPostgresDialect } from './postgres-dialect.js';
import { createSqliteDialect, type SqliteConnection } from './sqlite-dialect.js';

/**
 * One entry point from a configured target to a ready Kysely instance, whichever the dialect, plus
 * the two things the server needs around it: a bounded health probe for /ready and a close for
 * graceful shutdown. Opening checks the database answers, so a bad target fails at start-up.
 */

export interface AppDatabase {
  readonly db: Kysely<Database>;
  readonly kind: 'sqlite' | 'postgres';
  /**
   * SQLite only: the better-sqlite3 connection under `db`, for work that must run as synchronous
   * statements (the audit trail's append: cached prepared statements, no per-batch compile). Use
   * it only while holding Kysely's connection (`db.connection().execute(...)`): Kysely serialises
   * the one connection with a mutex, and a statement run beside it could land inside another
   * caller's open transaction and be rolled back with it.
   */
  readonly sqlite?: BetterSqlite3.Database;
  /** Runs `select 1`; throws `storage.unavailable` if the database does not answer in time. */
  ping(): Promise<void>;
  /**
   * Releases the connection or pool; idempotent. Later queries and pings fail. On PostgreSQL it
   * waits for checked-out connections to come back, so bound it with the shutdown timeout.
   */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL pool ceiling. Default 10. */
  readonly poolSize?: number;
  /** PostgreSQL connection timeout. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** Longest a ping may take before it counts as a failure. Default 2000 ms. */
  readonly pingTimeoutMs?: number;
  /** SQLite lock wait. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Receives errors of PostgreSQL connections that die, idle or mid-query (log them); ignored by default. */
  readonly onBackgroundError?: (error: Error) => void;
}

const DEFAULTS = { poolSize: 10, connectTimeoutMs: 5000, pingTimeoutMs: 2000, busyTimeoutMs: 5000 } as const;

async function answersWithin(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PortcullisError('storage.unavailable', { detail: `the database did not answer within ${timeoutMs} ms` })),
      timeoutMs,
    );
  });
  try {
    await Promise.race([work, timeout]);
  } catch (cause) {
    if (cause instanceof PortcullisError) throw cause;
    // No driver message in the detail: /ready may show it, and it can name hosts or files.
    throw new PortcullisError('storage.unavailable', { detail: 'the database is unreachable', cause });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens the configured database and checks that it answers. Throws `storage.unavailable` when it
 * cannot be opened or reached.
 *
 * @example
 * const database = await openDatabase(config.database);
 * await migrateToLatest(database.db);
 * // ... on shutdown:
 * await database.close();
 */
export async function openDatabase(target: DatabaseTarget, options: OpenDatabaseOptions = {}): Promise<AppDatabase> {
  const settings = {
    poolSize: options.poolSize ?? DEFAULTS.poolSize,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    pingTimeoutMs: options.pingTimeoutMs ?? DEFAULTS.pingTimeoutMs,
    busyTimeoutMs: options.busyTimeoutMs ?? DEFAULTS.busyTimeoutMs,
  };
  let sqlite: SqliteConnection | undefined;
  let dialect: Dialect;
  if (target.kind === 'sqlite') {
    sqlite = createSqliteDialect({ file: target.file, busyTimeoutMs: settings.busyTimeoutMs });
    dialect = sqlite.dialect;
  } else {
    dialect = createPostgresDialect({
      url: target.url,
      poolSize: settings.poolSize,
      connectTimeoutMs: settings.connectTimeoutMs,
      onBackgroundError: options.onBackgroundError ?? (() => undefined),
    });
  }
  const db = new Kysely<Database>({ dialect });

  let closing: Promise<void> | undefined;
  const database: AppDatabase = {
    db,
    kind: target.kind,
    ...(sqlite === undefined ? {} : { sqlite: sqlite.database }),
    async ping() {
      if (closing !== undefined) throw new PortcullisError('storage.unavailable', { detail: 'the database has been closed' });
      await answersWithin(db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute(), settings.pingTimeoutMs);
    },
    close() {
      closing ??= db.destroy();
      return closing;
    },
  };

  try {
    // The first ping may include connecting, so it gets the connect timeout as well.
    await answersWithin(db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute(), settings.connectTimeoutMs + settings.pingTimeoutMs);
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
  return database;
}
