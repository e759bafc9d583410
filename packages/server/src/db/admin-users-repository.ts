import type { Kysely } from 'kysely';
import type { Database, UserRole, UserStatus } from './schema.js';

/**
 * What administrators do to accounts (issue 6): list them a page at a time, change a role, disable
 * or re-enable. The last active admin can be neither demoted nor disabled, checked inside the
 * writing transaction with the active admins' rows locked (PostgreSQL `FOR UPDATE`; SQLite runs
 * one write transaction at a time), so two admins demoting each other at once cannot both win.
 */

export interface AdminUserRow {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: UserRole;
  readonly status: UserStatus;
  readonly createdAt: string;
}

export const MAX_PAGE_SIZE = 100;

/** Users ordered by id, after the cursor `after` (an id), at most `limit` (1..100). */
export async function listUsersPage(db: Kysely<Database>, after: string | undefined, limit: number): Promise<AdminUserRow[]> {
  let query = db.selectFrom('users').select(['id', 'email', 'name', 'role', 'status', 'created_at']).orderBy('id').limit(Math.min(Math.max(limit, 1), MAX_PAGE_SIZE));
  if (after !== undefined) query = query.where('id', '>', after);
  const rows = await query.execute();
  return rows.map((row) => ({ id: row.id, email: row.email, name: row.name, role: row.role, status: row.status, createdAt: row.created_at }));
}

export type AccountChange = { readonly role?: UserRole | undefined; readonly status?: UserStatus | undefined };
export type AccountChangeResult = 'changed' | 'not_found' | 'last_admin';

/** Applies `change` unless it would leave no active admin. */
export async function changeAccount(db: Kysely<Database>, kind: 'sqlite' | 'postgres', id: string, change: AccountChange): Promise<AccountChangeResult> {
  return db.transaction().execute(async (trx) => {
    const target = await trx.selectFrom('users').select(['id', 'role', 'status']).where('id', '=', id).executeTakeFirst();
    if (target === undefined) return 'not_found';
    const staysActiveAdmin = (change.role ?? target.role) === 'admin' && (change.status ?? target.status) === 'active';
    if (target.role === 'admin' && target.status === 'active' && !staysActiveAdmin) {
      let admins = trx.selectFrom('users').select('id').where('role', '=', 'admin').where('status', '=', 'active');
      if (kind === 'postgres') admins = admins.forUpdate();
      const others = (await admins.execute()).filter((row) => row.id !== id);
      if (others.length === 0) return 'last_admin';
    }
    await trx
      .updateTable('users')
      .set({ ...(change.role === undefined ? {} : { role: change.role }), ...(change.status === undefined ? {} : { status: change.status }), updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
    return 'changed';
  });
}
