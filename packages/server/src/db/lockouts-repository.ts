import { sql, type Kysely } from 'kysely';
import { lockoutAfterFailure, type LockoutPolicy, type LockoutRecord } from 'portcullis/auth';
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

/**
 * Counts one failed login and returns the record after it. The count is one atomic upsert, so
 * concurrent failures are each counted (a load-then-save would let a burst of parallel guesses
 * count as one), and the lock it sets only ever lengthens a concurrent one.
 */
export async function recordLoginFailure(db: Kysely<Database>, account: string, now: number, policy: LockoutPolicy): Promise<LockoutRecord> {
  const at = new Date(now).toISOString();
  const staleBefore = new Date(now - policy.forgetAfterMs).toISOString();
  const row = await db
    .insertInto('login_lockouts')
    .values({ account, failures: 1, locked_until: null, last_failure_at: at })
    .onConflict((conflict) =>
      conflict.column('account').doUpdateSet({
        failures: sql<number>`case when login_lockouts.last_failure_at <= ${staleBefore} then 1 else login_lockouts.failures + 1 end`,
        last_failure_at: at,
      }),
    )
    .returning('failures')
    .executeTakeFirstOrThrow();
  const record = lockoutAfterFailure({ failures: Number(row.failures) - 1, lockedUntil: undefined, lastFailureAt: now }, now, policy);
  if (record.lockedUntil !== undefined) {
    const until = new Date(record.lockedUntil).toISOString();
    await db
      .updateTable('login_lockouts')
      .set({ locked_until: until })
      .where('account', '=', account)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', until)]))
      .execute();
  }
  return record;
}

/** Clears a lockout (successful login, password reset, admin unlock). */
export async function clearLockout(db: Kysely<Database>, account: string): Promise<void> {
  await db.deleteFrom('login_lockouts').where('account', '=', account).execute();
}
