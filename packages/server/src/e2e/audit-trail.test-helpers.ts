import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { AppDatabase } from '../db/open-database.js';
import type { AuditEventsTable } from '../db/schema.js';
import type { TestServer } from '../test-support/test-server.js';
import { runCli, type CliRun } from '../test-support/cli-process.js';

/**
 * Shared by the audit end-to-end suites (audit-*.test.ts): fixed server secrets (the CLI must
 * derive the same chain key as the server that wrote the trail), reading the trail straight from
 * the database after the server flushed its queue, and `audit verify` run as its own process, the
 * way an operator runs it.
 */

export function auditSecrets(): Record<string, string> {
  return {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    APP_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
}

export type AuditRow = Selectable<AuditEventsTable>;

/** The trail's rows (optionally of one event), in chain order, after the server wrote its queue. */
export async function trailRows(server: TestServer, database: AppDatabase, event?: string): Promise<AuditRow[]> {
  await server.app.flushSecurityEvents();
  let query = database.db.selectFrom('audit_events').selectAll().orderBy('seq');
  if (event !== undefined) query = query.where('event', '=', event);
  return query.execute();
}

export function fieldsOf(row: AuditRow | undefined): Record<string, unknown> {
  return row === undefined ? {} : (JSON.parse(row.fields) as Record<string, unknown>);
}

/** `npm run cli -- audit verify` against `databaseUrl`, with the server's secrets. */
export function runAuditVerify(databaseUrl: string, secrets: Record<string, string>, extraArgs: readonly string[] = []): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', NODE_ENV: 'development', DATABASE_URL: databaseUrl, ...secrets };
  return runCli(['audit', 'verify', ...extraArgs], env, 60_000);
}
