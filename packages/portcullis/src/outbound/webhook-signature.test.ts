import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { signWebhookPayload, verifyWebhookSignature } from './webhook-signature.js';

const secret = `whsec_${randomBytes(32).toString('base64url')}`;
const body = '{"type":"post.published","data":{"id":"p1"}}';
const now = 1_750_000_000;

describe('webhook signatures', () => {
  it('signs t and v1 as HMAC-SHA256 over "<t>.<body>", which a receiver can recompute', () => {
    const header = signWebhookPayload(secret, body, now);
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    assert.equal(header, `t=${now},v1=${expected}`);
    assert.deepEqual(verifyWebhookSignature({ secret, header, body, nowSeconds: now }), { ok: true, timestamp: now });
    assert.deepEqual(verifyWebhookSignature({ secret, header, body: Buffer.from(body), nowSeconds: now + 10 }), { ok: true, timestamp: now });
  });

  it('refuses another body, another secret, or a changed timestamp', () => {
    const header = signWebhookPayload(secret, body, now);
    assert.deepEqual(verifyWebhookSignature({ secret, header, body: `${body} `, nowSeconds: now }), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifyWebhookSignature({ secret: `${secret}x`, header, body, nowSeconds: now }), { ok: false, reason: 'mismatch' });
    const shifted = header.replace(`t=${now}`, `t=${now + 1}`);
    assert.deepEqual(verifyWebhookSignature({ secret, header: shifted, body, nowSeconds: now }), { ok: false, reason: 'mismatch' });
  });

  it('refuses a stale or future timestamp outside the tolerance', () => {
    const header = signWebhookPayload(secret, body, now);
    assert.deepEqual(verifyWebhookSignature({ secret, header, body, nowSeconds: now + 301 }), { ok: false, reason: 'stale' });
    assert.deepEqual(verifyWebhookSignature({ secret, header, body, nowSeconds: now - 301 }), { ok: false, reason: 'stale' });
    assert.equal(verifyWebhookSignature({ secret, header, body, nowSeconds: now + 301, toleranceSeconds: 600 }).ok, true);
  });

  it('accepts any of several secrets or v1 entries (rotation) and ignores unknown schemes', () => {
    const old = `whsec_${randomBytes(32).toString('base64url')}`;
    const header = signWebhookPayload(secret, body, now);
    const other = signWebhookPayload(old, body, now).split(',')[1] as string;
    assert.equal(verifyWebhookSignature({ secret: [old, secret], header, body, nowSeconds: now }).ok, true);
    assert.equal(verifyWebhookSignature({ secret, header: `${header},${other},v2=whatever`, body, nowSeconds: now }).ok, true);
  });

  it('calls malformed headers malformed', () => {
    const v1 = (signWebhookPayload(secret, body, now).split(',')[1] as string).slice(3);
    for (const header of [undefined, '', 'garbage', `v1=${v1}`, `t=${now}`, `t=${now},v1=${v1.slice(1)}`, `t=${now},v1=${v1.toUpperCase()}`, `t=abc,v1=${v1}`, `t=${now},t=${now},v1=${v1}`, `t=${now},v1=${v1}`.padEnd(3000, ',')]) {
      assert.deepEqual(verifyWebhookSignature({ secret, header, body, nowSeconds: now }), { ok: false, reason: 'malformed' }, String(header));
    }
  });

  it('refuses short secrets on both sides', () => {
    assert.throws(() => signWebhookPayload('short', body), { code: 'config.invalid' });
    assert.throws(() => verifyWebhookSignature({ secret: 'short', header: 't=1,v1=00', body }), { code: 'config.invalid' });
    assert.throws(() => verifyWebhookSignature({ secret: [], header: 't=1,v1=00', body }), { code: 'config.invalid' });
  });

  it('verifies what it signs and nothing else, for any body (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (signed, received) => {
        const header = signWebhookPayload(secret, signed, now);
        assert.equal(verifyWebhookSignature({ secret, header, body: received, nowSeconds: now }).ok, signed === received);
      }),
    );
  });

  it('never throws on any header (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        assert.equal(verifyWebhookSignature({ secret, header, body, nowSeconds: now }).ok, false);
      }),
    );
  });
});
