import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Issue 6's reference resources: organisations, their memberships (each with an org role), posts
 * that belong to an organisation and an owner, and comments on posts. Allowed values are spelled
 * out here, not imported, so this migration never changes when the application code does. An
 * organisation made for one user at registration names that user in `personal_user_id` (unique),
 * which is how a post without an explicit organisation finds its home.
 */

const ORG_ROLES = ['member', 'moderator', 'owner'];
const POST_STATUSES = ['draft', 'published'];
const POST_VISIBILITIES = ['private', 'org', 'public'];

function oneOf(column: string, values: readonly string[]) {
  return sql<boolean>`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;
}

export const createOrganisationsPosts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('organisations')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('personal_user_id', 'text', (col) => col.references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addUniqueConstraint('organisations_personal_user_unique', ['personal_user_id'])
      .execute();

    await db.schema
      .createTable('memberships')
      .addColumn('org_id', 'text', (col) => col.notNull().references('organisations.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('org_role', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('memberships_pk', ['org_id', 'user_id'])
      .addCheckConstraint('memberships_org_role_check', oneOf('org_role', ORG_ROLES))
      .execute();
    await db.schema.createIndex('memberships_user_id').on('memberships').column('user_id').execute();

    await db.schema
      .createTable('posts')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('org_id', 'text', (col) => col.notNull().references('organisations.id').onDelete('cascade'))
      .addColumn('owner_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('title', 'text', (col) => col.notNull())
      .addColumn('body', 'text', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('visibility', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addCheckConstraint('posts_status_check', oneOf('status', POST_STATUSES))
      .addCheckConstraint('posts_visibility_check', oneOf('visibility', POST_VISIBILITIES))
      .execute();
    await db.schema.createIndex('posts_org_id').on('posts').column('org_id').execute();
    await db.schema.createIndex('posts_owner_id').on('posts').column('owner_id').execute();

    await db.schema
      .createTable('comments')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('post_id', 'text', (col) => col.notNull().references('posts.id').onDelete('cascade'))
      .addColumn('author_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('body', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('comments_post_id').on('comments').column('post_id').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['comments', 'posts', 'memberships', 'organisations']) await db.schema.dropTable(table).execute();
  },
};
