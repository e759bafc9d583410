import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AUDIT_GENESIS_MAC, canonicalJson, deriveAuditChainKey, sealAuditBatch, verifyAuditChain, type AuditRecord } from './audit-chain.js';
import { buildSecurityEvent } from './security-event.js';

const key = deriveAuditChainKey('a-server-secret-of-at-least-32-bytes!!');

function trail(count: number): AuditRecord[] {
  const events = Array.from({ length: count }, (_, i) => buildSecurityEvent('auth.login_failed', { clientAddress: `192.0.2.${i}`, requestId: `r${i}` }, { attempt: i }, 1_700_000_000_000 + i));
  const first = sealAuditBatch(key, undefined, events.slice(0, 3));
  const rest = sealAuditBatch(key, first.head, events.slice(3));
  return [...first.records, ...rest.records];
}

const headOf = (records: readonly AuditRecord[]) => ({ seq: records.at(-1)?.seq ?? 0, mac: records.at(-1)?.mac ?? AUDIT_GENESIS_MAC });

describe('audit hash chain (E3)', () => {
  it('chains batches into one sequence that verifies', async () => {
    const records = trail(8);
    assert.deepEqual(records.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(records[0]?.prevMac, AUDIT_GENESIS_MAC);
    assert.equal(records[3]?.prevMac, records[2]?.mac, 'the second batch links to the first');
    const verdict = await verifyAuditChain(key, records, headOf(records));
    assert.deepEqual(verdict, { ok: true, rows: 8, head: headOf(records) });
    assert.deepEqual(await verifyAuditChain(key, [], { seq: 0, mac: AUDIT_GENESIS_MAC }), { ok: true, rows: 0, head: { seq: 0, mac: AUDIT_GENESIS_MAC } });
  });

  it('names the first modified row', async () => {
    const records = trail(8);
    records[4] = { ...records[4]!, clientAddress: '203.0.113.9' };
    records[6] = { ...records[6]!, outcome: 'success' };
    const verdict = await verifyAuditChain(key, records, headOf(trail(8)));
    assert.equal(verdict.ok, false);
    assert.ok(!verdict.ok && verdict.seq === 5 && verdict.problem === 'modified', JSON.stringify(verdict));
  });

  it('names a deleted row, rows cut off the end, a forged row, and reordered rows', async () => {
    const records = trail(8);
    const head = headOf(records);
    const deleted = records.filter((r) => r.seq !== 4);
    assert.deepEqual(pick(await verifyAuditChain(key, deleted, head)), { seq: 4, problem: 'missing' });

    assert.deepEqual(pick(await verifyAuditChain(key, records.slice(0, 6), head)), { seq: 7, problem: 'truncated' });

    const last = records.at(-1)!;
    const forged = { ...last, seq: 9, prevMac: last.mac, event: 'auth.login_succeeded', mac: 'f'.repeat(64) };
    assert.deepEqual(pick(await verifyAuditChain(key, [...records, forged], head)), { seq: 9, problem: 'inserted' });
    assert.deepEqual(pick(await verifyAuditChain(key, [...records, forged], { seq: 9, mac: forged.mac })), { seq: 9, problem: 'modified' }, 'a rewound head does not make a forged row verify');

    // Two rows swap places (their sequence numbers with them, as an UPDATE of seq would do).
    const swapped = records.map((r) => (r.seq === 3 ? { ...records[4]!, seq: 3 } : r.seq === 5 ? { ...records[2]!, seq: 5 } : r));
    assert.deepEqual(pick(await verifyAuditChain(key, swapped, head)), { seq: 3, problem: 'out_of_order' });
  });

  it('a tail cut off with the head rewound passes on its own, and fails against an external anchor', async () => {
    const records = trail(6);
    const anchor = headOf(records);
    const cut = records.slice(0, 4);
    // Deleting rows and rewinding the head needs no key: the database alone cannot tell.
    assert.equal(pick(await verifyAuditChain(key, cut, headOf(cut))), 'ok');
    assert.deepEqual(pick(await verifyAuditChain(key, cut, headOf(cut), { anchor })), { seq: 5, problem: 'truncated' });
    assert.equal(pick(await verifyAuditChain(key, records, anchor, { anchor })), 'ok');
    assert.equal(pick(await verifyAuditChain(key, records, anchor, { anchor: headOf(cut) })), 'ok', 'an older anchor inside the trail');
    assert.deepEqual(pick(await verifyAuditChain(key, records, anchor, { anchor: { seq: 4, mac: 'f'.repeat(64) } })), { seq: 4, problem: 'head_mismatch' });
  });

  it('a MAC under another key does not verify', async () => {
    const records = trail(3);
    const other = deriveAuditChainKey('another-server-secret-of-32-bytes-or-more');
    assert.deepEqual(pick(await verifyAuditChain(other, records, headOf(records))), { seq: 1, problem: 'modified' });
    assert.throws(() => deriveAuditChainKey('short'), /32 bytes/);
  });

  it('canonical JSON: the same text whatever the key order (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 })), { noNullPrototype: true }), (fields) => {
        const reversed = Object.fromEntries(Object.entries(fields).reverse());
        assert.equal(canonicalJson(fields), canonicalJson(reversed));
        assert.deepEqual(JSON.parse(canonicalJson(fields)), fields);
      }),
    );
  });

  it('any single-field edit of any row is caught at that row (property)', async () => {
    const records = trail(6);
    const head = headOf(records);
    const editable = ['at', 'event', 'requestId', 'principal', 'clientAddress', 'method', 'route', 'outcome', 'fields'] as const;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 }), fc.constantFrom(...editable), fc.string({ minLength: 1, maxLength: 12 }), async (index, field, value) => {
        const original = records[index]!;
        fc.pre(String(original[field]) !== value);
        const tampered = records.map((r, i) => (i === index ? { ...r, [field]: value } : r));
        assert.deepEqual(pick(await verifyAuditChain(key, tampered, head)), { seq: index + 1, problem: 'modified' });
      }),
      { numRuns: 100 },
    );
  });
});

function pick(verdict: Awaited<ReturnType<typeof verifyAuditChain>>): { seq: number; problem: string } | 'ok' {
  return verdict.ok ? 'ok' : { seq: verdict.seq, problem: verdict.problem };
}
