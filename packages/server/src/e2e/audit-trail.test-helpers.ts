import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Selectable } from 'kysely';
import type { AppDatabase } from '../db/open-database.js';
import type { AuditEventsTable } from '../db/schema.js';
import type { TestServer } from '../test-support/test-server.js';

/**
 * Shared by the audit end-to-end suites (audit-*.test.ts): fixed server secrets (the CLI must
 * derive the same chain key as the server that wrote the trail), reading the trail straight from
 * the database after the server flushed its queue, and `audit verify` run as its own process, the
 * way an operator runs it.
 */

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI_ENTRY = 'packages/server/src/cli/main.ts';

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

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run cli -- audit verify` against `databaseUrl`, with the server's secrets. */
export function runAuditVerify(databaseUrl: string, secrets: Record<string, string>, extraArgs: readonly string[] = []): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', NODE_ENV: 'development', DATABASE_URL: databaseUrl, ...secrets };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=portcullis-source', '--import', 'tsx', CLI_ENTRY, 'audit', 'verify', ...extraArgs], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
