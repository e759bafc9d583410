import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson, sealAuditBatch, verifyAuditChain, type AuditChainHead } from './audit-chain.js';
import { buildSecurityEvent, type SecurityEvent, type SecurityFieldValue } from './security-event.js';
import { SECURITY_EVENT_NAMES } from './security-event-catalogue.js';

// The chain's format is frozen: rows written by earlier versions must keep verifying, and rows
// written now must verify with earlier verifiers. The sealer was made cheaper (precomputed HMAC
// pads, no row copies, a sort skipped when keys are in order, cached timestamps); these tests pin
// its output to (1) MACs recorded from the createHmac implementation, and (2) a straightforward
// reference sealer (createHmac over JSON.stringify of the row, the original canonical JSON) over
// random events.

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

/** The canonical JSON as first written (members collected, sorted with sort(), joined). */
function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => referenceCanonicalJson(item)).join(',')}]`;
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    members.push(`${JSON.stringify(key)}:${referenceCanonicalJson(member)}`);
  }
  return `{${members.join(',')}}`;
}

function referenceSeal(key: Uint8Array, head: AuditChainHead, events: readonly SecurityEvent[]): string[] {
  let prevMac = head.mac;
  return events.map((event, index) => {
    const input = JSON.stringify([1, head.seq + index + 1, event.at, event.event, event.requestId, event.principal, event.clientAddress, event.method, event.route, event.outcome, referenceCanonicalJson(event.fields), prevMac]);
    prevMac = createHmac('sha256', key).update(input, 'utf8').digest('hex');
    return prevMac;
  });
}

/** Any text, lone surrogates, quotes, backslashes and control characters included. */
const anyText = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 40 }));
const fieldValue: fc.Arbitrary<SecurityFieldValue> = fc.oneof(anyText, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(anyText, { maxLength: 4 }));
const fieldName = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/), anyText, fc.constantFrom('10', '9', '0', '__proto__', 'constructor'));
const event: fc.Arbitrary<SecurityEvent> = fc.record({
  event: fc.constantFrom(...SECURITY_EVENT_NAMES),
  at: fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms).toISOString()),
  requestId: fc.option(anyText),
  principal: fc.option(anyText),
  clientAddress: fc.option(anyText),
  method: fc.option(anyText),
  route: fc.option(anyText),
  outcome: fc.constantFrom('success', 'failure', 'denied', 'blocked', 'detected', 'changed', 'error' as const),
  fields: fc.dictionary(fieldName, fieldValue, { maxKeys: 6 }),
});

describe('audit chain format (E3)', () => {
  it('seals to the MACs the createHmac implementation wrote (recorded), including built events', () => {
    const literal: SecurityEvent[] = [
      { event: 'auth.login_failed', at: '2025-06-01T12:00:00.000Z', requestId: 'r-1', principal: null, clientAddress: '192.0.2.1', method: 'POST', route: '/v1/auth/login', outcome: 'failure', fields: { reason: 'wrong_password' } },
      { event: 'post.created', at: '2025-06-01T12:00:00.999Z', requestId: null, principal: 'user:ü "q" \\ \u0001 😀', clientAddress: null, method: null, route: null, outcome: 'success', fields: { zeta: 1, alpha: 'x', mid: null, flag: true, scopes: ['b', 'a', 'é'], neg: -0.5, big: 1e21 } },
      { event: 'alert.raised', at: '1969-12-31T23:59:59.999Z', requestId: 'r-3', principal: 'api_key:k1', clientAddress: '2001:db8::1', method: 'GET', route: '/v1/posts/:id', outcome: 'detected', fields: {} },
    ];
    const built = [
      buildSecurityEvent('auth.login_failed', { clientAddress: '192.0.2.1', requestId: 'r1', route: '/v1/auth/login', method: 'POST' }, { password: 'hunter2', note: 'Bearer abc.def and password=s3cret', reason: 'wrong_password', scopes: ['posts:read'], n: Number.NaN }, 1_748_779_200_123),
      buildSecurityEvent('post.created', { principal: 'user:u1', outcome: 'success' }, { postId: 'p1' }, -1),
    ];
    assert.deepEqual(
      built.map((one) => [one.at, one.fields]),
      [
        ['2025-06-01T12:00:00.123Z', { password: '[REDACTED]', note: 'Bearer [REDACTED] and password=[REDACTED]', reason: 'wrong_password', scopes: ['posts:read'], n: null }],
        ['1969-12-31T23:59:59.999Z', { postId: 'p1' }],
      ],
    );
    const sealed = sealAuditBatch(KEY, { seq: 41, mac: 'f'.repeat(64) }, [...literal, ...built]);
    assert.deepEqual(
      sealed.records.map((record) => [record.seq, record.mac]),
      [
        [42, '3c33f52241c1e442e46c1f299c1e9c306fb983026175b235a3c758dc282ae6f3'],
        [43, 'fba51a993767a83a7441158601a26b85a4625fc2bf562a6bf287a52426569e5a'],
        [44, '4a02ae30a6f6421cfa5567afaffc9ee476851287760f3b5576dde077c108010d'],
        [45, '904e98507af545efa8a6708cf35329cec06a5a613d42bc530963b902066fb9cc'],
        [46, 'bc4e89c5c048b99ecc0760f976f3b9b43b65f41e9ee476f68ac7c2fa1b5f7542'],
      ],
    );
    assert.equal(sealed.records[1]?.fields, '{"alpha":"x","big":1e+21,"flag":true,"mid":null,"neg":-0.5,"scopes":["b","a","é"],"zeta":1}');
    assert.deepEqual(sealed.head, { seq: 46, mac: 'bc4e89c5c048b99ecc0760f976f3b9b43b65f41e9ee476f68ac7c2fa1b5f7542' });
  });

  it('seals exactly as the reference sealer for random events and keys, and the rows verify (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 100 }), fc.array(event, { minLength: 1, maxLength: 8 }), fc.nat({ max: 1_000_000 }), async (key, events, seq) => {
        const head = { seq, mac: 'a'.repeat(64) };
        const sealed = sealAuditBatch(key, head, events);
        assert.deepEqual(sealed.records.map((record) => record.mac), referenceSeal(key, head, events));
        assert.deepEqual(sealed.records.map((record) => record.fields), events.map((one) => referenceCanonicalJson(one.fields)));
        assert.deepEqual(sealed.records.map((record) => record.fields), events.map((one) => canonicalJson(one.fields)));
        // The verifier recomputes the same MACs: rows from seq+1 verify as a chain after `head`.
        const renumbered = sealAuditBatch(key, undefined, events);
        const verdict = await verifyAuditChain(key, renumbered.records, renumbered.head);
        assert.ok(verdict.ok, JSON.stringify(verdict));
      }),
      { numRuns: 500 },
    );
  });
});
