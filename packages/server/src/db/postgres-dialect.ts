import pg from 'pg';
import { PostgresDialect } from 'kysely';
import { PortcullisError } from 'portcullis/errors';

/**
 * PostgreSQL through a bounded pg Pool: a fixed ceiling on connections so several instances
 * cannot exhaust the server's max_connections, and a connect timeout so an unreachable database
 * fails a request instead of hanging it. The URL is never put in an error: it may hold a password.
 */

export interface PostgresSettings {
  readonly url: string;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  /** Called when a pooled connection dies; pg drops it and reconnects on the next query. */
  readonly onBackgroundError: (error: Error) => void;
}

/** Creates the pool (no connection is made until the first query) and the Kysely dialect over it. */
export function createPostgresDialect({ url, poolSize, connectTimeoutMs, onBackgroundError }: PostgresSettings): PostgresDialect {
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'portcullis',
    });
  } catch (cause) {
    throw new PortcullisError('storage.unavailable', { detail: 'cannot configure the PostgreSQL pool from DATABASE_URL', cause });
  }
  // Without a listener, an idle client's error (server restart, network cut) crashes the process.
  pool.on('error', onBackgroundError);
  // The pool listens only while a client is idle: one that dies mid-query (a reset socket) emits
  // 'error' on the client itself. The query fails with it anyway; unheard, it would crash us.
  pool.on('connect', (client) => client.on('error', onBackgroundError));
  return new PostgresDialect({ pool });
}
