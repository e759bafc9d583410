import type { Kysely } from 'kysely';
import type { DenylistBackend, DenylistEntry } from 'portcullis/auth';
import type { Database } from './schema.js';

/** The access-token denylist shared through the database (used when Redis is not configured). */
export function sqlDenylistBackend(db: Kysely<Database>): DenylistBackend {
  return {
    async add(entry: DenylistEntry) {
      const values = { revoked_at: new Date(entry.revokedAt).toISOString(), expires_at: new Date(entry.expiresAt).toISOString() };
      await db
        .insertInto('revoked_tokens')
        .values({ id: entry.id, ...values })
        .onConflict((conflict) => conflict.column('id').doUpdateSet(values))
        .execute();
    },
    async revokedSince(since: number, now: number) {
      const rows = await db
        .selectFrom('revoked_tokens')
        .selectAll()
        .where('revoked_at', '>=', new Date(since).toISOString())
        .where('expires_at', '>', new Date(now).toISOString())
        .execute();
      return rows.map((row) => ({ id: row.id, revokedAt: Date.parse(row.revoked_at), expiresAt: Date.parse(row.expires_at) }));
    },
    async prune(now: number) {
      await db.deleteFrom('revoked_tokens').where('expires_at', '<=', new Date(now).toISOString()).execute();
    },
  };
}
