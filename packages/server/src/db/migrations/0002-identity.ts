import type { Kysely, Migration } from 'kysely';

/**
 * Identity (issue 4): the user's display name and TOTP state, sessions with their rotating refresh
 * tokens, password resets, single-use backup codes, login lockouts and the access-token denylist.
 * Every secret column holds a keyed hash or a sealed (AES-256-GCM) value, never the secret itself.
 * Times are ISO-8601 UTC text like every other timestamp here, so comparisons sort on both dialects.
 */
export const createIdentity: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('users').addColumn('name', 'text', (col) => col.notNull().defaultTo('')).execute();
    await db.schema.alterTable('users').addColumn('mfa_enabled', 'integer', (col) => col.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('users').addColumn('mfa_secret', 'text').execute();
    await db.schema.alterTable('users').addColumn('mfa_pending_secret', 'text').execute();
    // The last TOTP time step accepted: a code at or before it is a replay.
    await db.schema.alterTable('users').addColumn('mfa_last_step', 'integer').execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('last_used_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_reason', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('ip_address', 'text')
      .execute();
    await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();

    await db.schema
      .createTable('refresh_tokens')
      .addColumn('token_hash', 'text', (col) => col.primaryKey())
      .addColumn('session_id', 'text', (col) => col.notNull().references('sessions.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      // Set once, by the compare-and-swap that rotates the token; a second use is a reuse.
      .addColumn('used_at', 'text')
      .execute();
    await db.schema.createIndex('refresh_tokens_session_id').on('refresh_tokens').column('session_id').execute();

    await db.schema
      .createTable('password_resets')
      .addColumn('token_hash', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addColumn('used_at', 'text')
      .execute();
    await db.schema.createIndex('password_resets_user_id').on('password_resets').column('user_id').execute();

    await db.schema
      .createTable('mfa_backup_codes')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('code_hash', 'text', (col) => col.notNull())
      .addColumn('used_at', 'text')
      .execute();
    await db.schema.createIndex('mfa_backup_codes_user_id').on('mfa_backup_codes').column('user_id').execute();

    // Keyed by the normalised email whether or not an account has it, so a lockout says nothing
    // about which emails are registered.
    await db.schema
      .createTable('login_lockouts')
      .addColumn('account', 'text', (col) => col.primaryKey())
      .addColumn('failures', 'integer', (col) => col.notNull())
      .addColumn('locked_until', 'text')
      .addColumn('last_failure_at', 'text', (col) => col.notNull())
      .execute();

    await db.schema
      .createTable('revoked_tokens')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('revoked_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('revoked_tokens_revoked_at').on('revoked_tokens').column('revoked_at').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['revoked_tokens', 'login_lockouts', 'mfa_backup_codes', 'password_resets', 'refresh_tokens', 'sessions']) {
      await db.schema.dropTable(table).execute();
    }
    for (const column of ['mfa_last_step', 'mfa_pending_secret', 'mfa_secret', 'mfa_enabled', 'name']) {
      await db.schema.alterTable('users').dropColumn(column).execute();
    }
  },
};
