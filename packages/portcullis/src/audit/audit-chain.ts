import { createHmac, timingSafeEqual } from 'node:crypto';
import { PortcullisError } from '../errors/index.js';
import { HmacSha256 } from './hmac-sha256.js';
import type { SecurityEvent, SecurityFieldValue } from './security-event.js';

/**
 * E3: the audit trail is a hash chain. Each row carries a sequence number (1, 2, 3, ...), the
 * previous row's MAC, and its own MAC: HMAC-SHA256, under a key derived from the server secret, of
 * a canonical serialisation of all of that. Editing a row breaks its MAC; deleting one leaves a
 * gap in the sequence; moving one breaks the link to its predecessor; a forged row needs the key.
 * The chain head (last sequence number and MAC) is kept beside the rows, so rows cut off the end
 * are noticed too, as long as the head was not rewound with them. Rewinding it needs no key, so a
 * truncated tail is only provable against a head kept outside the database (`anchor`).
 *
 * Sealing runs for every trail row, so it is kept cheap without changing a byte of the format
 * (audit-chain-format.test.ts pins it): the MAC comes from HmacSha256 (padded key blocks prepared
 * once per batch, the same output as createHmac at half the cost), each row is one object, and
 * the canonical JSON skips the sort when the keys are already in order.
 */

/** The MAC of "nothing before": the previous-MAC of row 1. */
export const AUDIT_GENESIS_MAC = '0'.repeat(64);
const CHAIN_VERSION = 1;
const KEY_LABEL = 'portcullis audit chain v1\n';

/** One row of the trail as stored. */
export interface AuditRecord {
  readonly seq: number;
  readonly at: string;
  readonly event: string;
  readonly requestId: string | null;
  readonly principal: string | null;
  readonly clientAddress: string | null;
  readonly method: string | null;
  readonly route: string | null;
  readonly outcome: string;
  /** The fields as canonical JSON: exactly the text the MAC covers. */
  readonly fields: string;
  readonly prevMac: string;
  readonly mac: string;
}

export interface AuditChainHead {
  readonly seq: number;
  readonly mac: string;
}

/**
 * The chain key: HMAC-SHA256 of a fixed label under the server secret, so the secret itself keys
 * nothing but derivations and the trail's key can be told apart from every other derived key.
 */
export function deriveAuditChainKey(serverSecret: string | Uint8Array): Buffer {
  const bytes = typeof serverSecret === 'string' ? Buffer.byteLength(serverSecret, 'utf8') : serverSecret.byteLength;
  if (bytes < 32) throw new PortcullisError('config.invalid', { detail: 'audit chain: the server secret must be at least 32 bytes' });
  return createHmac('sha256', serverSecret).update(KEY_LABEL, 'utf8').digest();
}

/**
 * JSON with object keys sorted at every depth and no whitespace: one text per value, whatever order
 * the fields were built in, so a verifier reproduces the MAC input byte for byte.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const keys = Object.keys(value);
  // Events' fields are mostly built in name order already: then sorting would change nothing.
  if (!inAscendingOrder(keys)) keys.sort();
  let text = '{';
  for (const key of keys) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    text += `${text.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${text}}`;
}

/** Whether `keys` are already what `keys.sort()` makes of them (UTF-16 code unit order, no duplicates). */
function inAscendingOrder(keys: readonly string[]): boolean {
  for (let index = 1; index < keys.length; index += 1) if (!((keys[index - 1] as string) < (keys[index] as string))) return false;
  return true;
}

type Unsealed = Omit<AuditRecord, 'mac'>;

function macOf(hmac: HmacSha256, record: Unsealed): string {
  // A JSON array of strings, numbers and nulls: unambiguous, whatever the values contain. V8's
  // JSON.stringify of this array beats any hand-built concatenation measured (and is the format).
  return hmac.hex(
    JSON.stringify([
      CHAIN_VERSION,
      record.seq,
      record.at,
      record.event,
      record.requestId,
      record.principal,
      record.clientAddress,
      record.method,
      record.route,
      record.outcome,
      record.fields,
      record.prevMac,
    ]),
  );
}

/** The fields of an event as the trail stores them. */
export function auditFieldsText(fields: Readonly<Record<string, SecurityFieldValue>>): string {
  return canonicalJson(fields);
}

/**
 * Chains `events` after `head` (undefined: an empty trail). Returns the rows to insert, in order,
 * and the new head.
 *
 * @example
 * const { records, head: next } = sealAuditBatch(key, head, batch);
 */
export function sealAuditBatch(key: Uint8Array, head: AuditChainHead | undefined, events: readonly SecurityEvent[]): { records: AuditRecord[]; head: AuditChainHead } {
  let seq = head?.seq ?? 0;
  let prevMac = head?.mac ?? AUDIT_GENESIS_MAC;
  const hmac = new HmacSha256(key);
  const records: AuditRecord[] = new Array(events.length);
  for (let index = 0; index < events.length; index += 1) {
    const event = events[index] as SecurityEvent;
    seq += 1;
    // One object per row, its MAC filled in once computed: no copy of the row to add it.
    const record: { -readonly [K in keyof AuditRecord]: AuditRecord[K] } = {
      seq,
      at: event.at,
      event: event.event,
      requestId: event.requestId,
      principal: event.principal,
      clientAddress: event.clientAddress,
      method: event.method,
      route: event.route,
      outcome: event.outcome,
      fields: auditFieldsText(event.fields),
      prevMac,
      mac: '',
    };
    record.mac = macOf(hmac, record);
    records[index] = record;
    prevMac = record.mac;
  }
  return { records, head: { seq, mac: prevMac } };
}

export type AuditChainProblem = 'missing' | 'out_of_order' | 'modified' | 'inserted' | 'truncated' | 'head_mismatch';

export type AuditChainVerdict =
  | { readonly ok: true; readonly rows: number; readonly head: AuditChainHead }
  | { readonly ok: false; readonly rows: number; readonly seq: number; readonly problem: AuditChainProblem; readonly detail: string };

function sameMac(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface AuditVerifyOptions {
  /**
   * A head recorded outside the database (an `audit.checkpoint` log line, or a previous verify's
   * output). The rows and the in-database head can be cut back together by anyone who can write
   * the database, without the key; only a head kept elsewhere shows that: the trail must reach
   * `anchor.seq`, and that row's MAC must be `anchor.mac`.
   */
  readonly anchor?: AuditChainHead;
}

/**
 * Walks the trail in sequence order and names the first row that is not what was written: a gap
 * (deleted rows), a row whose link to its predecessor is wrong (reordered, or inserted where
 * another was), a row whose MAC does not match its content (modified or forged), rows beyond the
 * recorded head (inserted at the end), or a head beyond the last row (rows cut off the end).
 *
 * @example
 * const verdict = await verifyAuditChain(key, readRowsInOrder(), await readHead());
 * if (!verdict.ok) console.error(`row ${verdict.seq}: ${verdict.detail}`);
 */
export async function verifyAuditChain(
  key: Uint8Array,
  rows: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  head?: AuditChainHead,
  options: AuditVerifyOptions = {},
): Promise<AuditChainVerdict> {
  const anchor = options.anchor;
  const hmac = new HmacSha256(key);
  let expectedSeq = 1;
  let prevMac = AUDIT_GENESIS_MAC;
  let count = 0;
  const fail = (seq: number, problem: AuditChainProblem, detail: string): AuditChainVerdict => ({ ok: false, rows: count, seq, problem, detail });
  for await (const row of rows) {
    if (head !== undefined && row.seq > head.seq) {
      return fail(row.seq, 'inserted', `row ${row.seq} is beyond the chain head (${head.seq}): a row was added outside the trail writer`);
    }
    if (row.seq < expectedSeq) return fail(row.seq, 'out_of_order', `row ${row.seq} comes after row ${expectedSeq - 1}: sequence numbers are out of order`);
    if (row.seq > expectedSeq) {
      const last = row.seq - 1;
      return fail(expectedSeq, 'missing', last === expectedSeq ? `row ${expectedSeq} is missing (deleted)` : `rows ${expectedSeq}-${last} are missing (deleted)`);
    }
    if (!sameMac(row.prevMac, prevMac)) {
      return fail(row.seq, 'out_of_order', `row ${row.seq} does not follow row ${row.seq - 1}: rows were reordered, or this one was put in another's place`);
    }
    const mac = row.mac;
    if (!sameMac(mac, macOf(hmac, row))) {
      return fail(row.seq, 'modified', `row ${row.seq} does not match its MAC: its content was modified, or the row is forged`);
    }
    if (anchor !== undefined && row.seq === anchor.seq && !sameMac(mac, anchor.mac)) {
      return fail(row.seq, 'head_mismatch', `row ${row.seq} is not the row the external checkpoint recorded: the trail was rewritten from there (with the key)`);
    }
    prevMac = mac;
    expectedSeq += 1;
    count += 1;
  }
  if (anchor !== undefined && anchor.seq > count) {
    return fail(count + 1, 'truncated', `the external checkpoint is at row ${anchor.seq} but the trail ends at row ${count}: rows were deleted from the end and the head rewound`);
  }
  if (head !== undefined) {
    if (head.seq > count) return fail(count + 1, 'truncated', `the chain head is at row ${head.seq} but the trail ends at row ${count}: rows were deleted from the end`);
    if (head.seq === count && count > 0 && !sameMac(head.mac, prevMac)) return fail(count, 'head_mismatch', `the chain head does not match row ${count}`);
  }
  return { ok: true, rows: count, head: { seq: count, mac: prevMac } };
}
