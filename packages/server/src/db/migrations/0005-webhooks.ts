import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Webhooks (V7, V9): a user's endpoints with the events they subscribe to and a signing secret
 * sealed with AES-256-GCM. Deliveries are durable in two steps: a post event is written to
 * `webhook_events` (an outbox) by the request that caused it, and the dispatcher turns each event
 * into one `webhook_deliveries` row per recipient (unique per webhook and event, so fanning out
 * twice is harmless) before anything is sent. Every attempt is a `webhook_delivery_attempts` row.
 * Allowed values are spelled out here so this migration never changes with the application code.
 */

const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'];
const ATTEMPT_OUTCOMES = ['succeeded', 'retry', 'failed'];

function oneOf(column: string, values: readonly string[]) {
  return sql<boolean>`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;
}

export const createWebhooks: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('webhooks')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('url', 'text', (col) => col.notNull())
      // A JSON array of event types.
      .addColumn('events', 'text', (col) => col.notNull())
      // The signing secret, sealed (v1.<keyId>.<iv>.<ciphertext>.<tag>) with the webhook id as associated data.
      .addColumn('secret_sealed', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('webhooks_user_id').on('webhooks').column('user_id').execute();

    await db.schema
      .createTable('webhook_events')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('type', 'text', (col) => col.notNull())
      // The exact JSON body every recipient receives.
      .addColumn('body', 'text', (col) => col.notNull())
      // Set for a test ping: only this webhook receives it.
      .addColumn('only_webhook_id', 'text', (col) => col.references('webhooks.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('fanned_out_at', 'text')
      .execute();
    await db.schema.createIndex('webhook_events_fanned_out_at').on('webhook_events').columns(['fanned_out_at', 'created_at']).execute();

    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('webhook_id', 'text', (col) => col.notNull().references('webhooks.id').onDelete('cascade'))
      .addColumn('event_id', 'text', (col) => col.notNull().references('webhook_events.id').onDelete('cascade'))
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('attempts', 'integer', (col) => col.notNull())
      .addColumn('next_attempt_at', 'text', (col) => col.notNull())
      // A dispatcher holds a delivery until this time while it sends; a crashed one's lease runs out.
      .addColumn('locked_until', 'text')
      .addColumn('last_status_code', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addUniqueConstraint('webhook_deliveries_webhook_event_unique', ['webhook_id', 'event_id'])
      .addCheckConstraint('webhook_deliveries_status_check', oneOf('status', DELIVERY_STATUSES))
      .execute();
    await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();

    await db.schema
      .createTable('webhook_delivery_attempts')
      .addColumn('delivery_id', 'text', (col) => col.notNull().references('webhook_deliveries.id').onDelete('cascade'))
      .addColumn('attempt', 'integer', (col) => col.notNull())
      .addColumn('attempted_at', 'text', (col) => col.notNull())
      .addColumn('duration_ms', 'integer', (col) => col.notNull())
      .addColumn('outcome', 'text', (col) => col.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('error_code', 'text')
      .addPrimaryKeyConstraint('webhook_delivery_attempts_pk', ['delivery_id', 'attempt'])
      .addCheckConstraint('webhook_delivery_attempts_outcome_check', oneOf('outcome', ATTEMPT_OUTCOMES))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['webhook_delivery_attempts', 'webhook_deliveries', 'webhook_events', 'webhooks']) await db.schema.dropTable(table).execute();
  },
};
