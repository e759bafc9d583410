import type { Kysely, Migration } from 'kysely';

/**
 * API keys (issue 5): a key belongs to a user and carries its scopes, expiry, revocation and its
 * own rate limit and quotas. Its secrets live in their own table, as keyed hashes only: rotation
 * adds a secret and gives the old one an end (the grace period), so a lookup by hash finds the key
 * whichever of its live secrets was presented. Usage is counted per key, route and UTC day.
 */
export const createApiKeys: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('environment', 'text', (col) => col.notNull())
      .addColumn('display_prefix', 'text', (col) => col.notNull())
      // A JSON array of scope strings.
      .addColumn('scopes', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('rate_limit', 'integer')
      .addColumn('rate_window_seconds', 'integer')
      .addColumn('quota_daily', 'integer')
      .addColumn('quota_monthly', 'integer')
      .addColumn('last_used_at', 'text')
      .execute();
    await db.schema.createIndex('api_keys_user_id').on('api_keys').column('user_id').execute();

    await db.schema
      .createTable('api_key_secrets')
      .addColumn('key_hash', 'text', (col) => col.primaryKey())
      .addColumn('key_id', 'text', (col) => col.notNull().references('api_keys.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (col) => col.notNull())
      // Null while the secret is current; set by rotation to the end of its grace period.
      .addColumn('expires_at', 'text')
      .execute();
    await db.schema.createIndex('api_key_secrets_key_id').on('api_key_secrets').column('key_id').execute();

    await db.schema
      .createTable('api_key_usage')
      .addColumn('key_id', 'text', (col) => col.notNull().references('api_keys.id').onDelete('cascade'))
      .addColumn('route', 'text', (col) => col.notNull())
      // UTC day, YYYY-MM-DD.
      .addColumn('day', 'text', (col) => col.notNull())
      .addColumn('count', 'integer', (col) => col.notNull())
      .addPrimaryKeyConstraint('api_key_usage_pk', ['key_id', 'route', 'day'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('api_key_usage').execute();
    await db.schema.dropTable('api_key_secrets').execute();
    await db.schema.dropTable('api_keys').execute();
  },
};
