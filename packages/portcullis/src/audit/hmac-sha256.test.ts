import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { HmacSha256 } from './hmac-sha256.js';

// The audit chain's MACs must stay what createHmac computed when the rows were written: any
// difference would make `audit verify` call every existing row modified.

const reference = (key: Uint8Array, message: string): string => createHmac('sha256', key).update(message, 'utf8').digest('hex');

/** Any UTF-16 unit, lone surrogates included: text that is not well-formed UTF-16 must encode as createHmac encodes it. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const message = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: anyUnit, maxLength: 300 }),
  // Longer than the scratch buffer starts with: it has to grow without truncating.
  fc.string({ unit: 'binary', minLength: 1000, maxLength: 5000 }),
);
/** Short keys are zero-padded, keys past the 64-byte block are hashed first (RFC 2104): both sides of 64. */
const key = fc.uint8Array({ minLength: 0, maxLength: 200 });

describe('HMAC-SHA256 from precomputed pads (E3)', () => {
  it('equals createHmac for random keys and messages, including lone surrogates and long text', () => {
    fc.assert(
      fc.property(key, fc.array(message, { minLength: 1, maxLength: 4 }), (secret, messages) => {
        const mac = new HmacSha256(secret);
        // One instance, several messages: the scratch buffer is reused (and may grow) between them.
        for (const text of messages) assert.equal(mac.hex(text), reference(secret, text));
      }),
      { numRuns: 2000 },
    );
  });

  it('equals createHmac at the block-size edges and for the RFC 4231 test case 2', () => {
    for (const length of [0, 1, 31, 32, 33, 63, 64, 65, 128, 131]) {
      const secret = Uint8Array.from({ length }, (_, index) => (index * 37 + 11) & 0xff);
      const mac = new HmacSha256(secret);
      for (const text of ['', 'a', 'x'.repeat(64), 'é€😀', '\ud800 lone', 'y'.repeat(3000), 'short again']) assert.equal(mac.hex(text), reference(secret, text), `key ${length} bytes`);
    }
    // RFC 4231, test case 2.
    assert.equal(new HmacSha256(Buffer.from('Jefe')).hex('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});
