import type BetterSqlite3 from 'better-sqlite3';
import { sealAuditBatch, type SecurityEvent } from 'portcullis/audit';
import { PortcullisError } from 'portcullis/errors';

/**
 * The audit trail's append on SQLite (E3), as one synchronous better-sqlite3 transaction over
 * statements prepared once: BEGIN IMMEDIATE, read the chain head, seal the batch, insert each row
 * with one cached single-row INSERT, move the head, COMMIT. The Kysely path compiles a 12-column
 * multi-row INSERT per batch and SQLite prepares it anew (some 3 us per row before a row is
 * written); a cached single-row statement measured faster than cached multi-row ones too.
 *
 * Same chain, same rows, same guarantees as the Kysely path (audit-repository.ts): BEGIN IMMEDIATE
 * takes the database write lock before the head is read, so no other writer (another process on
 * the file: the CLI, a second server) can append between the read and the commit, which the Kysely
 * path gets from its no-op update of the head row; any failure rolls the whole batch back (the
 * write queue retries it).
 *
 * The caller must hold Kysely's one SQLite connection while this runs (`db.connection().execute`),
 * so it never interleaves with a Kysely transaction on that connection. If the connection is
 * inside a transaction anyway, the append refuses rather than nest in someone else's: a rollback
 * of theirs would silently take the trail rows with it.
 */

interface ChainHeadRow {
  readonly seq: number | bigint;
  readonly mac: string;
}

/** Appends `events` after the stored chain head, atomically; throws (nothing written) on any failure. */
export type SqliteAuditAppend = (events: readonly SecurityEvent[]) => void;

function prepareAppend(sqlite: BetterSqlite3.Database, key: Uint8Array): BetterSqlite3.Transaction<SqliteAuditAppend> {
  const readHead = sqlite.prepare<[], ChainHeadRow>('SELECT seq, mac FROM audit_chain_head WHERE id = 1');
  const insertRow = sqlite.prepare(
    'INSERT INTO audit_events (seq, at, event, request_id, principal, client_address, method, route, outcome, fields, prev_mac, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const moveHead = sqlite.prepare('UPDATE audit_chain_head SET seq = ?, mac = ? WHERE id = 1');
  return sqlite.transaction((events: readonly SecurityEvent[]) => {
    const head = readHead.get();
    if (head === undefined) throw new PortcullisError('audit.chain_broken', { detail: 'audit trail: the chain head row is missing' });
    const sealed = sealAuditBatch(key, { seq: Number(head.seq), mac: head.mac }, events);
    for (const row of sealed.records) {
      insertRow.run(row.seq, row.at, row.event, row.requestId, row.principal, row.clientAddress, row.method, row.route, row.outcome, row.fields, row.prevMac, row.mac);
    }
    moveHead.run(sealed.head.seq, sealed.head.mac);
  });
}

/**
 * The synchronous append over `sqlite` (AppDatabase.sqlite). Statements are prepared on the first
 * append, not here: the trail may be created before the migrations ran.
 *
 * @example
 * const append = sqliteAuditAppend(database.sqlite, key);
 * await database.db.connection().execute(async () => append(events));
 */
export function sqliteAuditAppend(sqlite: BetterSqlite3.Database, key: Uint8Array): SqliteAuditAppend {
  let append: BetterSqlite3.Transaction<SqliteAuditAppend> | undefined;
  return (events) => {
    if (sqlite.inTransaction) {
      throw new PortcullisError('storage.unavailable', { detail: 'audit trail: the SQLite connection is inside another transaction; the batch is retried' });
    }
    append ??= prepareAppend(sqlite, key);
    append.immediate(events);
  };
}
