import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { SignJWT, UnsecuredJWT, createLocalJWKSet, jwtVerify } from 'jose';
import { createAccessTokenKeys, createAccessTokenVerifier, signAccessToken, type AccessTokenAlgorithm } from './index.js';
import { AUDIENCE, ISSUER, NOW, NOW_MS, assertRefused, fixedClock, newEd25519, newP256, newSecret } from './tokens.test-helpers.js';

/**
 * Cross-checks with jose, an independent JOSE implementation: what we sign, jose verifies; what
 * jose signs with the same key, we verify; and what jose refuses to trust, we refuse too.
 */

interface Fixture {
  algorithm: AccessTokenAlgorithm;
  signingKey: KeyObject | Buffer;
  verifyingKey: KeyObject | Buffer;
}

function fixtures(): Fixture[] {
  const secret = newSecret();
  const ed = newEd25519();
  const ec = newP256();
  return [
    { algorithm: 'HS256', signingKey: secret, verifyingKey: secret },
    { algorithm: 'EdDSA', signingKey: ed.privateKey, verifyingKey: ed.publicKey },
    { algorithm: 'ES256', signingKey: ec.privateKey, verifyingKey: ec.publicKey },
  ];
}

const currentDate = new Date(NOW_MS);

describe('access tokens: cross-checked with jose', () => {
  for (const { algorithm, signingKey, verifyingKey } of fixtures()) {
    const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm, key: signingKey } });
    const ours = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: fixedClock });

    it(`${algorithm}: a token we sign verifies in jose (algorithm pinned, typ JWT, iss, aud, exp checked)`, async () => {
      const { token, jti } = signAccessToken(keys, { sub: 'user_1', role: 'member', sid: 'sess_1' }, { issuer: ISSUER, audience: AUDIENCE, now: fixedClock });
      const { payload, protectedHeader } = await jwtVerify(token, verifyingKey, { algorithms: [algorithm], issuer: ISSUER, audience: AUDIENCE, typ: 'JWT', currentDate });
      assert.deepEqual(protectedHeader, { alg: algorithm, typ: 'JWT', kid: 'k1' });
      assert.equal(payload.sub, 'user_1');
      assert.equal(payload.role, 'member');
      assert.equal(payload.jti, jti);
      assert.equal(payload.exp, NOW + 900);
    });

    it(`${algorithm}: a token jose signs with the same key verifies in ours (its header is parsed, not matched)`, async () => {
      const token = await new SignJWT({ role: 'admin', sid: 'sess_9' })
        .setProtectedHeader({ kid: 'k1', typ: 'JWT', alg: algorithm })
        .setSubject('user_9')
        .setIssuer(ISSUER)
        .setAudience([AUDIENCE, 'https://other.example'])
        .setIssuedAt(NOW)
        .setNotBefore(NOW)
        .setExpirationTime(NOW + 900)
        .setJti('jose-made-id-0001')
        .sign(signingKey);
      const claims = ours.verify(token);
      assert.equal(claims.sub, 'user_9');
      assert.equal(claims.role, 'admin');
      assert.equal(claims.sid, 'sess_9');
      assert.deepEqual(claims.aud, [AUDIENCE, 'https://other.example']);
    });

    it(`${algorithm}: a jose token under another key, another kid or expired is refused by ours`, async () => {
      const other = fixtures().find((fixture) => fixture.algorithm === algorithm)!;
      const base = () => new SignJWT({ role: 'admin' }).setSubject('u').setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(NOW).setJti('j');
      assertRefused(() => ours.verify(''), 'auth.token_invalid');
      const wrongKey = await base().setProtectedHeader({ alg: algorithm, typ: 'JWT', kid: 'k1' }).setExpirationTime(NOW + 900).sign(other.signingKey);
      assertRefused(() => ours.verify(wrongKey));
      const wrongKid = await base().setProtectedHeader({ alg: algorithm, typ: 'JWT', kid: 'k2' }).setExpirationTime(NOW + 900).sign(signingKey);
      assertRefused(() => ours.verify(wrongKid));
      const expired = await base().setProtectedHeader({ alg: algorithm, typ: 'JWT', kid: 'k1' }).setIssuedAt(NOW - 2000).setExpirationTime(NOW - 1000).sign(signingKey);
      assertRefused(() => ours.verify(expired), 'auth.token_expired');
    });
  }

  it('our published JWKS verifies our EdDSA and ES256 tokens in jose (createLocalJWKSet)', async () => {
    const ed = newEd25519();
    const ec = newP256();
    const keys = createAccessTokenKeys({ current: { kid: 'ed', algorithm: 'EdDSA', key: ed.privateKey }, previous: [{ kid: 'ec', algorithm: 'ES256', key: ec.privateKey, retireAt: NOW + 900 }] });
    const before = createAccessTokenKeys({ current: { kid: 'ec', algorithm: 'ES256', key: ec.privateKey } });
    const jwks = createLocalJWKSet(JSON.parse(JSON.stringify(keys.publicJwks(NOW_MS))));
    for (const ring of [keys, before]) {
      const { token } = signAccessToken(ring, { sub: 'user_1', role: 'member' }, { issuer: ISSUER, audience: AUDIENCE, now: fixedClock });
      const { payload } = await jwtVerify(token, jwks, { issuer: ISSUER, audience: AUDIENCE, currentDate });
      assert.equal(payload.sub, 'user_1');
    }
  });

  it('an unsecured (alg none) token made by jose is refused by ours', () => {
    const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: newSecret() } });
    const ours = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: fixedClock });
    const unsecured = new UnsecuredJWT({ role: 'admin', jti: 'x' }).setSubject('u').setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(NOW).setExpirationTime(NOW + 900).encode();
    assertRefused(() => ours.verify(unsecured));
    assertRefused(() => ours.verify(`${unsecured}AAAA`));
  });
});
