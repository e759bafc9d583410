import type { Kysely } from 'kysely';
import type { LockoutRecord } from 'portcullis/auth';
import type { Database } from './schema.js';

/** Login lockout records (A2), keyed by normalised email whether or not an account has it. */

export async function loadLockout(db: Kysely<Database>, account: string): Promise<LockoutRecord | undefined> {
  const row = await db.selectFrom('login_lockouts').selectAll().where('account', '=', account).executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    failures: row.failures,
    lockedUntil: row.locked_until === null ? undefined : Date.parse(row.locked_until),
    lastFailureAt: Date.parse(row.last_failure_at),
  };
}

export async function saveLockout(db: Kysely<Database>, account: string, record: LockoutRecord): Promise<void> {
  const values = {
    failures: record.failures,
    locked_until: record.lockedUntil === undefined ? null : new Date(record.lockedUntil).toISOString(),
    last_failure_at: new Date(record.lastFailureAt).toISOString(),
  };
  await db
    .insertInto('login_lockouts')
    .values({ account, ...values })
    .onConflict((conflict) => conflict.column('account').doUpdateSet(values))
    .execute();
}

/** Clears a lockout (successful login, password reset, admin unlock). */
export async function clearLockout(db: Kysely<Database>, account: string): Promise<void> {
  await db.deleteFrom('login_lockouts').where('account', '=', account).execute();
}
