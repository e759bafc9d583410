import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, OrgRole } from './schema.js';

/**
 * Organisations and memberships (issue 6). Every registered user gets a personal organisation,
 * which it owns; shared organisations and further memberships are made by administrators (for
 * now directly in the database). A user's org roles are read per request, never cached in a
 * token, so a membership change counts from the next request.
 */

/** Makes the personal organisation of a newly created user, with the user as its owner; returns its id. */
export async function createPersonalOrganisation(db: Kysely<Database>, userId: string, userName: string): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('organisations')
    .values({ id, name: `${userName}'s organisation`, personal_user_id: userId, created_at: new Date().toISOString() })
    .execute();
  await db.insertInto('memberships').values({ org_id: id, user_id: userId, org_role: 'owner' }).execute();
  return id;
}

/** The user's organisations and its role in each. */
export async function orgRolesOf(db: Kysely<Database>, userId: string): Promise<Map<string, OrgRole>> {
  const rows = await db.selectFrom('memberships').select(['org_id', 'org_role']).where('user_id', '=', userId).execute();
  return new Map(rows.map((row) => [row.org_id, row.org_role]));
}

/** The id of the organisation made for the user at registration, if it has one. */
export async function personalOrganisationOf(db: Kysely<Database>, userId: string): Promise<string | undefined> {
  const row = await db.selectFrom('organisations').select('id').where('personal_user_id', '=', userId).executeTakeFirst();
  return row?.id;
}

/** Whether an organisation with this id exists. */
export async function organisationExists(db: Kysely<Database>, id: string): Promise<boolean> {
  const row = await db.selectFrom('organisations').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}
