import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** MFA backup codes (A6): keyed hashes, each spent once by a compare-and-swap on `used_at`. */

/** Replaces a user's backup codes with new ones (hashes only). */
export async function replaceBackupCodes(db: Kysely<Database>, userId: string, codeHashes: readonly string[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('mfa_backup_codes').where('user_id', '=', userId).execute();
    if (codeHashes.length === 0) return;
    await trx
      .insertInto('mfa_backup_codes')
      .values(codeHashes.map((code_hash) => ({ id: randomUUID(), user_id: userId, code_hash, used_at: null })))
      .execute();
  });
}

/** The unused backup codes of a user (id and hash). */
export async function unusedBackupCodes(db: Kysely<Database>, userId: string): Promise<{ id: string; codeHash: string }[]> {
  const rows = await db.selectFrom('mfa_backup_codes').select(['id', 'code_hash']).where('user_id', '=', userId).where('used_at', 'is', null).execute();
  return rows.map((row) => ({ id: row.id, codeHash: row.code_hash }));
}

/** Spends one backup code; true for exactly one caller. */
export async function spendBackupCode(db: Kysely<Database>, id: string, now: Date): Promise<boolean> {
  const result = await db.updateTable('mfa_backup_codes').set({ used_at: now.toISOString() }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
