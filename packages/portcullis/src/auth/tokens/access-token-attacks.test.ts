import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAccessTokenKeys, createAccessTokenVerifier, signAccessToken, type AccessTokenKeys } from './index.js';
import {
  AUDIENCE,
  ISSUER,
  NOW,
  NOW_MS,
  assertRefused,
  b64,
  claims,
  fixedClock,
  flipSignatureBit,
  forge,
  newEd25519,
  newP256,
  newRsa,
  newSecret,
  signWith,
} from './tokens.test-helpers.js';

/**
 * One test per attack on our access tokens. Where an attack needs a valid signature to be
 * meaningful (a forbidden header member, a duplicate claim), the token is signed with the real
 * key, so the refusal can only come from the check under test.
 */

const secret = newSecret();
const ed = newEd25519();
const ec = newP256();
const rsa = newRsa();

/** One key per algorithm: hs (HS256), ed (EdDSA), ec (ES256). */
const keys: AccessTokenKeys = createAccessTokenKeys({
  current: { kid: 'hs', algorithm: 'HS256', key: secret },
  previous: [
    { kid: 'ed', algorithm: 'EdDSA', key: ed.privateKey, retireAt: NOW + 86_400 },
    { kid: 'ec', algorithm: 'ES256', key: ec.privateKey, retireAt: NOW + 86_400 },
  ],
});
const verifier = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: fixedClock });
const valid = signAccessToken(keys, { sub: 'user_1', role: 'member' }, { issuer: ISSUER, audience: AUDIENCE, now: fixedClock }).token;

const hsHeader = { alg: 'HS256', typ: 'JWT', kid: 'hs' };
const edHeader = { alg: 'EdDSA', typ: 'JWT', kid: 'ed' };
const ecHeader = { alg: 'ES256', typ: 'JWT', kid: 'ec' };

describe('access token attacks: the header decides nothing', () => {
  it('sanity: the forge makes tokens the verifier accepts, for each algorithm', () => {
    assert.equal(verifier.verify(valid).sub, 'user_1');
    assert.equal(verifier.verify(forge(hsHeader, claims(), { hs256: secret })).sub, 'user_1');
    assert.equal(verifier.verify(forge(edHeader, claims(), { eddsa: ed.privateKey })).sub, 'user_1');
    assert.equal(verifier.verify(forge(ecHeader, claims(), { es256: ec.privateKey })).sub, 'user_1');
  });

  it('refuses alg "none" (every spelling, with or without a signature, with or without kid)', () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      for (const header of [{ alg, typ: 'JWT', kid: 'hs' }, { alg, typ: 'JWT' }, { alg }]) {
        const unsigned = `${b64(header)}.${b64(claims())}.`;
        assertRefused(() => verifier.verify(unsigned), 'auth.token_invalid', `${JSON.stringify(header)} without a signature`);
        assertRefused(() => verifier.verify(forge(header, claims(), { hs256: secret })), 'auth.token_invalid', `${JSON.stringify(header)} with an HMAC`);
      }
    }
  });

  it('refuses HS256 signed with the EdDSA public key (PEM, DER, JWK, raw bytes) as the HMAC secret', () => {
    const jwk = ed.publicKey.export({ format: 'jwk' });
    const secrets = [
      ed.publicKey.export({ format: 'pem', type: 'spki' }) as string,
      ed.publicKey.export({ format: 'der', type: 'spki' }),
      JSON.stringify(jwk),
      JSON.stringify(keys.publicJwks(NOW_MS).keys[0]),
      Buffer.from(jwk.x!, 'base64url'),
    ];
    for (const hmacSecret of secrets) {
      for (const header of [{ alg: 'HS256', typ: 'JWT', kid: 'ed' }, { alg: 'HS256', typ: 'JWT' }]) {
        assertRefused(() => verifier.verify(forge(header, claims(), { hs256: hmacSecret })), 'auth.token_invalid', JSON.stringify(header));
      }
    }
  });

  it('refuses HS256 signed with the ES256 public key (PEM, JWK) as the HMAC secret', () => {
    for (const hmacSecret of [ec.publicKey.export({ format: 'pem', type: 'spki' }) as string, JSON.stringify(ec.publicKey.export({ format: 'jwk' }))]) {
      assertRefused(() => verifier.verify(forge({ alg: 'HS256', typ: 'JWT', kid: 'ec' }, claims(), { hs256: hmacSecret })));
    }
  });

  it('refuses RS256 under any kid (no RSA key is pinned), even when correctly signed by an RSA key', () => {
    for (const kid of ['hs', 'ed', 'ec']) {
      assertRefused(() => verifier.verify(forge({ alg: 'RS256', typ: 'JWT', kid }, claims(), { rs256: rsa.privateKey })), 'auth.token_invalid', kid);
    }
  });

  it('refuses a token whose alg is another pinned algorithm than its kid\'s (ES256 under ed, EdDSA under ec, EdDSA/ES256 under hs)', () => {
    assertRefused(() => verifier.verify(forge({ alg: 'ES256', typ: 'JWT', kid: 'ed' }, claims(), { es256: ec.privateKey })));
    assertRefused(() => verifier.verify(forge({ alg: 'EdDSA', typ: 'JWT', kid: 'ec' }, claims(), { eddsa: ed.privateKey })));
    assertRefused(() => verifier.verify(forge({ alg: 'EdDSA', typ: 'JWT', kid: 'hs' }, claims(), { eddsa: ed.privateKey })));
    assertRefused(() => verifier.verify(forge({ alg: 'ES256', typ: 'JWT', kid: 'hs' }, claims(), { es256: ec.privateKey })));
    assertRefused(() => verifier.verify(forge({ alg: 'HS512', typ: 'JWT', kid: 'hs' }, claims(), { signature: Buffer.alloc(64, 1).toString('base64url') })));
  });

  it('refuses an ES256 signature in DER instead of JOSE r||s form', () => {
    assertRefused(() => verifier.verify(forge(ecHeader, claims(), { es256: ec.privateKey, der: true })));
  });

  it('refuses an all-zero signature (r = s = 0 and friends) for every algorithm', () => {
    assertRefused(() => verifier.verify(forge(hsHeader, claims(), { signature: Buffer.alloc(32).toString('base64url') })));
    assertRefused(() => verifier.verify(forge(edHeader, claims(), { signature: Buffer.alloc(64).toString('base64url') })));
    assertRefused(() => verifier.verify(forge(ecHeader, claims(), { signature: Buffer.alloc(64).toString('base64url') })));
  });

  it('refuses a missing kid, even though HS256 is pinned to only one key here (a single-key ring too)', () => {
    assertRefused(() => verifier.verify(forge({ alg: 'HS256', typ: 'JWT' }, claims(), { hs256: secret })));
    const single = createAccessTokenKeys({ current: { kid: 'only', algorithm: 'HS256', key: secret } });
    const singleVerifier = createAccessTokenVerifier({ keys: single, issuer: ISSUER, audience: AUDIENCE, now: fixedClock });
    assert.equal(singleVerifier.verify(forge({ alg: 'HS256', typ: 'JWT', kid: 'only' }, claims(), { hs256: secret })).sub, 'user_1');
    assertRefused(() => singleVerifier.verify(forge({ alg: 'HS256', typ: 'JWT' }, claims(), { hs256: secret })), 'auth.token_invalid', 'single-key ring, no kid');
  });

  it('refuses an unknown kid, and matches kids exactly (no case folding, no prefix)', () => {
    for (const kid of ['HS', 'hs ', 'h', 'hs2', 'hs.']) {
      assertRefused(() => verifier.verify(forge({ alg: 'HS256', typ: 'JWT', kid }, claims(), { hs256: secret })), 'auth.token_invalid', kid);
    }
  });

  it("refuses a kid that is a path (../../etc/passwd), SQL (' OR 1=1--), a prototype name or not a string", () => {
    // Refused by shape before any lookup, so the reason names the kid's form, not a failed lookup.
    const malformed: unknown[] = ['../../etc/passwd', '/dev/null', "' OR 1=1--", 'hs; DROP TABLE keys', '', 'hs\u0000', 'x'.repeat(65), '.hs'];
    for (const kid of malformed) {
      assertRefused(() => verifier.verify(forge({ alg: 'HS256', typ: 'JWT', kid }, claims(), { hs256: secret })), 'auth.token_invalid', JSON.stringify(kid), /not a plain key id/);
    }
    for (const kid of [42, null, ['hs'], { $ne: null }]) {
      assertRefused(() => verifier.verify(forge({ alg: 'HS256', typ: 'JWT', kid }, claims(), { hs256: secret })), 'auth.token_invalid', JSON.stringify(kid), /no kid/);
    }
    // Plain in shape but no key of ours: the ring is a Map, so prototype names find nothing either.
    for (const kid of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      assertRefused(() => verifier.verify(forge({ alg: 'HS256', typ: 'JWT', kid }, claims(), { hs256: secret })), 'auth.token_invalid', kid, /not a key we hold/);
    }
  });

  for (const member of ['jku', 'jwk', 'x5u', 'x5c', 'x5t', 'crit', 'cty', 'b64', 'zip']) {
    it(`refuses a header with ${member}, even when the signature is ours (nothing is ever fetched or trusted from it)`, () => {
      const values: Record<string, unknown> = {
        jku: 'https://attacker.example/jwks.json',
        jwk: ed.publicKey.export({ format: 'jwk' }),
        x5u: 'https://attacker.example/cert.pem',
        x5c: ['MIIB'],
        x5t: 'AAAA',
        crit: ['exp'],
        cty: 'JWT',
        b64: false,
        zip: 'DEF',
      };
      assertRefused(() => verifier.verify(forge({ ...hsHeader, [member]: values[member] }, claims(), { hs256: secret })));
      assertRefused(() => verifier.verify(forge({ ...edHeader, [member]: values[member] }, claims(), { eddsa: ed.privateKey })));
    });
  }

  it('refuses a typ other than JWT, and a missing typ', () => {
    for (const typ of ['at+jwt', 'jwt', 'JWS', 'JOSE', 1, undefined]) {
      assertRefused(() => verifier.verify(forge({ alg: 'HS256', kid: 'hs', typ }, claims(), { hs256: secret })), 'auth.token_invalid', String(typ));
    }
  });
});

describe('access token attacks: tampering', () => {
  it('refuses the valid token with one bit flipped in every byte of its HS256 signature', () => {
    for (let byte = 0; byte < 32; byte += 1) {
      for (const bit of [0, 7]) assertRefused(() => verifier.verify(flipSignatureBit(valid, byte, bit)), 'auth.token_invalid', `byte ${byte} bit ${bit}`);
    }
  });

  it('refuses EdDSA and ES256 tokens with one bit flipped at sampled signature bytes', () => {
    for (const token of [forge(edHeader, claims(), { eddsa: ed.privateKey }), forge(ecHeader, claims(), { es256: ec.privateKey })]) {
      assert.equal(verifier.verify(token).sub, 'user_1');
      for (const byte of [0, 1, 15, 31, 32, 33, 47, 62, 63]) assertRefused(() => verifier.verify(flipSignatureBit(token, byte, byte % 8)), 'auth.token_invalid', `byte ${byte}`);
    }
  });

  it('refuses a payload changed after signing (role raised to admin), keeping the original signature', () => {
    const [header, , signature] = valid.split('.');
    const payload = JSON.parse(Buffer.from(valid.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assertRefused(() => verifier.verify(`${header}.${b64({ ...payload, role: 'admin' })}.${signature}`));
    assertRefused(() => verifier.verify(`${header}.${b64({ ...payload, sub: 'user_2' })}.${signature}`));
  });

  it('refuses a signature of the wrong length (cut, extended, doubled) before computing anything', () => {
    const dot = valid.lastIndexOf('.');
    const signature = Buffer.from(valid.slice(dot + 1), 'base64url');
    for (const changed of [signature.subarray(0, 31), signature.subarray(0, 1), Buffer.concat([signature, Buffer.alloc(1)]), Buffer.concat([signature, signature])]) {
      assertRefused(() => verifier.verify(`${valid.slice(0, dot)}.${changed.toString('base64url')}`), 'auth.token_invalid', `${changed.length} bytes`, /wrong length/);
    }
    const ecToken = forge(ecHeader, claims(), { es256: ec.privateKey, der: true });
    assertRefused(() => verifier.verify(ecToken), 'auth.token_invalid', 'DER ES256', /wrong length/);
  });

  it('refuses non-canonical base64url: unused trailing bits set, padding, standard-base64 characters', () => {
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 43 characters carry 258 bits for 256: the last character's two low bits are unused.
    const last = alphabet.indexOf(signature.at(-1)!);
    const sameBytes = `${signature.slice(0, -1)}${alphabet[last | 1]}`;
    assert.deepEqual(Buffer.from(sameBytes, 'base64url'), Buffer.from(signature, 'base64url'), 'decodes to the same bytes');
    assertRefused(() => verifier.verify(`${header}.${payload}.${sameBytes}`));
    assertRefused(() => verifier.verify(`${header}.${payload}.${signature}=`));
    const standard = Buffer.from(signature, 'base64url').toString('base64').replace(/=+$/, '');
    if (standard !== signature) assertRefused(() => verifier.verify(`${header}.${payload}.${standard}`));
    assertRefused(() => verifier.verify(`${header}=.${payload}.${signature}`));
    assertRefused(() => verifier.verify(` ${valid}`));
    assertRefused(() => verifier.verify(`${valid}\n`));
    assertRefused(() => verifier.verify(`${header}.${payload}.${signature}.`));
    assertRefused(() => verifier.verify(`${header}..${signature}`));
  });

  it('refuses a token over maxTokenLength before any work, and anything that is not a string', () => {
    assertRefused(() => verifier.verify(`${valid}${'A'.repeat(4096)}`));
    const started = performance.now();
    assertRefused(() => verifier.verify('A'.repeat(50_000_000)));
    assert.ok(performance.now() - started < 50, 'a 50 MB token is refused by its length alone');
    for (const value of [undefined, null, 42, {}, [valid], Buffer.from(valid)]) assertRefused(() => verifier.verify(value as never));
  });
});

describe('access token attacks: JSON', () => {
  it('refuses a payload with a duplicate claim, even when signed with our key (sub, role, exp)', () => {
    const payloadText = JSON.stringify(claims()).slice(0, -1);
    for (const duplicate of [',"sub":"admin"}', ',"role":"admin"}', ',"exp":99999999999}', ', "role" : "admin"}']) {
      assertRefused(() => verifier.verify(forge(hsHeader, payloadText + duplicate, { hs256: secret })), 'auth.token_invalid', duplicate);
    }
  });

  it('refuses a header with a duplicate member (alg or kid twice)', () => {
    assertRefused(() => verifier.verify(forge('{"alg":"HS256","typ":"JWT","kid":"hs","alg":"none"}', claims(), { hs256: secret })));
    assertRefused(() => verifier.verify(forge('{"alg":"HS256","typ":"JWT","kid":"ed","kid":"hs"}', claims(), { hs256: secret })));
  });

  it('counts escaped quotes right: a claim value that looks like a member is not a duplicate', () => {
    const tricky = forge(hsHeader, claims({ note: 'a\\"b":"c', other: '\\', sid: '"sub":"x"' }), { hs256: secret });
    assert.equal(verifier.verify(tricky).note, 'a\\"b":"c');
  });

  it('refuses malformed payloads signed with our key: not JSON, not an object, invalid UTF-8, BOM, __proto__, deep nesting', () => {
    const bad: (string | Buffer)[] = [
      'not json',
      '[1,2]',
      'null',
      '"a string"',
      '{"sub":"user_1",}',
      `\ufeff${JSON.stringify(claims())}`,
      `{"__proto__":{"role":"admin"},${JSON.stringify(claims()).slice(1)}`,
      `{"deep":${'['.repeat(20)}${']'.repeat(20)},${JSON.stringify(claims()).slice(1)}`,
    ];
    for (const payload of bad) {
      assertRefused(() => verifier.verify(forge(hsHeader, payload, { hs256: secret })), 'auth.token_invalid', String(payload).slice(0, 40));
    }
    const invalidUtf8 = Buffer.concat([Buffer.from(JSON.stringify(claims()).slice(0, -1)), Buffer.from(',"x":"\xff"}', 'latin1')]);
    const signingInput = `${b64(hsHeader)}.${invalidUtf8.toString('base64url')}`;
    assertRefused(() => verifier.verify(`${signingInput}.${signWith({ hs256: secret }, signingInput)}`), 'auth.token_invalid', 'invalid UTF-8');
  });

  it('refuses a header that is not a JSON object', () => {
    for (const header of ['x', '[]', 'null', '{"alg":"HS256","typ":"JWT","kid":"hs"']) {
      assertRefused(() => verifier.verify(forge(header, claims(), { hs256: secret })), 'auth.token_invalid', header);
    }
  });
});

describe('access token attacks: claims', () => {
  const signed = (changes: Record<string, unknown>): string => forge(hsHeader, claims(changes), { hs256: secret });

  it('refuses an expired token as auth.token_expired, after the 5 s tolerance', () => {
    assert.equal(verifier.verify(signed({ iat: NOW - 1000, exp: NOW - 4 })).sub, 'user_1', 'within the tolerance');
    assertRefused(() => verifier.verify(signed({ iat: NOW - 1000, exp: NOW - 5 })), 'auth.token_expired');
    assertRefused(() => verifier.verify(signed({ iat: NOW - 10_000, exp: NOW - 9000 })), 'auth.token_expired');
  });

  it('says expired only for tokens that are otherwise valid: a forged expired token is just invalid', () => {
    assertRefused(() => verifier.verify(forge(hsHeader, claims({ exp: NOW - 100, iat: NOW - 1000 }), { hs256: newSecret() })), 'auth.token_invalid');
    assertRefused(() => verifier.verify(signed({ exp: NOW - 100, iat: NOW - 1000, aud: 'other' })), 'auth.token_invalid');
  });

  it('refuses a token that is not valid yet (nbf) or issued in the future (iat), beyond the tolerance', () => {
    assert.equal(verifier.verify(signed({ nbf: NOW + 5 })).sub, 'user_1');
    assertRefused(() => verifier.verify(signed({ nbf: NOW + 6 })));
    assert.equal(verifier.verify(signed({ iat: NOW + 5 })).sub, 'user_1');
    assertRefused(() => verifier.verify(signed({ iat: NOW + 6, exp: NOW + 906 })));
    const strict = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: fixedClock, clockToleranceSeconds: 0 });
    assertRefused(() => strict.verify(signed({ nbf: NOW + 1 })));
    assertRefused(() => strict.verify(signed({ exp: NOW, iat: NOW - 900 })), 'auth.token_expired');
  });

  it('refuses a wrong issuer', () => {
    for (const iss of ['https://evil.example', 'https://api.example.com/', 'HTTPS://API.EXAMPLE.COM', '', ['https://api.example.com'], null]) {
      assertRefused(() => verifier.verify(signed({ iss })), 'auth.token_invalid', JSON.stringify(iss));
    }
  });

  it('refuses a wrong audience, as a string or as a list', () => {
    for (const aud of ['https://other.example', '', [], ['https://other.example'], [AUDIENCE, 7], [[AUDIENCE]], { 0: AUDIENCE }, null, Array(17).fill(AUDIENCE)]) {
      assertRefused(() => verifier.verify(signed({ aud })), 'auth.token_invalid', JSON.stringify(aud));
    }
    assert.equal(verifier.verify(signed({ aud: ['https://other.example', AUDIENCE] })).sub, 'user_1');
  });

  it('refuses a token missing a required claim (sub, role, jti, iat, exp, iss, aud) or carrying one of the wrong type', () => {
    for (const name of ['sub', 'role', 'jti', 'iat', 'exp', 'iss', 'aud']) {
      assertRefused(() => verifier.verify(signed({ [name]: undefined })), 'auth.token_invalid', `no ${name}`);
    }
    const wrong: Record<string, unknown>[] = [{ sub: 7 }, { sub: '' }, { role: ['admin'] }, { jti: null }, { exp: '9999999999' }, { exp: 1e400 }, { iat: -1 }, { nbf: 'now' }, { exp: NOW - 1, iat: NOW }];
    for (const change of wrong) {
      const token = forge(hsHeader, JSON.stringify(claims(change)).replace('null', change.exp === 1e400 ? '1e400' : 'null'), { hs256: secret });
      assertRefused(() => verifier.verify(token), 'auth.token_invalid', JSON.stringify(change));
    }
  });

  it('refuses a token under a key that is past its retireAt, even though the token has not expired', () => {
    const later = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: () => (NOW + 86_400) * 1000 });
    const token = forge(edHeader, claims({ iat: NOW + 86_000, exp: NOW + 86_900 }), { eddsa: ed.privateKey });
    assertRefused(() => later.verify(token));
    const justBefore = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: () => (NOW + 86_399) * 1000 });
    assert.equal(justBefore.verify(token).sub, 'user_1');
  });
});
