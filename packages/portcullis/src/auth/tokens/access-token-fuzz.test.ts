import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import fc from 'fast-check';
import { isPortcullisError } from '../../errors/index.js';
import { createAccessTokenKeys, createAccessTokenVerifier, createJwksVerifier, signAccessToken } from './index.js';
import { AUDIENCE, ISSUER, NOW, b64, fixedClock, newEd25519, newP256, newRsa, newSecret } from './tokens.test-helpers.js';

/**
 * Property tests: whatever arrives, verify either returns the claims of an unchanged token we
 * signed or throws a PortcullisError coded auth.token_invalid / auth.token_expired; nothing else
 * escapes (no TypeError, no SyntaxError, no OpenSSL error), and no change to a valid token verifies.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const REFUSALS = new Set(['auth.token_invalid', 'auth.token_expired']);

/** Runs verify and says how it ended; fails the property on anything but a coded refusal. */
function outcome(verify: (token: string) => unknown, token: string): 'verified' | 'refused' {
  try {
    verify(token);
    return 'verified';
  } catch (error) {
    assert.ok(isPortcullisError(error) && REFUSALS.has(error.code), `unexpected throw: ${String(error)}`);
    return 'refused';
  }
}

const ed = newEd25519();
const ec = newP256();
const secret = newSecret();
const keys = createAccessTokenKeys({
  current: { kid: 'hs', algorithm: 'HS256', key: secret },
  previous: [
    { kid: 'ed', algorithm: 'EdDSA', key: ed.privateKey, retireAt: NOW + 3600 },
    { kid: 'ec', algorithm: 'ES256', key: ec.privateKey, retireAt: NOW + 3600 },
  ],
});
const verifier = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, now: fixedClock });
const verify = (token: string): unknown => verifier.verify(token);
const signOptions = { issuer: ISSUER, audience: AUDIENCE, now: fixedClock };

const tokens = {
  HS256: signAccessToken(keys, { sub: 'user_1', role: 'member', sid: 's' }, signOptions).token,
  EdDSA: signAccessToken(createAccessTokenKeys({ current: { kid: 'ed', algorithm: 'EdDSA', key: ed.privateKey } }), { sub: 'user_1', role: 'member' }, signOptions).token,
  ES256: signAccessToken(createAccessTokenKeys({ current: { kid: 'ec', algorithm: 'ES256', key: ec.privateKey } }), { sub: 'user_1', role: 'member' }, signOptions).token,
};

type Mutation =
  | { kind: 'replace'; at: number; char: string }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'swap'; at: number; with: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'flip-case'; at: number };

const anyChar = fc.oneof(fc.constantFrom(...ALPHABET), fc.constantFrom('.', '=', '+', '/', ' ', '\n', '\u0000', 'é', '\ud800'), fc.string({ minLength: 1, maxLength: 1 }));
const position = fc.nat({ max: 2000 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: position, char: anyChar }),
  fc.record({ kind: fc.constant('insert' as const), at: position, text: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('swap' as const), at: position, with: position }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('flip-case' as const), at: position }),
);

function mutate(token: string, change: Mutation): string {
  const at = change.at % (token.length + 1);
  switch (change.kind) {
    case 'replace':
      return token.slice(0, at) + change.char + token.slice(at + 1);
    case 'insert':
      return token.slice(0, at) + change.text + token.slice(at);
    case 'delete':
      return token.slice(0, at) + token.slice(at + change.count);
    case 'swap': {
      const other = change.with % token.length;
      const chars = [...token];
      [chars[at % token.length], chars[other]] = [chars[other]!, chars[at % token.length]!];
      return chars.join('');
    }
    case 'truncate':
      return token.slice(0, at);
    case 'flip-case': {
      const char = token.charAt(at);
      const flipped = char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase();
      return token.slice(0, at) + flipped + token.slice(at + 1);
    }
  }
}

describe('access tokens: property tests', () => {
  it('arbitrary strings are refused with a coded error, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 600 }), fc.string({ unit: 'binary', maxLength: 600 }), fc.string({ unit: fc.constantFrom(...ALPHABET, '.'), maxLength: 600 })), (input) => {
        assert.equal(outcome(verify, input), 'refused');
      }),
      { numRuns: 3000 },
    );
  });

  it('token-shaped input with any header and JSON payload and a random signature is refused', () => {
    const header = fc.oneof(
      fc.record({ alg: fc.constantFrom('HS256', 'EdDSA', 'ES256', 'RS256', 'none', 'HS512'), typ: fc.constantFrom('JWT', 'at+jwt', undefined), kid: fc.constantFrom('hs', 'ed', 'ec', 'x', '../hs', undefined) }, { requiredKeys: ['alg'] }),
      fc.json(),
    );
    const payload = fc.oneof(fc.json(), fc.constant(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'u', role: 'admin', jti: 'j', iat: NOW, exp: NOW + 60 })));
    const signature = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ maxLength: 100 }));
    fc.assert(
      fc.property(header, payload, signature, (h, p, s) => {
        const token = `${b64(typeof h === 'string' ? h : JSON.stringify(h))}.${b64(p)}.${Buffer.from(s).toString('base64url')}`;
        assert.equal(outcome(verify, token), 'refused');
      }),
      { numRuns: 2000 },
    );
  });

  for (const [algorithm, token] of Object.entries(tokens)) {
    it(`${algorithm}: every mutation of a valid token is refused; only the unchanged token verifies`, () => {
      assert.equal(outcome(verify, token), 'verified');
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (changes) => {
          const mutated = changes.reduce(mutate, token);
          assert.equal(outcome(verify, mutated), mutated === token ? 'verified' : 'refused', JSON.stringify(changes));
        }),
        { numRuns: algorithm === 'HS256' ? 4000 : 600 },
      );
    });
  }

  it('external provider tokens: every mutation of a valid RS256 token is refused', async () => {
    const rsa = newRsa();
    const provider = createJwksVerifier({ jwks: { keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'r1' }] }, issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], now: fixedClock });
    const token = await new SignJWT({ role: 'x' }).setProtectedHeader({ alg: 'RS256', kid: 'r1' }).setSubject('u').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(NOW + 60).sign(rsa.privateKey);
    const check = (candidate: string): unknown => provider.verify(candidate);
    assert.equal(outcome(check, token), 'verified');
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (changes) => {
        const mutated = changes.reduce(mutate, token);
        assert.equal(outcome(check, mutated), mutated === token ? 'verified' : 'refused');
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (input) => {
        assert.equal(outcome(check, input), 'refused');
      }),
      { numRuns: 1000 },
    );
  });
});
