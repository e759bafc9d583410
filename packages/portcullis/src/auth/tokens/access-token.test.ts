import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createAccessTokenKeys, createAccessTokenVerifier, signAccessToken, type AccessTokenAlgorithm, type AccessTokenKeyMaterial } from './index.js';
import { AUDIENCE, ISSUER, NOW, NOW_MS, assertRefused, fixedClock, newEd25519, newP256, newSecret } from './tokens.test-helpers.js';

const signOptions = { issuer: ISSUER, audience: AUDIENCE, now: fixedClock };

function decodeSegment(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const materials: { algorithm: AccessTokenAlgorithm; form: string; key: () => AccessTokenKeyMaterial }[] = [
  { algorithm: 'HS256', form: 'bytes', key: () => newSecret() },
  { algorithm: 'HS256', form: 'string', key: () => newSecret().toString('hex') },
  { algorithm: 'HS256', form: 'KeyObject', key: () => createSecretKey(newSecret()) },
  { algorithm: 'HS256', form: 'oct JWK', key: () => ({ kty: 'oct', k: newSecret().toString('base64url') }) },
  { algorithm: 'EdDSA', form: 'KeyObject', key: () => newEd25519().privateKey },
  { algorithm: 'EdDSA', form: 'PEM', key: () => newEd25519().privateKey.export({ format: 'pem', type: 'pkcs8' }) as string },
  { algorithm: 'EdDSA', form: 'JWK', key: () => newEd25519().privateKey.export({ format: 'jwk' }) },
  { algorithm: 'ES256', form: 'KeyObject', key: () => newP256().privateKey },
  { algorithm: 'ES256', form: 'PEM', key: () => newP256().privateKey.export({ format: 'pem', type: 'pkcs8' }) as string },
  { algorithm: 'ES256', form: 'SEC1 PEM', key: () => newP256().privateKey.export({ format: 'pem', type: 'sec1' }) as string },
  { algorithm: 'ES256', form: 'JWK', key: () => newP256().privateKey.export({ format: 'jwk' }) },
];

describe('access tokens: round trip', () => {
  for (const { algorithm, form, key } of materials) {
    it(`${algorithm} from ${form}: signs {alg, typ, kid} and the A3 claims, and verifies`, () => {
      const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm, key: key() } });
      const signed = signAccessToken(keys, { sub: 'user_1', role: 'member', sid: 'sess_1' }, signOptions);
      assert.deepEqual(decodeSegment(signed.token, 0), { alg: algorithm, typ: 'JWT', kid: 'k1' });
      const payload = decodeSegment(signed.token, 1);
      assert.deepEqual(Object.keys(payload).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub']);
      assert.equal(payload.iat, NOW);
      assert.equal(payload.exp, NOW + 900, 'default lifetime is 15 minutes');
      assert.equal(signed.expiresIn, 900);
      assert.equal(signed.expiresAt, NOW + 900);
      assert.equal(payload.jti, signed.jti);

      const verifier = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: fixedClock });
      const verified = verifier.verify(signed.token);
      assert.equal(verified.sub, 'user_1');
      assert.equal(verified.role, 'member');
      assert.equal(verified.sid, 'sess_1');
      assert.equal(verified.jti, signed.jti);
      assert.ok(Object.isFrozen(verified));
    });
  }

  it('draws a fresh 128-bit jti for every token', () => {
    const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: newSecret() } });
    const ids = new Set(Array.from({ length: 200 }, () => signAccessToken(keys, { sub: 'u', role: 'r' }, signOptions).jti));
    assert.equal(ids.size, 200);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/, '16 random bytes, base64url');
  });

  it('accepts any one of several configured audiences, and a token naming several', () => {
    const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: newSecret() } });
    const { token } = signAccessToken(keys, { sub: 'u', role: 'r' }, { ...signOptions, audience: ['https://other.example', AUDIENCE] });
    assert.deepEqual(decodeSegment(token, 1).aud, ['https://other.example', AUDIENCE]);
    assert.equal(createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: fixedClock }).verify(token).sub, 'u');
    assert.equal(createAccessTokenVerifier({ keys, issuer: ISSUER, audience: ['x', 'https://other.example'], now: fixedClock }).verify(token).sub, 'u');
  });

  it('honours ttlSeconds and refuses lifetimes outside 1..86,400 s', () => {
    const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: newSecret() } });
    assert.equal(signAccessToken(keys, { sub: 'u', role: 'r' }, { ...signOptions, ttlSeconds: 60 }).expiresAt, NOW + 60);
    for (const ttlSeconds of [0, -1, 1.5, 86_401, Number.NaN]) {
      assertRefused(() => signAccessToken(keys, { sub: 'u', role: 'r' }, { ...signOptions, ttlSeconds }), 'config.invalid', `ttl ${ttlSeconds}`);
    }
  });

  it('refuses to sign without sub or role, with a registered claim as an extra, or with a non-plain extra', () => {
    const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: newSecret() } });
    const subjects: Record<string, unknown>[] = [
      { role: 'r' },
      { sub: '', role: 'r' },
      { sub: 'u' },
      { sub: 'u', role: 'r', exp: 9_999_999_999 },
      { sub: 'u', role: 'r', iss: 'evil' },
      { sub: 'u', role: 'r', aud: 'evil' },
      { sub: 'u', role: 'r', jti: 'fixed' },
      { sub: 'u', role: 'r', nested: { admin: true } },
      { sub: 'u', role: 'r', 'bad name': 'x' },
      { sub: 'u', role: 'r', big: 'x'.repeat(200) },
      { sub: 'u', role: 'r', a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9 },
    ];
    for (const subject of subjects) {
      assertRefused(() => signAccessToken(keys, subject as never, signOptions), 'config.invalid', JSON.stringify(subject));
    }
  });

  it('refuses to mint a token longer than the verifier would take', () => {
    const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: newSecret() } });
    const subject = { sub: 'u'.repeat(256), role: 'r', a: ['x'.repeat(128), 'y'.repeat(128)] };
    assert.ok(signAccessToken(keys, subject, signOptions).token.length < 2048);
    assertRefused(() => signAccessToken(keys, subject, { ...signOptions, maxTokenLength: 512 }), 'config.invalid');
  });
});

describe('access tokens: key ring', () => {
  it('refuses an HS256 secret under 32 bytes (256 bits), in every form', () => {
    const short = newSecret().subarray(0, 31);
    for (const key of [short, short.toString('latin1').replace(/[^\x20-\x7e]/g, 'a'), createSecretKey(short), { kty: 'oct', k: short.toString('base64url') }]) {
      assertRefused(() => createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key } }), 'config.invalid');
    }
    assert.doesNotThrow(() => createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: newSecret() } }));
  });

  it('refuses a PEM key or an asymmetric KeyObject as an HS256 secret (the algorithm-confusion set-up)', () => {
    const { publicKey, privateKey } = newEd25519();
    const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    for (const key of [pem, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, publicKey, privateKey, publicKey.export({ format: 'jwk' })]) {
      assertRefused(() => createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key } }), 'config.invalid');
    }
  });

  it('refuses keys that do not fit the pinned algorithm', () => {
    const cases: [AccessTokenAlgorithm, AccessTokenKeyMaterial][] = [
      ['EdDSA', newP256().privateKey],
      ['ES256', newEd25519().privateKey],
      ['ES256', generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey],
      ['EdDSA', generateKeyPairSync('ed448').privateKey],
      ['ES256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
      ['EdDSA', newSecret()],
      ['EdDSA', createSecretKey(newSecret())],
      ['EdDSA', 'not a pem'],
      ['ES256', { ...newP256().privateKey.export({ format: 'jwk' }), alg: 'ES384' }],
      ['ES256', { ...newP256().privateKey.export({ format: 'jwk' }), use: 'enc' }],
      ['EdDSA', { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }],
    ];
    for (const [algorithm, key] of cases) {
      assertRefused(() => createAccessTokenKeys({ current: { kid: 'k1', algorithm, key } }), 'config.invalid', algorithm);
    }
    assertRefused(() => createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'RS256' as never, key: newSecret() } }), 'config.invalid');
    assertRefused(() => createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'none' as never, key: newSecret() } }), 'config.invalid');
  });

  it('needs the private key for the current key, and takes a public one for a previous key', () => {
    const current = newEd25519();
    const previous = newEd25519();
    assertRefused(() => createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'EdDSA', key: current.publicKey } }), 'config.invalid');
    const keys = createAccessTokenKeys({
      current: { kid: 'k2', algorithm: 'EdDSA', key: current.privateKey },
      previous: [{ kid: 'k1', algorithm: 'EdDSA', key: previous.publicKey.export({ format: 'pem', type: 'spki' }) as string, retireAt: NOW + 600 }],
    });
    assert.deepEqual(keys.kids, ['k2', 'k1']);
    assert.equal(keys.currentKid, 'k2');
  });

  it('refuses a previous key without retireAt, a retireAt in milliseconds, a repeated kid and a kid that is not a plain token', () => {
    const secret = newSecret();
    const current = { kid: 'k2', algorithm: 'HS256' as const, key: newSecret() };
    assertRefused(() => createAccessTokenKeys({ current, previous: [{ kid: 'k1', algorithm: 'HS256', key: secret } as never] }), 'config.invalid');
    assertRefused(() => createAccessTokenKeys({ current, previous: [{ kid: 'k1', algorithm: 'HS256', key: secret, retireAt: NOW_MS }] }), 'config.invalid');
    assertRefused(() => createAccessTokenKeys({ current, previous: [{ kid: 'k2', algorithm: 'HS256', key: secret, retireAt: NOW }] }), 'config.invalid');
    for (const kid of ['', '../k1', 'a/b', "k' OR 1=1--", '.hidden', 'x'.repeat(65), 'k 1', 'k\u0000']) {
      assertRefused(() => createAccessTokenKeys({ current: { ...current, kid } }), 'config.invalid', JSON.stringify(kid));
    }
    assert.doesNotThrow(() => createAccessTokenKeys({ current, previous: [{ kid: 'k1', algorithm: 'HS256', key: secret, retireAt: new Date(NOW_MS + 60_000) }] }));
  });

  it('holds no key material on the ring object itself', () => {
    const secret = newSecret();
    const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: secret } });
    const shown = JSON.stringify(keys) + String(Object.values(keys));
    assert.ok(!shown.includes(secret.toString('hex')) && !shown.includes(secret.toString('base64url')));
    assert.ok(Object.isFrozen(keys));
  });

  it('refuses keys that did not come from createAccessTokenKeys', () => {
    const fake = { currentKid: 'k1', kids: ['k1'], publicJwks: () => ({ keys: [] }) };
    assertRefused(() => signAccessToken(fake, { sub: 'u', role: 'r' }, signOptions), 'config.invalid');
    assertRefused(() => createAccessTokenVerifier({ keys: fake, issuer: ISSUER, audience: AUDIENCE }), 'config.invalid');
  });

  it('refuses verifier options out of range', () => {
    const keys = createAccessTokenKeys({ current: { kid: 'k1', algorithm: 'HS256', key: newSecret() } });
    const bad: Record<string, unknown>[] = [{ issuer: '' }, { audience: [] }, { audience: [''] }, { clockToleranceSeconds: -1 }, { clockToleranceSeconds: 301 }, { maxTokenLength: 10 }, { maxTokenLength: 1e6 }];
    for (const change of bad) {
      assertRefused(() => createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, ...change }), 'config.invalid', JSON.stringify(change));
    }
  });
});

describe('access tokens: rotation', () => {
  function rotated(algorithm: AccessTokenAlgorithm, oldKey: AccessTokenKeyMaterial, oldPublic: AccessTokenKeyMaterial, newKey: AccessTokenKeyMaterial, retireAt: number) {
    const before = createAccessTokenKeys({ current: { kid: 'old', algorithm, key: oldKey } });
    const after = createAccessTokenKeys({ current: { kid: 'new', algorithm, key: newKey }, previous: [{ kid: 'old', algorithm, key: oldPublic, retireAt }] });
    return { before, after };
  }

  for (const algorithm of ['HS256', 'EdDSA', 'ES256'] as const) {
    it(`${algorithm}: a token of the previous key verifies until retireAt and is refused from then on`, () => {
      let oldKey: KeyObject | Buffer;
      let oldPublic: KeyObject | Buffer;
      let newKey: KeyObject | Buffer;
      if (algorithm === 'HS256') {
        oldKey = oldPublic = newSecret();
        newKey = newSecret();
      } else {
        const pair = algorithm === 'EdDSA' ? newEd25519() : newP256();
        oldKey = pair.privateKey;
        oldPublic = pair.publicKey;
        newKey = (algorithm === 'EdDSA' ? newEd25519() : newP256()).privateKey;
      }
      const retireAt = NOW + 900 + 5;
      const { before, after } = rotated(algorithm, oldKey, oldPublic, newKey, retireAt);
      const oldToken = signAccessToken(before, { sub: 'u', role: 'r' }, { ...signOptions, ttlSeconds: 86_400 }).token;
      const newToken = signAccessToken(after, { sub: 'u', role: 'r' }, signOptions).token;
      assert.equal(JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString()).kid, 'new', 'the ring signs with its current key');

      let now = NOW_MS;
      const verifier = createAccessTokenVerifier({ keys: after, issuer: ISSUER, audience: AUDIENCE, now: () => now });
      assert.equal(verifier.verify(oldToken).sub, 'u', 'the old key still verifies right after the rotation');
      assert.equal(verifier.verify(newToken).sub, 'u');
      now = (retireAt - 1) * 1000;
      assert.equal(verifier.verify(oldToken).sub, 'u', 'and up to its retireAt');
      now = retireAt * 1000;
      assertRefused(() => verifier.verify(oldToken), 'auth.token_invalid', 'refused from retireAt, although the token itself has not expired');
      now = (retireAt + 86_400) * 1000;
      assertRefused(() => verifier.verify(oldToken));
    });
  }
});

describe('access tokens: published JWKS', () => {
  it('lists the asymmetric keys with kid, alg and use:sig and no private or secret member', () => {
    const ed = newEd25519();
    const ec = newP256();
    const keys = createAccessTokenKeys({
      current: { kid: 'ed', algorithm: 'EdDSA', key: ed.privateKey },
      previous: [
        { kid: 'ec', algorithm: 'ES256', key: ec.privateKey, retireAt: NOW + 600 },
        { kid: 'hs', algorithm: 'HS256', key: newSecret(), retireAt: NOW + 600 },
      ],
    });
    const jwks = keys.publicJwks(NOW_MS);
    assert.deepEqual(
      jwks.keys.map((key) => [key.kid, key.alg, key.use, key.kty, key.crv]),
      [
        ['ed', 'EdDSA', 'sig', 'OKP', 'Ed25519'],
        ['ec', 'ES256', 'sig', 'EC', 'P-256'],
      ],
    );
    const text = JSON.stringify(jwks);
    for (const member of ['"d"', '"k"', '"p"', '"q"', '"dp"', '"dq"', '"qi"']) assert.ok(!text.includes(`${member}:`), `no ${member} member`);
    assert.deepEqual(Object.keys(jwks.keys[0]!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    assert.deepEqual(Object.keys(jwks.keys[1]!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    assert.equal(jwks.keys[0]!.x, ed.publicKey.export({ format: 'jwk' }).x);
  });

  it('drops a previous key once it is retired, and never lists an HS256 secret', () => {
    const keys = createAccessTokenKeys({
      current: { kid: 'hs', algorithm: 'HS256', key: newSecret() },
      previous: [{ kid: 'ed', algorithm: 'EdDSA', key: newEd25519().publicKey, retireAt: NOW + 600 }],
    });
    assert.deepEqual(keys.publicJwks(NOW_MS).keys.map((key) => key.kid), ['ed']);
    assert.deepEqual(keys.publicJwks((NOW + 600) * 1000).keys, []);
  });
});
