import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { hashOpaqueToken, looksLikeOpaqueToken, newOpaqueToken, sameTokenHash } from './opaque-token.js';

const secret = randomBytes(32);

describe('newOpaqueToken', () => {
  it('is 256 random bits as 43 base64url characters', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newOpaqueToken()));
    assert.equal(tokens.size, 1000);
    for (const token of tokens) {
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(token, 'base64url').length, 32);
      assert.ok(looksLikeOpaqueToken(token));
    }
  });

  it('takes another size between 16 and 64 bytes, and refuses the rest', () => {
    assert.equal(newOpaqueToken(16).length, 22);
    assert.ok(looksLikeOpaqueToken(newOpaqueToken(64), { bytes: 64 }));
    for (const bytes of [0, 8, 15, 65, 1.5, Number.NaN]) assert.throws(() => newOpaqueToken(bytes), { code: 'config.invalid' });
  });
});

describe('looksLikeOpaqueToken', () => {
  const token = newOpaqueToken();

  it('refuses wrong length, alphabet, padding and non-canonical spellings', () => {
    const lastBitsSet = `${token.slice(0, 42)}B`; // 43rd character must encode two zero bits: A, Q, g or w
    for (const bad of ['', token.slice(1), `${token}A`, `${token.slice(0, 42)}+`, `${token.slice(0, 42)}=`, `${token.slice(0, 42)}.`, lastBitsSet, ` ${token.slice(1)}`]) {
      assert.equal(looksLikeOpaqueToken(bad), false, bad);
    }
    for (const other of [undefined, null, 42, {}, [token]]) assert.equal(looksLikeOpaqueToken(other), false);
    assert.equal(looksLikeOpaqueToken(newOpaqueToken(16)), false);
  });

  it('never throws and accepts only canonical 43-character base64url', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ minLength: 43, maxLength: 43 }), fc.anything()), (input) => {
        const looks = looksLikeOpaqueToken(input);
        if (looks) assert.equal(Buffer.from(input, 'base64url').toString('base64url'), input);
        // Not String(input): fc.anything() can build objects whose toString is not a function.
        const text = typeof input === 'string' ? input : JSON.stringify(input) ?? '';
        assert.equal(hashOpaqueToken(text, secret) === undefined, !looksLikeOpaqueToken(text));
      }),
    );
  });
});

describe('hashOpaqueToken and sameTokenHash', () => {
  it('hashes deterministically under the secret, never echoing the token', () => {
    const token = newOpaqueToken();
    const hash = hashOpaqueToken(token, secret);
    assert.match(hash as string, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(hashOpaqueToken(token, secret), hash);
    assert.notEqual(hashOpaqueToken(token, randomBytes(32)), hash);
    assert.notEqual(hashOpaqueToken(newOpaqueToken(), secret), hash);
    assert.notEqual(hash, token);
  });

  it('refuses malformed tokens before hashing and short secrets always', () => {
    assert.equal(hashOpaqueToken('x'.repeat(10_000_000), secret), undefined);
    assert.equal(hashOpaqueToken('', secret), undefined);
    assert.throws(() => hashOpaqueToken(newOpaqueToken(), randomBytes(16)), { code: 'config.invalid' });
    assert.throws(() => hashOpaqueToken('junk', 'short'), { code: 'config.invalid' });
    assert.equal(typeof hashOpaqueToken(newOpaqueToken(), 'a server secret of 32 characters!'), 'string');
  });

  it('compares hashes: equal, different, different length, empty', () => {
    const hash = hashOpaqueToken(newOpaqueToken(), secret) as string;
    assert.equal(sameTokenHash(hash, `${hash}`), true);
    assert.equal(sameTokenHash(hash, hashOpaqueToken(newOpaqueToken(), secret) as string), false);
    assert.equal(sameTokenHash(hash, hash.slice(1)), false);
    assert.equal(sameTokenHash('', ''), false);
    assert.equal(sameTokenHash(hash, undefined as unknown as string), false);
  });
});
