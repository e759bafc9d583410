import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createAccessTokenKeys,
  createAccessTokenVerifier,
  createJwksVerifier,
  createPasswordPolicy,
  createSecretBox,
  hashOpaqueToken,
  hashPassword,
  matchBackupCode,
  newBackupCodes,
  newOpaqueToken,
  newTotpSecret,
  passwordHashNeedsUpgrade,
  signAccessToken,
  totpKeyUri,
  verifyAgainstDummyHash,
  verifyPassword,
  verifyTotp,
  type AccessTokenKeysOptions,
  type PreviousAccessTokenKeyInput,
} from 'portcullis/auth';
import { PortcullisError, isPortcullisError } from 'portcullis/errors';
import type { AccessPrincipal } from 'portcullis/fastify';
import type { ServerConfig } from '../../config/server-config.js';
import type { IdentityKit } from './identity-kit.js';

/**
 * Binds the library's identity pieces to this server's configuration: the signing key ring
 * (HS256 from JWT_SECRET by default, EdDSA/ES256 from a PEM file, each with an optional previous
 * key that keeps verifying for one access-token lifetime after start), the OpenID JWKS, the
 * password policy and pepper, the secret box (ENCRYPTION_KEY) and the keyed hashes (APP_SECRET).
 */

const CLOCK_TOLERANCE_SECONDS = 5;

/** A kid that names a secret without revealing it: a short digest under a fixed label. */
function derivedKid(prefix: string, material: Buffer | string): string {
  return `${prefix}-${createHash('sha256').update('portcullis-kid\0').update(material).digest('base64url').slice(0, 12)}`;
}

function readKey(file: string, what: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new PortcullisError('config.invalid', { detail: `${what}: cannot read ${file}`, cause });
  }
  try {
    return pem.includes('PRIVATE KEY') ? createPrivateKey(pem) : createPublicKey(pem);
  } catch (cause) {
    throw new PortcullisError('config.invalid', { detail: `${what}: ${file} is not a PEM key`, cause });
  }
}

function keyRingOptions(config: ServerConfig, startedAt: number): AccessTokenKeysOptions {
  const signing = config.auth.signing;
  const retireAt = config.auth.previousKeyRetireAt ?? Math.ceil(startedAt / 1000) + config.auth.accessTokenTtlSeconds + CLOCK_TOLERANCE_SECONDS;
  const previous: PreviousAccessTokenKeyInput[] = [];
  if (signing.algorithm === 'HS256') {
    const secret = config.secrets.jwtSecret;
    if (signing.previousSecret !== undefined) previous.push({ kid: derivedKid('hs', signing.previousSecret), algorithm: 'HS256', key: signing.previousSecret, retireAt });
    return { current: { kid: derivedKid('hs', secret), algorithm: 'HS256', key: secret }, previous };
  }
  const privateKey = readKey(signing.privateKeyFile, 'JWT_PRIVATE_KEY_FILE');
  if (privateKey.type !== 'private') throw new PortcullisError('config.invalid', { detail: 'JWT_PRIVATE_KEY_FILE must hold a private key' });
  const kidOf = (key: KeyObject) => derivedKid(signing.algorithm === 'EdDSA' ? 'ed' : 'es', createPublicKey(key).export({ format: 'der', type: 'spki' }));
  if (signing.previousKeyFile !== undefined) {
    const old = readKey(signing.previousKeyFile, 'JWT_PREVIOUS_KEY_FILE');
    previous.push({ kid: kidOf(old), algorithm: signing.algorithm, key: createPublicKey(old), retireAt });
  }
  return { current: { kid: signing.keyId ?? kidOf(privateKey), algorithm: signing.algorithm, key: privateKey }, previous };
}

function principalOf(claims: { sub: string; role: unknown; jti: unknown; exp: number; sid?: unknown }): AccessPrincipal {
  return {
    userId: claims.sub,
    role: typeof claims.role === 'string' ? claims.role : 'user',
    sessionId: typeof claims.sid === 'string' ? claims.sid : undefined,
    tokenId: typeof claims.jti === 'string' ? claims.jti : '',
    expiresAt: claims.exp,
  };
}

export function createIdentityKit(config: ServerConfig, now: () => number = Date.now): IdentityKit {
  const auth = config.auth;
  const keys = createAccessTokenKeys(keyRingOptions(config, now()));
  const verifier = createAccessTokenVerifier({ keys, issuer: auth.issuer, audience: auth.audience, clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS, now });
  const external =
    auth.oidc === undefined
      ? undefined
      : createJwksVerifier({
          jwks: JSON.parse(readFileSync(auth.oidc.jwksFile, 'utf8')) as unknown,
          issuer: auth.oidc.issuer,
          audience: auth.oidc.audience,
          algorithms: ['EdDSA', 'ES256', 'RS256'],
          clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
          now,
        });
  const pepper = auth.passwordPepper === undefined ? {} : { pepper: auth.passwordPepper };
  const policy = createPasswordPolicy({ minStrength: auth.passwordMinStrength });
  void policy.prepare().catch(() => undefined);
  // Key ids name the key by a digest, so a sealed value says which ring key opens it.
  const boxKeys = [config.secrets.encryptionKey, ...auth.previousEncryptionKeys].map((key) => ({ id: derivedKid('ek', Buffer.from(key, 'base64')), key }));
  const box = createSecretBox({ keys: boxKeys, current: (boxKeys[0] as { id: string }).id });
  const hashSecret = config.secrets.appSecret;
  const jwks = auth.signing.algorithm === 'HS256' ? undefined : keys;
  // Authenticator apps show the issuer; a colon would break the otpauth label.
  const totpIssuer = auth.issuer.replace(/^https?:\/\//, '').replace(/[:/]+/g, ' ').trim() || 'Portcullis';

  return {
    passwordProblems: (password, context) => policy.check(password, context),
    hashPassword: (password) => hashPassword(password, pepper),
    verifyPassword: (storedHash, password) => verifyPassword(storedHash, password, pepper),
    passwordNeedsRehash: (storedHash) => passwordHashNeedsUpgrade(storedHash),
    verifyDummyPassword: async (password) => {
      await verifyAgainstDummyHash(password, pepper);
    },

    issueAccessToken(subject) {
      const signed = signAccessToken(keys, { sub: subject.userId, role: subject.role, sid: subject.sessionId }, { issuer: auth.issuer, audience: auth.audience, ttlSeconds: auth.accessTokenTtlSeconds, now });
      return { token: signed.token, tokenId: signed.jti, expiresIn: signed.expiresIn, expiresAt: signed.expiresAt };
    },
    verifyAccessToken(token) {
      try {
        return principalOf(verifier.verify(token));
      } catch (error) {
        if (external === undefined || !isPortcullisError(error) || error.code !== 'auth.token_invalid') throw error;
        // Not one of ours: an external provider's token names a user of that provider, with no
        // local session and the least role (its own role claims are not ours to trust).
        const claims = external.verify(token);
        return { userId: `oidc:${claims.sub}`, role: 'user', sessionId: undefined, tokenId: typeof claims['jti'] === 'string' ? claims['jti'] : '', expiresAt: claims.exp };
      }
    },
    get jwks() {
      return jwks?.publicJwks();
    },

    sealSecret: (plaintext, context) => box.seal(plaintext, context),
    openSecret: (sealed, context) => box.openText(sealed, context),
    secretNeedsReseal: (sealed) => box.needsReseal(sealed),

    newTotpSecret(accountName) {
      const secret = newTotpSecret();
      return { secret, uri: totpKeyUri(secret, { issuer: totpIssuer, accountName }) };
    },
    matchTotp(secret, code) {
      const result = verifyTotp(secret, code, { now: now() });
      return result.ok ? result.step : undefined;
    },
    newBackupCodes: () => newBackupCodes(hashSecret),
    matchBackupCode: (code, hashes) => matchBackupCode(code, hashes, hashSecret),

    newOpaqueToken: () => newOpaqueToken(),
    hashOpaqueToken: (token) => hashOpaqueToken(token, hashSecret),
  };
}
