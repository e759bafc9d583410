import { createHmac, timingSafeEqual } from 'node:crypto';
import { PortcullisError } from '../../errors/index.js';

/**
 * The keyed hash behind every "store only a hash" value we mint ourselves (refresh and reset
 * tokens, backup codes). Those values carry 50-256 bits of randomness, so a slow password hash
 * would buy nothing against guessing; the key is what makes a stolen table useless on its own.
 * Internal to the library: callers use the verbs in opaque-token.ts and backup-codes.ts.
 */

/** A server secret for HMAC-SHA256: at least 256 bits, as for HS256 keys (A3, A10). */
export const MIN_HASH_SECRET_BYTES = 32;

export type HashSecret = string | Uint8Array;

/** Throws `config.invalid` unless `secret` has at least 32 bytes. */
export function assertHashSecret(secret: HashSecret, what: string): void {
  const bytes = typeof secret === 'string' ? Buffer.byteLength(secret, 'utf8') : secret instanceof Uint8Array ? secret.byteLength : -1;
  if (bytes < MIN_HASH_SECRET_BYTES) {
    throw new PortcullisError('config.invalid', { detail: `${what}: the hashing secret must be at least ${MIN_HASH_SECRET_BYTES} bytes` });
  }
}

/** HMAC-SHA256 of `message` under `secret`, base64url (43 characters). */
export function keyedHash(secret: HashSecret, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('base64url');
}

/**
 * Constant-time equality of two strings. A length difference answers false at once (lengths are
 * public), and so does an empty string: an absent secret never matches, not even another absent one.
 */
export function sameSecretString(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length === 0 || b.length === 0) return false;
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
