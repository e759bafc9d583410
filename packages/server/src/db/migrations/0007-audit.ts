import { SqliteAdapter, type Kysely, type Migration } from 'kysely';

/**
 * The audit trail (issue 8, E3): security events, append-only, each row chained to the one before
 * by an HMAC (see portcullis/audit's audit-chain). `seq` is assigned by the writer under a lock on
 * the one-row chain head, so instances sharing a database append one linear chain; the head also
 * lets `audit verify` notice rows cut off the end. Indexes serve the admin endpoint's filters,
 * each newest first by `seq`.
 */

const GENESIS_MAC = '0'.repeat(64);

export const createAudit: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('audit_events')
      // On SQLite only `integer primary key` is the rowid itself; `bigint` would add a second
      // unique index that every append pays for. Both hold 64-bit values.
      .addColumn('seq', db.getExecutor().adapter instanceof SqliteAdapter ? 'integer' : 'bigint', (col) => col.primaryKey())
      .addColumn('at', 'text', (col) => col.notNull())
      .addColumn('event', 'text', (col) => col.notNull())
      .addColumn('request_id', 'text')
      .addColumn('principal', 'text')
      .addColumn('client_address', 'text')
      .addColumn('method', 'text')
      .addColumn('route', 'text')
      .addColumn('outcome', 'text', (col) => col.notNull())
      // Canonical JSON of the event's scalar fields: exactly the text the MAC covers.
      .addColumn('fields', 'text', (col) => col.notNull())
      .addColumn('prev_mac', 'text', (col) => col.notNull())
      .addColumn('mac', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('audit_events_event').on('audit_events').columns(['event', 'seq']).execute();
    await db.schema.createIndex('audit_events_principal').on('audit_events').columns(['principal', 'seq']).execute();
    await db.schema.createIndex('audit_events_address').on('audit_events').columns(['client_address', 'seq']).execute();
    await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();

    await db.schema
      .createTable('audit_chain_head')
      .addColumn('id', 'integer', (col) => col.primaryKey())
      .addColumn('seq', 'bigint', (col) => col.notNull())
      .addColumn('mac', 'text', (col) => col.notNull())
      .execute();
    await db
      .insertInto('audit_chain_head' as never)
      .values({ id: 1, seq: 0, mac: GENESIS_MAC } as never)
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('audit_chain_head').execute();
    await db.schema.dropTable('audit_events').execute();
  },
};
