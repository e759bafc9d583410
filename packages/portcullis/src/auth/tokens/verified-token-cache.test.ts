import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAccessTokenKeys, createAccessTokenVerifier, signAccessToken } from './index.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { AUDIENCE, ISSUER, NOW, NOW_MS, assertRefused, newEd25519, newSecret } from './tokens.test-helpers.js';

/** A clock the test moves. */
function movableClock(): { now: () => number; advance: (seconds: number) => void } {
  let ms = NOW_MS;
  return { now: () => ms, advance: (seconds) => (ms += seconds * 1000) };
}

/** The token with one signature character changed (not the last, whose low bits are padding). */
function changeSignatureChar(token: string): string {
  const at = token.length - 5;
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
}

describe('VerifiedTokenCache', () => {
  it('holds at most its capacity, giving way oldest first', () => {
    const cache = new VerifiedTokenCache<number>(3);
    for (let i = 0; i < 10; i++) cache.remember(`t${i}`, i);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('t6'), undefined);
    assert.deepEqual([cache.get('t7'), cache.get('t8'), cache.get('t9')], [7, 8, 9]);
  });

  it('answers only the exact token remembered, though tokens ending alike share a slot', () => {
    const cache = new VerifiedTokenCache<string>(10);
    const signature = 'S'.repeat(43);
    const genuine = `header.payload.${signature}`;
    const forged = `header.payloadX.${signature}`;
    cache.remember(genuine, 'genuine');
    assert.equal(cache.get(genuine), 'genuine');
    assert.equal(cache.get(forged), undefined, 'same signature tail, other claims: a miss');
    assert.equal(cache.get(signature), undefined, 'the tail alone: a miss');
    cache.forget(forged);
    assert.equal(cache.get(genuine), 'genuine', 'forgetting a lookalike leaves the remembered token');
    cache.remember(forged, 'other');
    assert.equal(cache.size, 1);
    assert.equal(cache.get(genuine), undefined);
    assert.equal(cache.get(forged), 'other');
    cache.forget(forged);
    assert.equal(cache.size, 0);
  });

  it('with capacity 0 remembers nothing', () => {
    const cache = new VerifiedTokenCache<number>(0);
    cache.remember('t', 1);
    assert.equal(cache.size, 0);
    assert.equal(cache.get('t'), undefined);
  });
});

describe('access token verifier: remembered tokens', () => {
  const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: newSecret() } });

  it('remembers a verified token and answers its reuse with the same claims', () => {
    const clock = movableClock();
    const verifier = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: clock.now });
    const { token } = signAccessToken(keys, { sub: 'user_1', role: 'member' }, { issuer: ISSUER, audience: AUDIENCE, now: clock.now });
    const first = verifier.verify(token);
    assert.equal(verifier.cachedTokens, 1);
    const again = verifier.verify(token);
    assert.equal(again, first);
    assert.equal(again.sub, 'user_1');
    assert.ok(Object.isFrozen(again));
  });

  it('never remembers a refused token, and a one-character change of a remembered one is verified afresh and refused', () => {
    const verifier = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS });
    const { token } = signAccessToken(keys, { sub: 'user_1', role: 'member' }, { issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS });
    verifier.verify(token);
    const tampered = changeSignatureChar(token);
    for (let i = 0; i < 3; i++) assertRefused(() => verifier.verify(tampered), 'auth.token_invalid');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const otherClaims = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin' })).toString('base64url');
    assertRefused(() => verifier.verify(`${header}.${otherClaims}.${signature}`), 'auth.token_invalid');
    assert.equal(verifier.cachedTokens, 1, 'only the genuine token is remembered');
  });

  it('refuses a remembered token once it expires, as auth.token_expired, and forgets it', () => {
    const clock = movableClock();
    const verifier = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: clock.now, clockToleranceSeconds: 0 });
    const { token } = signAccessToken(keys, { sub: 'user_1', role: 'member' }, { issuer: ISSUER, audience: AUDIENCE, now: clock.now, ttlSeconds: 60 });
    verifier.verify(token);
    clock.advance(59);
    verifier.verify(token);
    clock.advance(1);
    assertRefused(() => verifier.verify(token), 'auth.token_expired');
    assert.equal(verifier.cachedTokens, 0);
    assertRefused(() => verifier.verify(token), 'auth.token_expired');
  });

  it('refuses a remembered token of a previous key from its retireAt on', () => {
    const clock = movableClock();
    const old = newEd25519();
    const oldRing = createAccessTokenKeys({ current: { kid: 'old', algorithm: 'EdDSA', key: old.privateKey } });
    const ring = createAccessTokenKeys({
      current: { kid: 'new', algorithm: 'HS256', key: newSecret() },
      previous: [{ kid: 'old', algorithm: 'EdDSA', key: old.publicKey, retireAt: NOW + 30 }],
    });
    const verifier = createAccessTokenVerifier({ keys: ring, issuer: ISSUER, audience: AUDIENCE, now: clock.now });
    const { token } = signAccessToken(oldRing, { sub: 'user_1', role: 'member' }, { issuer: ISSUER, audience: AUDIENCE, now: clock.now });
    verifier.verify(token);
    clock.advance(29);
    verifier.verify(token);
    clock.advance(1);
    assertRefused(() => verifier.verify(token), 'auth.token_invalid');
    assert.equal(verifier.cachedTokens, 0);
  });

  it('stays within cacheSize, and cacheSize 0 turns remembering off', () => {
    const bounded = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS, cacheSize: 2 });
    const off = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS, cacheSize: 0 });
    for (let i = 0; i < 5; i++) {
      const { token } = signAccessToken(keys, { sub: `user_${i}`, role: 'member' }, { issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS });
      assert.equal(bounded.verify(token).sub, `user_${i}`);
      assert.equal(off.verify(token).sub, `user_${i}`);
    }
    assert.equal(bounded.cachedTokens, 2);
    assert.equal(off.cachedTokens, 0);
  });

  it('refuses a cacheSize out of range', () => {
    for (const cacheSize of [-1, 1.5, Number.NaN, 1_000_001]) {
      assertRefused(() => createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, cacheSize }), 'config.invalid');
    }
  });
});
