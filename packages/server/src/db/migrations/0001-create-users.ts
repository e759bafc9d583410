import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Creates `users`. The allowed roles and statuses are spelled out here rather than imported from
 * schema.ts: a shipped migration must never change when the application code does.
 */

const ROLES = ['user', 'moderator', 'admin'];
const STATUSES = ['active', 'disabled'];

function oneOf(column: string, values: readonly string[]) {
  return sql<boolean>`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;
}

export const createUsers: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('email', 'text', (col) => col.notNull())
      .addColumn('password_hash', 'text', (col) => col.notNull())
      .addColumn('role', 'text', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull().defaultTo('active'))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      // Named so the repository can tell a duplicate email from any other violation on PostgreSQL.
      .addUniqueConstraint('users_email_unique', ['email'])
      .addCheckConstraint('users_role_check', oneOf('role', ROLES))
      .addCheckConstraint('users_status_check', oneOf('status', STATUSES))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('users').execute();
  },
};
