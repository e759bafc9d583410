import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { assertBearerRefused, AuthClient, base64urlJson, decodeJwt, hmacSignature, nowSeconds, ROOMY_LIMITS, signHs256 } from './identity.test-helpers.js';

// A3 over real HTTP: every forged, tampered, expired or misdirected access token is a 401 with an
// RFC 6750 challenge on GET /v1/users/me. Each group first shows that a token forged the same way
// with the right key is accepted, so each refusal is about the one thing the attack changed.
// The signing key does not touch the database, so these run on SQLite only.

const secretOf = (bytes = 48) => randomBytes(bytes).toString('base64url');

/** A fresh jti and times around now, on top of a real token's claims. */
function freshClaims(real: Record<string, unknown>, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds();
  return { ...real, iat: now, exp: now + 60, jti: randomBytes(16).toString('base64url'), ...changes };
}

/** An asymmetric JWS (EdDSA, or ES256 in JOSE's r||s form unless `der`) over this header and payload. */
function signAsymmetric(privateKey: KeyObject, header: Record<string, unknown>, payload: Record<string, unknown>, der = false): string {
  const input = `${base64urlJson(header)}.${base64urlJson(payload)}`;
  const signature =
    privateKey.asymmetricKeyType === 'ed25519'
      ? sign(null, Buffer.from(input), privateKey)
      : sign('sha256', Buffer.from(input), der ? privateKey : { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** A token whose text is exactly these segments (for raw JSON such as duplicated members). */
function rawToken(headerJson: string, payload: Record<string, unknown>, signWith: (input: string) => string): string {
  const input = `${Buffer.from(headerJson).toString('base64url')}.${base64urlJson(payload)}`;
  return `${input}.${signWith(input)}`;
}

describe('identity access tokens: attacks on HS256', () => {
  const jwtSecret = secretOf();
  let server: TestServer;
  let client: AuthClient;
  let realToken: string;
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  const expectInvalid = async (token: string, label: string, code: 'auth.token_invalid' | 'auth.token_expired' = 'auth.token_invalid') => {
    const res = await client.me(token);
    assert.equal(res.status, 401, `${label}: ${res.status} ${res.text}`);
    assertBearerRefused(res, code);
  };

  before(async () => {
    server = await startTestServer({ ...ROOMY_LIMITS, JWT_SECRET: jwtSecret });
    client = new AuthClient(server.url);
    const account = await client.register('tokens');
    realToken = (await client.signIn(account)).accessToken;
    ({ header, payload } = decodeJwt(realToken));
  });
  after(() => server?.close());

  it('issues HS256 tokens with kid and the claims of A3, and accepts one we sign the same way with its secret', async () => {
    assert.deepEqual(Object.keys(header), ['alg', 'typ', 'kid']);
    assert.deepEqual([header['alg'], header['typ']], ['HS256', 'JWT']);
    assert.match(String(header['kid']), /^hs-[A-Za-z0-9_-]{12}$/);
    assert.deepEqual(Object.keys(payload).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub']);
    assert.deepEqual([payload['iss'], payload['aud'], payload['role']], ['portcullis', 'portcullis-api', 'user']);
    assert.equal(Number(payload['exp']) - Number(payload['iat']), 900);
    assert.equal((await client.me(realToken)).status, 200);
    assert.equal((await client.me(signHs256(jwtSecret, header, freshClaims(payload)))).status, 200, 'the control forgery verifies');
  });

  it('refuses alg none, however it is spelled', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = `${base64urlJson({ ...header, alg })}.${base64urlJson(freshClaims(payload))}.`;
      await expectInvalid(unsigned, `alg ${alg}, empty signature`);
      await expectInvalid(`${unsigned}${Buffer.from('x').toString('base64url')}`, `alg ${alg}, junk signature`);
      await expectInvalid(signHs256(jwtSecret, { ...header, alg }, freshClaims(payload)), `alg ${alg} over a valid HMAC`);
    }
    await expectInvalid(`${base64urlJson({ alg: 'none', typ: 'JWT' })}.${base64urlJson(freshClaims(payload))}.`, 'alg none without kid');
  });

  it('refuses an expired token as expired, and one expired within the 5 s tolerance not at all', async () => {
    const now = nowSeconds();
    await expectInvalid(signHs256(jwtSecret, header, freshClaims(payload, { iat: now - 960, exp: now - 60 })), 'expired a minute ago', 'auth.token_expired');
    await expectInvalid(signHs256(jwtSecret, header, freshClaims(payload, { iat: now - 906, exp: now - 6 })), 'expired 6 s ago', 'auth.token_expired');
    assert.equal((await client.me(signHs256(jwtSecret, header, freshClaims(payload, { iat: now - 900, exp: now - 2 })))).status, 200);
    // Expiry is only ever said of a token we signed: a forged expired one is just invalid.
    await expectInvalid(signHs256(secretOf(), header, freshClaims(payload, { iat: now - 960, exp: now - 60 })), 'forged and expired');
  });

  it('refuses a token not valid yet (nbf or iat in the future)', async () => {
    const now = nowSeconds();
    await expectInvalid(signHs256(jwtSecret, header, freshClaims(payload, { nbf: now + 60, exp: now + 600 })), 'nbf in a minute');
    await expectInvalid(signHs256(jwtSecret, header, freshClaims(payload, { iat: now + 60, exp: now + 960 })), 'iat in a minute');
    assert.equal((await client.me(signHs256(jwtSecret, header, freshClaims(payload, { nbf: now - 1 })))).status, 200);
  });

  it('refuses a wrong or missing iss or aud, and a token without its required claims', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['another issuer', { iss: 'https://evil.example' }],
      ['issuer with a trailing space', { iss: 'portcullis ' }],
      ['another audience', { aud: 'another-api' }],
      ['audience list without ours', { aud: ['another-api', 'third-api'] }],
      ['no iss', { iss: undefined }],
      ['no aud', { aud: undefined }],
      ['no exp', { exp: undefined }],
      ['no sub', { sub: undefined }],
      ['no jti', { jti: undefined }],
      ['no role', { role: undefined }],
      ['exp as a string', { exp: String(nowSeconds() + 60) }],
    ];
    for (const [label, changes] of cases) await expectInvalid(signHs256(jwtSecret, header, freshClaims(payload, changes)), label);
  });

  it('refuses a flipped signature bit, a tampered payload, and a re-spelled signature that decodes to the same bytes', async () => {
    const [h = '', p = '', s = ''] = realToken.split('.');
    const bytes = Buffer.from(s, 'base64url');
    for (const index of [0, 15, 31]) {
      const flipped = Buffer.from(bytes);
      flipped[index]! ^= 0x01;
      await expectInvalid(`${h}.${p}.${flipped.toString('base64url')}`, `bit 0 of signature byte ${index}`);
    }
    await expectInvalid(`${h}.${base64urlJson({ ...payload, role: 'admin' })}.${s}`, 'role changed under the original signature');
    await expectInvalid(`${h}.${base64urlJson({ ...payload, sub: randomBytes(16).toString('hex') })}.${s}`, 'sub changed under the original signature');
    // 43 characters carry 258 bits for 256: the last character's two spare bits must be zero.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${s.slice(0, -1)}${alphabet[alphabet.indexOf(s.at(-1) ?? 'A') ^ 1]}`;
    assert.deepEqual(Buffer.from(respelled, 'base64url'), bytes);
    await expectInvalid(`${h}.${p}.${respelled}`, 'non-canonical signature spelling');
    await expectInvalid(`${h}.${p}.${s}=`, 'padded signature');
    await expectInvalid(`${h}.${p}`, 'two segments');
    assert.equal((await client.me(realToken)).status, 200, 'the untouched token still verifies');
  });

  it('refuses path-traversal, SQL and other odd kids, even over a valid HMAC', async () => {
    const kids: unknown[] = ['../../etc/passwd', "' OR 1=1--", '/dev/null', '..', 'hs-unknown-kid', '', 'a'.repeat(65), 42, null, ['x']];
    for (const kid of kids) {
      await expectInvalid(signHs256(jwtSecret, { ...header, kid }, freshClaims(payload)), `kid ${JSON.stringify(kid)}`);
    }
    await expectInvalid(signHs256('', { ...header, kid: '/dev/null' }, freshClaims(payload)), 'kid /dev/null with an empty key');
    const { kid: _omitted, ...noKid } = header;
    await expectInvalid(signHs256(jwtSecret, noKid, freshClaims(payload)), 'no kid');
  });

  it('refuses jku, jwk, x5u, x5c and crit headers, even over a valid HMAC, and an embedded key', async () => {
    const attackerSecret = secretOf();
    const extras: Record<string, unknown> = {
      jku: 'https://attacker.example/jwks.json',
      jwk: { kty: 'oct', k: attackerSecret },
      x5u: 'https://attacker.example/cert.pem',
      x5c: [randomBytes(64).toString('base64')],
      crit: ['exp'],
    };
    for (const [name, value] of Object.entries(extras)) {
      await expectInvalid(signHs256(jwtSecret, { ...header, [name]: value }, freshClaims(payload)), `${name} over the server's HMAC`);
    }
    await expectInvalid(signHs256(attackerSecret, { ...header, jwk: { kty: 'oct', k: attackerSecret } }, freshClaims(payload)), 'HMAC under an embedded jwk');
    await expectInvalid(signHs256(jwtSecret, { ...header, typ: 'at+jwt' }, freshClaims(payload)), 'another typ');
    // JSON.parse keeps the last alg (HS256, correct); only the duplicate check refuses this.
    const duplicated = `{"alg":"none","typ":"JWT","kid":${JSON.stringify(header['kid'])},"alg":"HS256"}`;
    await expectInvalid(rawToken(duplicated, freshClaims(payload), (input) => hmacSignature(jwtSecret, input)), 'alg repeated in the header');
  });

  it('refuses a token signed with a secret the server does not hold, and takes tokens from Authorization only', async () => {
    await expectInvalid(signHs256(secretOf(), header, freshClaims(payload)), 'unknown secret');
    await expectInvalid(signHs256(`${jwtSecret}x`, header, freshClaims(payload)), 'near-miss secret');
    assertBearerRefused(await client.send('GET', `/v1/users/me?access_token=${realToken}`), 'auth.unauthenticated');
    assertBearerRefused(await client.send('GET', '/v1/users/me', { headers: { cookie: `access_token=${realToken}` } }), 'auth.unauthenticated');
    assertBearerRefused(await client.send('GET', '/v1/users/me', { headers: { authorization: `Bearer ${realToken} extra` } }), 'auth.token_invalid');
  });

  it('publishes no JWKS for a symmetric key', async () => {
    assert.equal((await client.send('GET', '/.well-known/jwks.json')).status, 404);
  });
});

for (const algorithm of ['EdDSA', 'ES256'] as const) {
  describe(`identity access tokens: attacks on ${algorithm}`, () => {
    const newKeyPair = () => (algorithm === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    let dir: string;
    let server: TestServer;
    let client: AuthClient;
    let privateKey: KeyObject;
    let realToken: string;
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    const expectInvalid = async (token: string, label: string) => {
      const res = await client.me(token);
      assert.equal(res.status, 401, `${label}: ${res.status} ${res.text}`);
      assertBearerRefused(res, 'auth.token_invalid');
    };

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'portcullis-keys-'));
      privateKey = newKeyPair().privateKey;
      const file = join(dir, 'signing-key.pem');
      await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      server = await startTestServer({ ...ROOMY_LIMITS, JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY_FILE: file });
      client = new AuthClient(server.url);
      const account = await client.register(`tokens-${algorithm}`);
      realToken = (await client.signIn(account)).accessToken;
      ({ header, payload } = decodeJwt(realToken));
    });
    after(async () => {
      await server?.close();
      await rm(dir, { recursive: true, force: true });
    });

    const fetchJwk = async (): Promise<Record<string, unknown>> => {
      const res = await client.send('GET', '/.well-known/jwks.json');
      assert.equal(res.status, 200, res.text);
      const keys = res.json<{ keys: Record<string, unknown>[] }>().keys;
      assert.equal(keys.length, 1);
      return keys[0] as Record<string, unknown>;
    };

    it('publishes only the public key at /.well-known/jwks.json, and signs with it', async () => {
      const res = await client.send('GET', '/.well-known/jwks.json');
      assert.equal(res.headers['cache-control'], 'public, max-age=300');
      const jwk = await fetchJwk();
      const expected = createPublicKey(privateKey).export({ format: 'jwk' });
      const members = algorithm === 'EdDSA' ? ['alg', 'crv', 'kid', 'kty', 'use', 'x'] : ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'];
      assert.deepEqual(Object.keys(jwk).sort(), members, 'no d, no k, nothing private');
      assert.deepEqual([jwk['kty'], jwk['crv'], jwk['x'], jwk['y']], [expected.kty, expected.crv, expected.x, expected.y]);
      assert.deepEqual([jwk['alg'], jwk['use'], jwk['kid']], [algorithm, 'sig', header['kid']]);
      const d = privateKey.export({ format: 'jwk' }).d;
      assert.ok(d !== undefined && !res.text.includes(d));

      assert.deepEqual([header['alg'], header['typ']], [algorithm, 'JWT']);
      assert.equal((await client.me(realToken)).status, 200);
      assert.equal((await client.me(signAsymmetric(privateKey, header, freshClaims(payload)))).status, 200, 'the control forgery verifies');
    });

    it('refuses HS256 tokens keyed with the public key (algorithm confusion)', async () => {
      const jwk = await fetchJwk();
      const publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
      const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const candidates: [string, string | Buffer][] = [
        ['PEM', pem],
        ['PEM without its newline', pem.trim()],
        ['DER', publicKey.export({ type: 'spki', format: 'der' })],
        ['JWK JSON', JSON.stringify(jwk)],
        ['x coordinate', Buffer.from(String(jwk['x']), 'base64url')],
      ];
      for (const [label, secret] of candidates) {
        await expectInvalid(signHs256(secret, { alg: 'HS256', typ: 'JWT', kid: header['kid'] }, freshClaims(payload)), `HS256 keyed with the ${label}, our kid`);
        await expectInvalid(signHs256(secret, { alg: 'HS256', typ: 'JWT' }, freshClaims(payload)), `HS256 keyed with the ${label}, no kid`);
      }
    });

    it('refuses alg none and the other asymmetric algorithm under our kid', async () => {
      await expectInvalid(`${base64urlJson({ ...header, alg: 'none' })}.${base64urlJson(freshClaims(payload))}.`, 'alg none');
      const other = algorithm === 'EdDSA' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey : generateKeyPairSync('ed25519').privateKey;
      const otherAlg = algorithm === 'EdDSA' ? 'ES256' : 'EdDSA';
      await expectInvalid(signAsymmetric(other, { ...header, alg: otherAlg }, freshClaims(payload)), `alg ${otherAlg} under our kid`);
    });

    it('refuses an attacker key, however the token points at it (our kid, jwk, jku, x5u, x5c), and those headers even over our own signature', async () => {
      const attacker = newKeyPair().privateKey;
      const attackerJwk = { ...createPublicKey(attacker).export({ format: 'jwk' }), kid: 'attacker', alg: algorithm, use: 'sig' };
      const claims = () => freshClaims(payload);
      const base = { alg: algorithm, typ: 'JWT' };
      const attempts: [string, Record<string, unknown>][] = [
        ['our kid', { ...header }],
        ['our kid and an embedded jwk', { ...header, jwk: attackerJwk }],
        ['an embedded jwk only', { ...base, jwk: attackerJwk }],
        ['a jku', { ...base, kid: 'attacker', jku: 'https://attacker.example/.well-known/jwks.json' }],
        ['an x5u', { ...base, kid: 'attacker', x5u: 'https://attacker.example/cert.pem' }],
        ['an x5c with our kid', { ...header, x5c: [randomBytes(200).toString('base64')] }],
      ];
      for (const [label, attackHeader] of attempts) await expectInvalid(signAsymmetric(attacker, attackHeader, claims()), `attacker key via ${label}`);
      for (const name of ['jwk', 'jku', 'x5u', 'x5c', 'crit']) {
        const value = name === 'jwk' ? attackerJwk : name === 'x5c' || name === 'crit' ? ['exp'] : 'https://attacker.example/x';
        await expectInvalid(signAsymmetric(privateKey, { ...header, [name]: value }, claims()), `${name} over our own signature`);
      }
    });

    if (algorithm === 'ES256') {
      it('refuses a DER-encoded signature and the all-zero "psychic" signature', async () => {
        await expectInvalid(signAsymmetric(privateKey, header, freshClaims(payload), true), 'DER signature');
        const [h = '', p = ''] = signAsymmetric(privateKey, header, freshClaims(payload)).split('.');
        await expectInvalid(`${h}.${p}.${Buffer.alloc(64).toString('base64url')}`, 'r = s = 0');
      });
    }
  });
}

// The previous HS256 key verifies for ACCESS_TOKEN_TTL_SECONDS + 5 s after start. Instead of
// waiting that long, the process clock is moved (node:test's Date mock, enabled before the
// servers start, so every Date.now() of the server code reads it); the server code is unchanged.
describe('identity access tokens: key rotation with JWT_PREVIOUS_SECRET', () => {
  const oldSecret = secretOf();
  const newSecret = secretOf();
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-rotation-'));
  });
  after(async () => {
    mock.timers.reset();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps verifying the previous key\'s tokens during the grace, refuses unknown secrets, and refuses the previous key after its grace', async () => {
    const t0 = Date.now();
    mock.timers.enable({ apis: ['Date'], now: t0 });
    const env = { ...ROOMY_LIMITS, DATABASE_URL: `sqlite:${join(dir, 'shared.sqlite')}`, ACCESS_TOKEN_TTL_SECONDS: '60' };
    // After the jump, a real pause lets the server's coarse clocks (the handler-deadline sweep,
    // every 250 ms) read the new time, as they would have after a real wait.
    const moveClockTo = async (at: number) => {
      mock.timers.setTime(at);
      await sleep(300);
    };

    const beforeRotation = await startTestServer({ ...env, JWT_SECRET: oldSecret });
    let account;
    let oldToken: string;
    try {
      const client = new AuthClient(beforeRotation.url);
      account = await client.register('rotation');
      oldToken = (await client.signIn(account)).accessToken;
    } finally {
      await beforeRotation.close();
    }

    const rotated = await startTestServer({ ...env, JWT_SECRET: newSecret, JWT_PREVIOUS_SECRET: oldSecret });
    try {
      const client = new AuthClient(rotated.url);
      const { header: oldHeader, payload } = decodeJwt(oldToken);
      assert.equal((await client.me(oldToken)).status, 200, 'a token of the previous key verifies on the fresh server');
      const newToken = (await client.signIn(account)).accessToken;
      const newHeader = decodeJwt(newToken).header;
      assert.notEqual(newHeader['kid'], oldHeader['kid']);
      assert.equal((await client.me(newToken)).status, 200);
      assertBearerRefused(await client.me(signHs256(secretOf(), oldHeader, freshClaims(payload))), 'auth.token_invalid');
      assertBearerRefused(await client.me(signHs256(secretOf(), newHeader, freshClaims(payload))), 'auth.token_invalid');
      assertBearerRefused(await client.me(signHs256(oldSecret, newHeader, freshClaims(payload))), 'auth.token_invalid');

      await moveClockTo(t0 + 55_000);
      assert.equal((await client.me(signHs256(oldSecret, oldHeader, freshClaims(payload)))).status, 200, 'still within the grace');

      await moveClockTo(t0 + 66_000);
      // Minted now, so not expired: refused only because its key is retired.
      assertBearerRefused(await client.me(signHs256(oldSecret, oldHeader, freshClaims(payload))), 'auth.token_invalid');
      assertBearerRefused(await client.me(oldToken), 'auth.token_invalid');
      // A real token of the current key issued at t0 has now honestly expired.
      assertBearerRefused(await client.me(newToken), 'auth.token_expired');
      const fresh = (await client.signIn(account)).accessToken;
      assert.equal((await client.me(fresh)).status, 200);
    } finally {
      await rotated.close();
      mock.timers.reset();
    }
  });
});
