import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildSecurityEvent, deriveAuditChainKey, verifyAuditChain } from 'portcullis/audit';
import { describeEachDatabase } from '../test-support/databases.js';
import { migrateToLatest } from './migrate.js';
import { openDatabase, type AppDatabase } from './open-database.js';
import { readAuditHead, readAuditRecords, readRowsBeyondHead, sqlAuditTrail } from './audit-repository.js';

// E3 against a live trail: the verifier reads the head, then pages the rows; the server keeps
// appending in between. Rows appended after the head was read must not look inserted, and a row
// added beyond the head outside the writer must still be found.

describeEachDatabase('audit repository: verifying a live trail (E3)', (target) => {
  const key = deriveAuditChainKey(randomBytes(48).toString('base64url'));
  let database: AppDatabase;
  before(async () => {
    database = await openDatabase(target.target);
    await migrateToLatest(database.db);
  });
  after(async () => {
    await database?.close();
  });

  const events = (count: number, tag: string) =>
    Array.from({ length: count }, (_, index) => buildSecurityEvent('auth.login_failed', { clientAddress: '192.0.2.1', requestId: `${tag}-${index}` }, { reason: 'wrong_password' }));

  it('rows appended after the head was read do not make verify report an insertion', async () => {
    const trail = sqlAuditTrail(database.db, key);
    await trail.append(events(5, 'first'));
    const head = await readAuditHead(database.db);
    assert.ok(head !== undefined);
    // Another instance appends while the verifier pages (small pages: several queries).
    await trail.append(events(3, 'meanwhile'));
    const verdict = await verifyAuditChain(key, readAuditRecords(database.db, 2, head.seq), head);
    assert.deepEqual(verdict.ok && { rows: verdict.rows, seq: verdict.head.seq }, { rows: head.seq, seq: head.seq });
    // Without the bound the same walk calls the later rows forged (the defect this guards).
    const unbounded = await verifyAuditChain(key, readAuditRecords(database.db, 2), head);
    assert.equal(unbounded.ok ? 'ok' : unbounded.problem, 'inserted');
    const later = await readRowsBeyondHead(database.db);
    assert.deepEqual({ maxSeq: later.maxSeq, head: later.head?.seq }, { maxSeq: head.seq + 3, head: head.seq + 3 });
  });

  it('a row stored beyond the current head is still seen after the bounded walk', async () => {
    const records = await database.db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(1).execute();
    const last = records[0]!;
    await database.db.insertInto('audit_events').values({ ...last, seq: Number(last.seq) + 1, prev_mac: last.mac, mac: 'a'.repeat(64) }).execute();
    const later = await readRowsBeyondHead(database.db);
    assert.equal(later.maxSeq, Number(last.seq) + 1);
    assert.equal(later.head?.seq, Number(last.seq));
  });
});
