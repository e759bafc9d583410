import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Password-reset tokens (A7): stored as keyed hashes, single use by a compare-and-swap on
 * `used_at`, valid until `expires_at`. Issuing a new one spends the older ones of the same user.
 */

/** Stores a new reset token for a user, spending any earlier unused one. */
export async function createPasswordReset(db: Kysely<Database>, userId: string, tokenHash: string, now: Date, expiresAt: Date): Promise<void> {
  const at = now.toISOString();
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('password_resets').set({ used_at: at }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
    await trx.insertInto('password_resets').values({ token_hash: tokenHash, user_id: userId, created_at: at, expires_at: expiresAt.toISOString(), used_at: null }).execute();
  });
}

/** Spends a reset token: the user id for exactly one caller while it is unused and unexpired, else undefined. */
export async function spendPasswordReset(db: Kysely<Database>, tokenHash: string, now: Date): Promise<string | undefined> {
  const at = now.toISOString();
  const row = await db
    .updateTable('password_resets')
    .set({ used_at: at })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .returning('user_id')
    .executeTakeFirst();
  return row?.user_id;
}

/** The user a live (unused, unexpired) reset token belongs to, without spending it. */
export async function findLivePasswordReset(db: Kysely<Database>, tokenHash: string, now: Date): Promise<string | undefined> {
  const row = await db
    .selectFrom('password_resets')
    .select('user_id')
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
  return row?.user_id;
}
