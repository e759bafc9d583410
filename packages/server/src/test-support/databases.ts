import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, describe } from 'node:test';
import pg from 'pg';
import { PortcullisError } from 'portcullis/errors';
import type { DatabaseTarget } from '../config/server-config.js';
import { describeFailure, reportUnavailableService } from './unavailable-service.js';

/**
 * Real databases for tests: every suite that touches SQL runs once per dialect. Each call makes
 * fresh, empty targets: a SQLite file in a new temporary directory and, when PostgreSQL answers at
 * `DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/test), a new uniquely named database
 * on that server. Unreachable PostgreSQL is skipped loudly, or fails the run under CI=true.
 *
 * Two shapes, pick one:
 *
 *   describeEachDatabase('users repository', (t) => {
 *     let app: AppDatabase;
 *     before(async () => { app = await openDatabase(t.target); });
 *     after(() => app.close());      // cleanup of t itself is already registered
 *     it('...', async () => { ... });
 *   });
 *
 *   const targets = await databaseTargets();   // e.g. to start a server per target
 *   try { ... } finally { await Promise.all(targets.map((t) => t.cleanup())); }
 *
 * Close every connection to a target before its cleanup runs (the PostgreSQL drop forces
 * remaining sessions off, so a leak does not block it, but the leaked pool will then error).
 */

export interface DatabaseTestTarget {
  readonly label: 'sqlite' | 'postgres';
  /** What `openDatabase` takes. */
  readonly target: DatabaseTarget;
  /** The same target as a DATABASE_URL value, for `loadConfig` and child processes. */
  readonly databaseUrl: string;
  /** Deletes the file or drops the database; idempotent. */
  cleanup(): Promise<void>;
}

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
const CONNECT_TIMEOUT_MS = 3000;
const NAME_PREFIX = 'portcullis_test_';
/** Databases left by a run that was killed before its cleanup are dropped once this old. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

function postgresAdminUrl(): string {
  const given = process.env.DATABASE_URL;
  return given !== undefined && /^postgres(ql)?:\/\//.test(given) ? given : DEFAULT_POSTGRES_URL;
}

function once(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= work());
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A connection dropped mid-test must fail the call, not crash the process as an unhandled event.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function sqliteTarget(): Promise<DatabaseTestTarget> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-test-'));
  const file = join(dir, 'portcullis.sqlite');
  return {
    label: 'sqlite',
    target: { kind: 'sqlite', file },
    databaseUrl: `sqlite:${file}`,
    cleanup: once(() => rm(dir, { recursive: true, force: true })),
  };
}

async function dropStaleDatabases(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [NAME_PREFIX]);
  for (const { datname } of rows) {
    const createdAt = parseInt(datname.slice(NAME_PREFIX.length).split('_')[0] ?? '', 36);
    if (Number.isFinite(createdAt) && Date.now() - createdAt > STALE_AFTER_MS) {
      await client.query(`drop database if exists ${client.escapeIdentifier(datname)} with (force)`).catch(() => undefined);
    }
  }
}

async function postgresTarget(): Promise<DatabaseTestTarget | undefined> {
  const adminUrl = postgresAdminUrl();
  // Our own name from [a-z0-9_]; it carries its creation time so stale ones can be recognised.
  const name = `${NAME_PREFIX}${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`;
  try {
    await withAdminClient(adminUrl, async (client) => {
      await dropStaleDatabases(client);
      await client.query(`create database ${client.escapeIdentifier(name)}`);
    });
  } catch (error) {
    reportUnavailableService('PostgreSQL', 'DATABASE_URL', adminUrl, describeFailure(error));
    return undefined;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    label: 'postgres',
    target: { kind: 'postgres', url: url.toString() },
    databaseUrl: url.toString(),
    cleanup: once(async () => {
      try {
        await withAdminClient(adminUrl, (client) => client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`));
      } catch (cause) {
        throw new PortcullisError('storage.unavailable', { detail: `could not drop test database ${name}`, cause });
      }
    }),
  };
}

/**
 * Fresh, empty database targets: SQLite always, PostgreSQL when reachable. The caller owns them and
 * must call each `cleanup()`. Throws `storage.unavailable` under CI=true when PostgreSQL is down.
 */
export async function databaseTargets(): Promise<DatabaseTestTarget[]> {
  const sqlite = await sqliteTarget();
  try {
    const postgres = await postgresTarget();
    return postgres === undefined ? [sqlite] : [sqlite, postgres];
  } catch (error) {
    await sqlite.cleanup();
    throw error;
  }
}

/**
 * Declares `describe(title)` with one nested `describe(label)` per database target, running `body`
 * inside each; every target is cleaned up after its block. `body` registers tests synchronously.
 */
export function describeEachDatabase(title: string, body: (target: DatabaseTestTarget) => void): void {
  describe(title, async () => {
    const targets = await databaseTargets();
    for (const target of targets) {
      describe(target.label, () => {
        body(target);
        // After hooks run in the order they are registered: this one goes last, so the body's own
        // (closing its servers and pools) run before the database is dropped.
        after(() => target.cleanup());
      });
    }
    // Shown as skipped in the summary, not silently absent.
    if (!targets.some((target) => target.label === 'postgres')) {
      describe('postgres', { skip: 'PostgreSQL is not reachable (see the warning above)' }, () => undefined);
    }
  });
}
