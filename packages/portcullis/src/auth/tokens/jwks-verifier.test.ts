import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { createJwksVerifier, type ExternalTokenAlgorithm, type JwksVerifierOptions } from './index.js';
import { NOW, NOW_MS, assertRefused, b64, fixedClock, flipSignatureBit, forge, newEd25519, newP256, newRsa, type Forger } from './tokens.test-helpers.js';

const PROVIDER = 'https://login.example.com/';
const API = 'api://orders';

const rsa = newRsa();
const ec = newP256();
const ed = newEd25519();

const publicJwk = (key: KeyObject, kid: string | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...key.export({ format: 'jwk' }),
  ...(kid === undefined ? {} : { kid }),
  ...extra,
});

/** A provider's JWKS as they publish it: RS256 with alg and use, ES256 without alg, EdDSA, and an encryption key to skip. */
const jwks = {
  keys: [
    publicJwk(rsa.publicKey, 'rsa-2026', { alg: 'RS256', use: 'sig', x5t: 'ignored' }),
    publicJwk(ec.publicKey, 'LrD5rNUrAVR9c1kYZH4ITN+3O7Yt2C/kPE97OCBNnAY='),
    publicJwk(ed.publicKey, 'ed-1', { alg: 'EdDSA' }),
    publicJwk(newRsa().publicKey, 'enc-1', { use: 'enc', alg: 'RSA-OAEP' }),
  ],
};

const options: JwksVerifierOptions = { jwks, issuer: PROVIDER, audience: API, algorithms: ['RS256', 'ES256', 'EdDSA'], now: fixedClock };
const verifier = createJwksVerifier(options);

const providerClaims = (changes: Record<string, unknown> = {}): Record<string, unknown> => ({ iss: PROVIDER, sub: 'idp|42', aud: API, iat: NOW, exp: NOW + 3600, ...changes });

async function joseToken(algorithm: ExternalTokenAlgorithm, key: KeyObject, kid: string | undefined, changes: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(providerClaims(changes))
    .setProtectedHeader({ alg: algorithm, typ: 'JWT', ...(kid === undefined ? {} : { kid }) })
    .sign(key);
}

describe('external provider tokens (static JWKS)', () => {
  it('verifies jose-signed RS256, ES256 and EdDSA tokens by kid (including a base64 kid with + / =)', async () => {
    for (const [algorithm, key, kid] of [
      ['RS256', rsa.privateKey, 'rsa-2026'],
      ['ES256', ec.privateKey, 'LrD5rNUrAVR9c1kYZH4ITN+3O7Yt2C/kPE97OCBNnAY='],
      ['EdDSA', ed.privateKey, 'ed-1'],
    ] as const) {
      const claims = verifier.verify(await joseToken(algorithm, key, kid));
      assert.equal(claims.sub, 'idp|42', algorithm);
      assert.ok(Object.isFrozen(claims));
    }
    assert.deepEqual([...verifier.kids].sort(), ['LrD5rNUrAVR9c1kYZH4ITN+3O7Yt2C/kPE97OCBNnAY=', 'ed-1', 'rsa-2026']);
  });

  it('accepts a provider header with x5t and typ at+jwt, and a token without iat', async () => {
    const token = await new SignJWT({ iss: PROVIDER, sub: 's', aud: [API, 'other'], exp: NOW + 60 })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'rsa-2026', x5t: 'abc' })
      .sign(rsa.privateKey);
    assert.equal(verifier.verify(token).sub, 's');
  });

  it('refuses a token whose alg is not the one its key is pinned to, HS256 with the public key as secret included', async () => {
    const pem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const confusions: [Record<string, unknown>, Forger][] = [
      [{ alg: 'HS256', kid: 'rsa-2026' }, { hs256: pem }],
      [{ alg: 'HS256', kid: 'rsa-2026' }, { hs256: JSON.stringify(jwks.keys[0]) }],
      [{ alg: 'HS256', kid: 'ed-1' }, { hs256: ed.publicKey.export({ format: 'pem', type: 'spki' }) as string }],
      [{ alg: 'ES256', kid: 'rsa-2026' }, { es256: ec.privateKey }],
      [{ alg: 'RS256', kid: 'ed-1' }, { rs256: rsa.privateKey }],
      [{ alg: 'PS256', kid: 'rsa-2026' }, { rs256: rsa.privateKey }],
      [{ alg: 'none', kid: 'rsa-2026' }, { signature: 'AA' }],
      [{ alg: 'RS256', kid: 'enc-1' }, { rs256: rsa.privateKey }],
    ];
    for (const [header, forger] of confusions) {
      assertRefused(() => verifier.verify(forge(header, providerClaims(), forger)), 'auth.token_invalid', JSON.stringify(header));
    }
    assertRefused(() => verifier.verify(`${b64({ alg: 'none' })}.${b64(providerClaims())}.`));
  });

  it('refuses jku, jwk, x5u, x5c and crit headers even on a correctly signed token', () => {
    for (const member of ['jku', 'jwk', 'x5u', 'x5c', 'crit']) {
      const value = member === 'jwk' ? publicJwk(rsa.publicKey, undefined) : member === 'x5c' || member === 'crit' ? ['x'] : 'https://attacker.example/keys';
      assertRefused(() => verifier.verify(forge({ alg: 'RS256', kid: 'rsa-2026', [member]: value }, providerClaims(), { rs256: rsa.privateKey })), 'auth.token_invalid', member);
    }
  });

  it('refuses a missing or unknown kid when the set holds several keys, and a kid that is not a plain key id', () => {
    const cases: [unknown, RegExp][] = [
      [undefined, /no kid/],
      ['rsa-2025', /not in the provider key set/],
      ['__proto__', /not in the provider key set/],
      ['../../etc/passwd', /not a plain key id/],
      ["' OR 1=1--", /not a plain key id/],
      [7, /not a plain key id/],
    ];
    for (const [kid, reason] of cases) {
      assertRefused(() => verifier.verify(forge({ alg: 'RS256', ...(kid === undefined ? {} : { kid }) }, providerClaims(), { rs256: rsa.privateKey })), 'auth.token_invalid', String(kid), reason);
    }
  });

  it('with a single usable key, verifies a token without kid under it (algorithm still pinned)', async () => {
    const single = createJwksVerifier({ ...options, jwks: { keys: [publicJwk(ec.publicKey, undefined)] }, algorithms: ['ES256'] });
    assert.equal(single.verify(await joseToken('ES256', ec.privateKey, undefined)).sub, 'idp|42');
    assertRefused(() => single.verify(forge({ alg: 'HS256' }, providerClaims(), { hs256: JSON.stringify(publicJwk(ec.publicKey, undefined)) })));
    assertRefused(() => single.verify(forge({ alg: 'ES256', kid: 'other' }, providerClaims(), { es256: ec.privateKey })));
  });

  it('refuses flipped signature bits, a wrong issuer or audience, a missing sub and an expired token', async () => {
    const token = await joseToken('ES256', ec.privateKey, 'LrD5rNUrAVR9c1kYZH4ITN+3O7Yt2C/kPE97OCBNnAY=');
    for (const byte of [0, 31, 32, 63]) assertRefused(() => verifier.verify(flipSignatureBit(token, byte)));
    const rsaToken = await joseToken('RS256', rsa.privateKey, 'rsa-2026');
    for (const byte of [0, 100, 255]) assertRefused(() => verifier.verify(flipSignatureBit(rsaToken, byte)));
    assertRefused(() => verifier.verify(forge({ alg: 'RS256', kid: 'rsa-2026' }, providerClaims({ iss: 'https://evil.example/' }), { rs256: rsa.privateKey })));
    assertRefused(() => verifier.verify(forge({ alg: 'RS256', kid: 'rsa-2026' }, providerClaims({ aud: 'api://other' }), { rs256: rsa.privateKey })));
    assertRefused(() => verifier.verify(forge({ alg: 'RS256', kid: 'rsa-2026' }, providerClaims({ sub: undefined }), { rs256: rsa.privateKey })));
    assertRefused(() => verifier.verify(forge({ alg: 'RS256', kid: 'rsa-2026' }, providerClaims({ iat: NOW - 7200, exp: NOW - 3600 }), { rs256: rsa.privateKey })), 'auth.token_expired');
    assertRefused(() => verifier.verify(forge({ alg: 'RS256', kid: 'rsa-2026' }, providerClaims({ nbf: NOW + 600 }), { rs256: rsa.privateKey })));
  });

  it('a header it has seen is still checked the same way the next time (cached headers change nothing)', async () => {
    const token = await joseToken('EdDSA', ed.privateKey, 'ed-1');
    for (let round = 0; round < 3; round += 1) {
      assert.equal(verifier.verify(token).sub, 'idp|42');
      assertRefused(() => verifier.verify(flipSignatureBit(token, 5)));
    }
  });
});

describe('external provider tokens: the key set', () => {
  it('refuses a JWKS holding private or secret material, symmetric algorithms, and weak RSA keys', () => {
    const bad: unknown[] = [
      { keys: [rsa.privateKey.export({ format: 'jwk' })] },
      { keys: [{ kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI', kid: 'hs' }] },
      { keys: [publicJwk(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, 'weak')] },
      { keys: [] },
      { keys: [publicJwk(newRsa().publicKey, 'a', { use: 'enc' })] },
      { keys: [publicJwk(rsa.publicKey, 'a'), publicJwk(ec.publicKey, 'a')] },
      { keys: [publicJwk(rsa.publicKey, undefined), publicJwk(ec.publicKey, 'b')] },
      { keys: [publicJwk(rsa.publicKey, '../../etc/passwd x')] },
      { keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'broken' }] },
      { keys: [publicJwk(ec.publicKey, 'a', { alg: 'RS256' })] },
      { nokeys: true },
      null,
      'keys',
    ];
    for (const set of bad) {
      assertRefused(() => createJwksVerifier({ ...options, jwks: set }), 'config.invalid', JSON.stringify(set)?.slice(0, 60));
    }
  });

  it('refuses symmetric, none and unsupported algorithms in the options', () => {
    for (const algorithms of [[], ['HS256'], ['none'], ['RS256', 'HS256'], ['PS256'], 'RS256']) {
      assertRefused(() => createJwksVerifier({ ...options, algorithms: algorithms as never }), 'config.invalid', JSON.stringify(algorithms));
    }
  });

  it('skips keys of algorithms it was not asked to accept', async () => {
    const ecOnly = createJwksVerifier({ ...options, algorithms: ['ES256'] });
    assert.deepEqual(ecOnly.kids, ['LrD5rNUrAVR9c1kYZH4ITN+3O7Yt2C/kPE97OCBNnAY=']);
    assertRefused(() => ecOnly.verify(forge({ alg: 'RS256', kid: 'rsa-2026' }, providerClaims(), { rs256: rsa.privateKey })));
  });

  it('calls onUnknownKid (throttled) for a well-formed unknown kid, and replaceKeys makes the new key verify', async () => {
    let now = NOW_MS;
    const asked: string[] = [];
    const rotating = createJwksVerifier({
      ...options,
      now: () => now,
      onUnknownKid: (kid) => {
        asked.push(kid);
        throw new Error('the hook failing must not change the refusal');
      },
    });
    const next = newEd25519();
    const token = await joseToken('EdDSA', next.privateKey, 'ed-2');
    assertRefused(() => rotating.verify(token));
    assertRefused(() => rotating.verify(token));
    assertRefused(() => rotating.verify(forge({ alg: 'EdDSA', kid: '../../x' }, providerClaims(), { eddsa: next.privateKey })));
    assert.deepEqual(asked, ['ed-2'], 'once per cooldown, and never for a malformed kid');
    now += 61_000;
    assertRefused(() => rotating.verify(token));
    assert.deepEqual(asked, ['ed-2', 'ed-2']);

    assertRefused(() => rotating.replaceKeys({ keys: [rsa.privateKey.export({ format: 'jwk' })] }), 'config.invalid');
    assert.ok(rotating.kids.includes('rsa-2026'), 'a refused set leaves the old one in place');
    rotating.replaceKeys({ keys: [publicJwk(next.publicKey, 'ed-2')] });
    assert.equal(rotating.verify(token).sub, 'idp|42');
    const oldKeyToken = await joseToken('RS256', rsa.privateKey, 'rsa-2026');
    assertRefused(() => rotating.verify(oldKeyToken), 'auth.token_invalid', 'the replaced keys are gone');
  });
});
