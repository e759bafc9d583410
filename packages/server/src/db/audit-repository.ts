import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import { sealAuditBatch, type AuditChainHead, type AuditRecord, type AuditTrailStore, type SecurityEvent } from 'portcullis/audit';
import type { AuditEventsTable, Database } from './schema.js';
import { sqliteAuditAppend } from './sqlite-audit-append.js';

/**
 * The audit trail in SQL (E3), one code path for SQLite and PostgreSQL. An append is one
 * transaction that first writes the chain head's row (a no-op update: on PostgreSQL a row lock
 * every other instance's append waits on, on SQLite the database write lock), then reads the
 * head, chains the batch after it, inserts the rows and moves the head. So appends from any
 * number of instances form one linear chain, and a failed append leaves nothing behind (the
 * write queue retries the whole batch). Nothing here updates or deletes a row.
 *
 * Given the SQLite connection under `db` (AppDatabase.sqlite), an append is the same transaction
 * run synchronously on cached prepared statements (sqlite-audit-append.ts), inside
 * `db.connection().execute` so Kysely's connection mutex keeps it apart from every other query:
 * per event it costs a fraction of compiling and preparing the Kysely INSERT for each batch.
 */

/** Rows per INSERT: well inside SQLite's and PostgreSQL's bound-parameter limits (12 columns each). */
const INSERT_CHUNK = 500;

function toRow(record: AuditRecord) {
  return {
    seq: record.seq,
    at: record.at,
    event: record.event,
    request_id: record.requestId,
    principal: record.principal,
    client_address: record.clientAddress,
    method: record.method,
    route: record.route,
    outcome: record.outcome,
    fields: record.fields,
    prev_mac: record.prevMac,
    mac: record.mac,
  };
}

function fromRow(row: Selectable<AuditEventsTable>): AuditRecord {
  return {
    seq: Number(row.seq),
    at: row.at,
    event: row.event,
    requestId: row.request_id,
    principal: row.principal,
    clientAddress: row.client_address,
    method: row.method,
    route: row.route,
    outcome: row.outcome,
    fields: row.fields,
    prevMac: row.prev_mac,
    mac: row.mac,
  };
}

export interface SqlAuditTrailOptions {
  /** AppDatabase.sqlite: on SQLite, append through it (see the module header); undefined: through Kysely. */
  readonly sqlite?: BetterSqlite3.Database | undefined;
}

/**
 * The trail store the security-event bus writes through.
 *
 * @example
 * const store = sqlAuditTrail(database.db, deriveAuditChainKey(config.secrets.appSecret), { sqlite: database.sqlite });
 */
export function sqlAuditTrail(db: Kysely<Database>, key: Uint8Array, options: SqlAuditTrailOptions = {}): AuditTrailStore {
  if (options.sqlite !== undefined) {
    const append = sqliteAuditAppend(options.sqlite, key);
    return {
      async append(events: readonly SecurityEvent[]): Promise<void> {
        if (events.length === 0) return;
        // Holding Kysely's one connection: no Kysely transaction is open on it, none starts meanwhile.
        await db.connection().execute(async () => append(events));
      },
    };
  }
  return {
    async append(events: readonly SecurityEvent[]): Promise<void> {
      if (events.length === 0) return;
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('audit_chain_head').set((eb) => ({ mac: eb.ref('mac') })).where('id', '=', 1).execute();
        const head = await trx.selectFrom('audit_chain_head').select(['seq', 'mac']).where('id', '=', 1).executeTakeFirstOrThrow();
        const sealed = sealAuditBatch(key, { seq: Number(head.seq), mac: head.mac }, events);
        for (let start = 0; start < sealed.records.length; start += INSERT_CHUNK) {
          await trx.insertInto('audit_events').values(sealed.records.slice(start, start + INSERT_CHUNK).map(toRow)).execute();
        }
        await trx.updateTable('audit_chain_head').set({ seq: sealed.head.seq, mac: sealed.head.mac }).where('id', '=', 1).execute();
      });
    },
  };
}

/** The chain head, or undefined when the table has no head row (it was deleted). */
export async function readAuditHead(db: Kysely<Database>): Promise<AuditChainHead | undefined> {
  const head = await db.selectFrom('audit_chain_head').select(['seq', 'mac']).where('id', '=', 1).executeTakeFirst();
  return head === undefined ? undefined : { seq: Number(head.seq), mac: head.mac };
}

/**
 * Every row in sequence order, a page at a time (the verifier's input; memory stays flat). With
 * `upToSeq` (the head the verifier read first), only rows up to it: on a live database the writer
 * keeps appending while the pages are read, and rows committed after the head was read must not
 * look like rows added beyond it. Rows past the head that a forger added are still found: they
 * are beyond the head read *now*, which `verifyTrailTail` checks after the walk.
 */
export async function* readAuditRecords(db: Kysely<Database>, pageSize = 1000, upToSeq?: number): AsyncGenerator<AuditRecord> {
  let after = Number.NEGATIVE_INFINITY;
  for (;;) {
    let query = db.selectFrom('audit_events').selectAll().orderBy('seq').limit(pageSize);
    if (after !== Number.NEGATIVE_INFINITY) query = query.where('seq', '>', after);
    if (upToSeq !== undefined) query = query.where('seq', '<=', upToSeq);
    const rows = await query.execute();
    for (const row of rows) yield fromRow(row);
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1]?.seq);
  }
}

/**
 * After a walk bounded by the head read first: the highest stored seq, read *before* the head is
 * read again. An append commits its rows and the head together and the head only grows, so a
 * stored row beyond the head read afterwards was not written by the trail writer.
 */
export async function readRowsBeyondHead(db: Kysely<Database>): Promise<{ readonly maxSeq: number; readonly head: AuditChainHead | undefined }> {
  const top = await db.selectFrom('audit_events').select((eb) => eb.fn.max('seq').as('top')).executeTakeFirst();
  const maxSeq = top?.top === null || top?.top === undefined ? 0 : Number(top.top);
  return { maxSeq, head: await readAuditHead(db) };
}

export interface AuditQuery {
  readonly event?: string | undefined;
  readonly principal?: string | undefined;
  readonly outcome?: string | undefined;
  readonly address?: string | undefined;
  /** ISO-8601 bounds on `at`, inclusive. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  /** Cursor: only rows older (lower `seq`) than this. */
  readonly before?: number | undefined;
  readonly limit: number;
}

/** What the admin endpoint shows of a row: the event, never the chain's MACs. */
export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly event: string;
  readonly requestId: string | null;
  readonly principal: string | null;
  readonly clientAddress: string | null;
  readonly method: string | null;
  readonly route: string | null;
  readonly outcome: string;
  readonly fields: Record<string, unknown>;
}

/** One page of the trail, newest first, filtered. */
export async function queryAuditEvents(db: Kysely<Database>, filter: AuditQuery): Promise<AuditEntry[]> {
  let query = db
    .selectFrom('audit_events')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(filter.limit);
  if (filter.event !== undefined) query = query.where('event', '=', filter.event);
  if (filter.principal !== undefined) query = query.where('principal', '=', filter.principal);
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
  if (filter.address !== undefined) query = query.where('client_address', '=', filter.address);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<=', filter.to);
  if (filter.before !== undefined) query = query.where('seq', '<', filter.before);
  const rows = await query.execute();
  // The MACs stay in the database: the endpoint shows the event, not the chain.
  return rows.map((row) => {
    const { prevMac: _prevMac, mac: _mac, fields, ...entry } = fromRow(row);
    return { ...entry, fields: parseFields(fields) };
  });
}

function parseFields(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
