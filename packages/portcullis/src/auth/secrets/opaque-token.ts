import { randomBytes } from 'node:crypto';
import { PortcullisError } from '../../errors/index.js';
import { assertHashSecret, keyedHash, sameSecretString, type HashSecret } from './keyed-hash.js';

/**
 * Opaque bearer values we mint and later look up: refresh tokens (A4), password-reset tokens (A7).
 * They are pure randomness (256 bits by default), so the database keeps only an HMAC of each,
 * which is both the lookup key and the proof: a leaked table cannot be replayed, and without the
 * server secret it cannot even be tested against a guess. Input is shape-checked before any
 * hashing, so junk of any size costs one regex and never reaches the store.
 */

/** Randomness in a default token: 256 bits. */
export const OPAQUE_TOKEN_BYTES = 32;
const MIN_TOKEN_BYTES = 16;
const MAX_TOKEN_BYTES = 64;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface OpaqueTokenShape {
  /** Random bytes the token was minted with. Default 32. */
  readonly bytes?: number;
}

function tokenBytes(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < MIN_TOKEN_BYTES || bytes > MAX_TOKEN_BYTES) {
    throw new PortcullisError('config.invalid', {
      detail: `opaque token: bytes must be an integer from ${MIN_TOKEN_BYTES} to ${MAX_TOKEN_BYTES}`,
    });
  }
  return bytes;
}

/**
 * A new random token: `bytes` bytes (default 32, i.e. 256 bits) from the CSPRNG, base64url
 * without padding (43 characters for 32 bytes). Show it to its owner once; store only
 * `hashOpaqueToken(token, secret)`.
 *
 * @example
 * const refreshToken = newOpaqueToken();
 * await sessions.save({ tokenHash: hashOpaqueToken(refreshToken, secret) });
 */
export function newOpaqueToken(bytes = OPAQUE_TOKEN_BYTES): string {
  return randomBytes(tokenBytes(bytes)).toString('base64url');
}

/**
 * Whether `token` has exactly the shape `newOpaqueToken(bytes)` produces: canonical unpadded
 * base64url of that many bytes. Says nothing about whether such a token was ever issued.
 *
 * @example
 * if (!looksLikeOpaqueToken(cookies.refresh)) throw new PortcullisError('auth.refresh_invalid');
 */
export function looksLikeOpaqueToken(token: unknown, options: OpaqueTokenShape = {}): token is string {
  const bytes = tokenBytes(options.bytes ?? OPAQUE_TOKEN_BYTES);
  if (typeof token !== 'string' || token.length !== Math.ceil((bytes * 4) / 3) || !BASE64URL.test(token)) return false;
  // Only the canonical spelling: the spare low bits of the last character must be zero.
  return Buffer.from(token, 'base64url').toString('base64url') === token;
}

/**
 * The keyed hash (HMAC-SHA256, base64url) to store and look a token up by, or `undefined` when
 * `token` is not shaped like one of ours: the caller refuses with its own code
 * (`auth.refresh_invalid`, `auth.reset_invalid`), which only it knows. `secret` must have at
 * least 32 bytes (`config.invalid` otherwise).
 *
 * @example
 * const tokenHash = hashOpaqueToken(presented, secret);
 * if (tokenHash === undefined) throw new PortcullisError('auth.reset_invalid');
 * const reset = await resets.findByHash(tokenHash);
 */
export function hashOpaqueToken(token: string, secret: HashSecret, options: OpaqueTokenShape = {}): string | undefined {
  assertHashSecret(secret, 'opaque token');
  if (!looksLikeOpaqueToken(token, options)) return undefined;
  return keyedHash(secret, token);
}

/**
 * Constant-time comparison of two stored token hashes (for when a hash is compared in code rather
 * than looked up by an index). Different lengths, and empty strings, answer false.
 *
 * @example
 * if (!sameTokenHash(row.tokenHash, hashOpaqueToken(presented, secret) ?? '')) refuse();
 */
export function sameTokenHash(a: string, b: string): boolean {
  return sameSecretString(a, b);
}
