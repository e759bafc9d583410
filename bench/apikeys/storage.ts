/**
 * The two real stores behind the cold (and warm) verifier: a SQLite file in WAL mode through
 * better-sqlite3, set up with the reference server's pragmas, and a PostgreSQL schema of its own
 * through a pg.Pool. The orchestrator creates and fills them once per run; each measuring process
 * opens them and looks keys up by hash with one prepared statement.
 */
import { readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { ApiKeyLookup } from 'portcullis/auth';
import {
  KEY_COLUMNS,
  SECRET_COLUMNS,
  createTablesSql,
  lookupByHashSql,
  storedApiKey,
  type KeyRecord,
  type LookupRow,
  type SecretRecord,
} from './records.ts';
import type { PostgresTarget } from './protocol.ts';

const CONNECT_TIMEOUT_MS = 5_000;
const INTEGER_COLUMNS: ReadonlySet<string> = new Set(['rate_limit', 'rate_window_seconds', 'quota_daily', 'quota_monthly']);
/** pg prepares a named statement once per connection and reuses it afterwards. */
const LOOKUP_STATEMENT = 'bench_apikeys_find_by_hash';

/** The reference server's connection set-up (packages/server/src/db/sqlite-dialect.ts). */
function configureSqlite(database: BetterSqlite3.Database): void {
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('synchronous = NORMAL');
}

export function createSqliteDatabase(path: string, keys: readonly KeyRecord[], secrets: readonly SecretRecord[]): void {
  const database = new BetterSqlite3(path);
  try {
    configureSqlite(database);
    for (const statement of createTablesSql('')) database.exec(statement);
    const insertKey = database.prepare(`INSERT INTO api_keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map((column) => `@${column}`).join(', ')})`);
    const insertSecret = database.prepare(`INSERT INTO api_key_secrets (${SECRET_COLUMNS.join(', ')}) VALUES (${SECRET_COLUMNS.map((column) => `@${column}`).join(', ')})`);
    database.transaction(() => {
      for (const key of keys) insertKey.run(key);
      for (const secret of secrets) insertSecret.run(secret);
    })();
    database.exec('ANALYZE');
    database.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    database.close();
  }
}

export interface SqliteLookup {
  lookup: ApiKeyLookup;
  journalMode: string;
  close(): void;
}

export function openSqliteLookup(path: string): SqliteLookup {
  const database = new BetterSqlite3(path, { fileMustExist: true, timeout: CONNECT_TIMEOUT_MS });
  configureSqlite(database);
  const statement = database.prepare<[string], LookupRow>(lookupByHashSql('', '?'));
  return {
    lookup: {
      async findByHash(keyHash) {
        const row = statement.get(keyHash);
        return row === undefined ? undefined : storedApiKey(row);
      },
    },
    journalMode: String(database.pragma('journal_mode', { simple: true })),
    close: () => database.close(),
  };
}

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable DATABASE_URL)';
  }
}

const quoted = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;
const prefixOf = (target: PostgresTarget): string => `${quoted(target.schema)}.`;

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'portcullis-bench-apikeys' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Null when PostgreSQL answers at `url`, otherwise why not. */
export async function probePostgres(url: string): Promise<string | null> {
  try {
    await withClient(url, (client) => client.query('SELECT 1'));
    return null;
  } catch (error) {
    return (error as Error).message || String(error);
  }
}

/** One INSERT of all rows: one array parameter per column, unnested server-side. */
async function insertAll(client: pg.Client, table: string, columns: readonly string[], rows: readonly object[]): Promise<void> {
  const types = columns.map((column) => (INTEGER_COLUMNS.has(column) ? 'int[]' : 'text[]'));
  const values = columns.map((column) => rows.map((row) => (row as Record<string, unknown>)[column] ?? null));
  await client.query(`INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${types.map((type, index) => `$${index + 1}::${type}`).join(', ')})`, values);
}

export async function createPostgresSchema(target: PostgresTarget, keys: readonly KeyRecord[], secrets: readonly SecretRecord[]): Promise<void> {
  await withClient(target.url, async (client) => {
    await client.query(`CREATE SCHEMA ${quoted(target.schema)}`);
    for (const statement of createTablesSql(prefixOf(target))) await client.query(statement);
    await insertAll(client, `${prefixOf(target)}api_keys`, KEY_COLUMNS, keys);
    await insertAll(client, `${prefixOf(target)}api_key_secrets`, SECRET_COLUMNS, secrets);
    await client.query(`ANALYZE ${prefixOf(target)}api_keys`);
    await client.query(`ANALYZE ${prefixOf(target)}api_key_secrets`);
  });
}

export async function dropPostgresSchema(target: PostgresTarget): Promise<void> {
  await withClient(target.url, (client) => client.query(`DROP SCHEMA IF EXISTS ${quoted(target.schema)} CASCADE`));
}

export interface PostgresLookup {
  lookup: ApiKeyLookup;
  /** Opens every connection of the pool and returns the pid of the backend serving each. */
  openAll(): Promise<number[]>;
  close(): Promise<void>;
}

export function openPostgresLookup(target: PostgresTarget, poolSize: number): PostgresLookup {
  // Idle connections are kept: a measurement must not pay for reconnecting halfway.
  const pool = new pg.Pool({
    connectionString: target.url,
    max: poolSize,
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'portcullis-bench-apikeys',
  });
  pool.on('error', (error) => console.error(`pg pool: ${error.message}`));
  const text = lookupByHashSql(prefixOf(target), '$1');
  return {
    lookup: {
      async findByHash(keyHash) {
        const result = await pool.query<LookupRow>({ name: LOOKUP_STATEMENT, text, values: [keyHash] });
        const row = result.rows[0];
        return row === undefined ? undefined : storedApiKey(row);
      },
    },
    async openAll() {
      const clients = await Promise.all(Array.from({ length: poolSize }, () => pool.connect()));
      try {
        return await Promise.all(clients.map(async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
      } finally {
        for (const client of clients) client.release();
      }
    },
    close: () => pool.end(),
  };
}

export function sqliteVersion(path: string): string {
  const database = new BetterSqlite3(path, { fileMustExist: true });
  try {
    return String(database.prepare('SELECT sqlite_version() AS version').pluck().get());
  } finally {
    database.close();
  }
}

export interface PostgresServer {
  version: string;
  /** The CPUs a backend may run on, from /proc when the server is on this machine; null otherwise. */
  backendCpusAllowed: string | null;
}

export async function describePostgres(url: string): Promise<PostgresServer> {
  return withClient(url, async (client) => {
    const row = (await client.query<{ version: string; pid: number }>("SELECT current_setting('server_version') AS version, pg_backend_pid() AS pid")).rows[0]!;
    let backendCpusAllowed: string | null = null;
    try {
      if (readFileSync(`/proc/${row.pid}/comm`, 'utf8').trim() === 'postgres') {
        backendCpusAllowed = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${row.pid}/status`, 'utf8'))?.[1] ?? null;
      }
    } catch {
      backendCpusAllowed = null;
    }
    return { version: row.version, backendCpusAllowed };
  });
}
