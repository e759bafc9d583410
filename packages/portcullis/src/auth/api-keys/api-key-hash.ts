import { assertHashSecret, keyedHash, sameSecretString, type HashSecret } from '../secrets/keyed-hash.js';

/**
 * The only form in which an API key is stored and looked up (A8): HMAC-SHA256 under a server
 * secret. A key is 256 random bits, so a slow password hash would add latency to every request
 * and nothing against guessing; the secret is what makes a leaked table useless on its own, not
 * even testable against a guess.
 */

/**
 * The keyed hash (base64url, 43 characters) to store at issuance and look a presented key up by.
 * `secret` must have at least 32 bytes (`config.invalid` otherwise). Parse the key first
 * (`parseApiKey`): this hashes whatever it is given.
 *
 * @example
 * const { key, displayPrefix } = newApiKey('live');
 * await keys.insert({ displayPrefix, keyHash: hashApiKey(secret, key) });
 */
export function hashApiKey(secret: HashSecret, key: string): string {
  assertHashSecret(secret, 'API key hash');
  return keyedHash(secret, key);
}

/**
 * Constant-time equality of two key hashes; different lengths and empty strings answer false.
 *
 * @example
 * if (!sameApiKeyHash(row.keyHash, hashApiKey(secret, presented))) refuse();
 */
export function sameApiKeyHash(a: string, b: string): boolean {
  return sameSecretString(a, b);
}
