/**
 * How each contender is built and called. Every one is configured as a production API would be:
 * the algorithm pinned to the token's, issuer and audience required, expiry checked (each
 * library's default), and each returns the subject so the result is used.
 */
import { createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createAccessTokenKeys, createAccessTokenVerifier } from 'portcullis/auth';
import { AUDIENCE, ISSUER, KID, contenderById } from './contenders.ts';
import type { Fixture } from './protocol.ts';

export type Verifier = { kind: 'sync'; verify: (token: string) => string } | { kind: 'async'; verify: (token: string) => Promise<string> };

/** Exactly the secret or public key each library is given, decoded from the fixture once. */
function keyMaterial(fixture: Fixture): { secret: Buffer | null; publicPem: string | null; privatePem: string | null } {
  return {
    secret: fixture.secretHex === null ? null : Buffer.from(fixture.secretHex, 'hex'),
    publicPem: fixture.publicKeyPem,
    privatePem: fixture.privateKeyPem,
  };
}

function subjectOf(payload: unknown): string {
  const sub = (payload as { sub?: unknown } | null)?.sub;
  if (typeof sub !== 'string') throw new Error('verified, but without a subject');
  return sub;
}

function portcullis(fixture: Fixture): Verifier {
  const { secret, privatePem } = keyMaterial(fixture);
  const key = fixture.algorithm === 'HS256' ? secret! : privatePem!;
  // The server signs and verifies with the same ring, so the ring holds the private key.
  const keys = createAccessTokenKeys({ current: { kid: KID, algorithm: fixture.algorithm, key } });
  // The remembered-token cache off: this bench times verification itself, and verifies one token
  // over and over, which the cache would answer without verifying (the peers cache nothing by default).
  const verifier = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, cacheSize: 0 });
  return { kind: 'sync', verify: (token) => verifier.verify(token).sub };
}

function jsonwebtoken(fixture: Fixture, bufferSecret: boolean): Verifier {
  const { secret } = keyMaterial(fixture);
  const key = bufferSecret ? secret! : createSecretKey(secret!);
  const options = { algorithms: [fixture.algorithm as 'HS256'], issuer: ISSUER, audience: AUDIENCE };
  return { kind: 'sync', verify: (token) => subjectOf(jwt.verify(token, key, options)) };
}

async function jose(fixture: Fixture): Promise<Verifier> {
  const { jwtVerify } = await import('jose');
  const { secret, publicPem } = keyMaterial(fixture);
  const key = fixture.algorithm === 'HS256' ? createSecretKey(secret!) : createPublicKey(publicPem!);
  const options = { algorithms: [fixture.algorithm], issuer: ISSUER, audience: AUDIENCE };
  return { kind: 'async', verify: async (token) => subjectOf((await jwtVerify(token, key, options)).payload) };
}

async function fastJwt(fixture: Fixture, cache: boolean): Promise<Verifier> {
  const { createVerifier } = await import('fast-jwt');
  const { secret, publicPem } = keyMaterial(fixture);
  const verifier = createVerifier({
    key: fixture.algorithm === 'HS256' ? secret! : publicPem!,
    algorithms: [fixture.algorithm],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    cache,
  });
  return { kind: 'sync', verify: (token) => subjectOf(verifier(token)) };
}

/** The signature check alone, as cheap as node:crypto allows: what no verifier can go below. */
function floor(fixture: Fixture): Verifier {
  const { secret, publicPem } = keyMaterial(fixture);
  if (fixture.algorithm === 'HS256') {
    const key = createSecretKey(secret!);
    return {
      kind: 'sync',
      verify: (token) => {
        const dot = token.lastIndexOf('.');
        const expected = createHmac('sha256', key).update(token.slice(0, dot), 'latin1').digest();
        const given = Buffer.from(token.slice(dot + 1), 'base64url');
        if (given.length !== expected.length || !timingSafeEqual(expected, given)) throw new Error('bad signature');
        return 'signature-only';
      },
    };
  }
  const key = createPublicKey(publicPem!);
  return {
    kind: 'sync',
    verify: (token) => {
      const dot = token.lastIndexOf('.');
      if (!verifySignature(null, Buffer.from(token.slice(0, dot), 'latin1'), key, Buffer.from(token.slice(dot + 1), 'base64url'))) throw new Error('bad signature');
      return 'signature-only';
    },
  };
}

export async function buildVerifier(contenderId: string, fixture: Fixture): Promise<Verifier> {
  const contender = contenderById(contenderId);
  if (!contender.algorithms.includes(fixture.algorithm)) throw new Error(`${contenderId} does not support ${fixture.algorithm}`);
  switch (contenderId) {
    case 'portcullis':
      return portcullis(fixture);
    case 'jsonwebtoken':
      return jsonwebtoken(fixture, false);
    case 'jsonwebtoken:buffer-secret':
      return jsonwebtoken(fixture, true);
    case 'jose':
      return jose(fixture);
    case 'fast-jwt':
      return fastJwt(fixture, false);
    case 'fast-jwt:cache':
      return fastJwt(fixture, true);
    case 'node-crypto-floor':
      return floor(fixture);
    default:
      throw new RangeError(`no verifier for ${contenderId}`);
  }
}
