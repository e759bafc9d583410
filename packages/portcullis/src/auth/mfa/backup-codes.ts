import { randomBytes } from 'node:crypto';
import { PortcullisError } from '../../errors/index.js';
import { assertHashSecret, keyedHash, sameSecretString, type HashSecret } from '../secrets/keyed-hash.js';

/**
 * Single-use MFA backup codes (A6): ten codes of ten characters from Crockford's base32 alphabet
 * (no i, l, o, u; read back leniently: case, dashes and spaces ignored, i/l read as 1 and o as 0),
 * 50 bits of randomness each, shown as `abcde-fghij`. Only an HMAC-SHA256 of each under a server
 * secret is stored. A fast keyed hash is enough here, unlike passwords: nobody chose these codes,
 * so there is no dictionary to try first, and 2^50 guesses are out of reach online (MFA has its
 * own strict rate limit). Offline, a stolen table is useless without the server secret, which
 * lives outside the database; a slow hash would instead cost ten slow verifications per attempt.
 * The caller deletes (or marks spent) the matched entry in the same transaction that accepts it.
 */

export const BACKUP_CODE_COUNT = 10;
export const BACKUP_CODE_LENGTH = 10;
/** Crockford base32, lower case: 32 symbols, so each character is exactly 5 random bits. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const NORMALISED = /^[0-9a-hjkmnp-tv-z]{10}$/;
/** Generous for a 10-character code with separators; longer input is refused unread. */
const MAX_INPUT_CHARS = 64;
const HASH_CONTEXT = 'portcullis.backup-code:';

export interface BackupCodes {
  /** Show once, then forget: `abcde-fghij`. */
  readonly codes: readonly string[];
  /** Store these, in the same order. */
  readonly hashes: readonly string[];
}

function randomCode(): string {
  let code = '';
  for (const byte of randomBytes(BACKUP_CODE_LENGTH)) code += ALPHABET[byte & 31];
  return code;
}

/**
 * Reads a backup code as a person might type it back: case, spaces and dashes ignored, i/l taken
 * for 1 and o for 0. Undefined when what remains is not ten characters of the alphabet.
 *
 * @example
 * normaliseBackupCode(' ABCDE-FGH1J ') === 'abcdefgh1j';
 */
export function normaliseBackupCode(input: string): string | undefined {
  if (typeof input !== 'string' || input.length > MAX_INPUT_CHARS) return undefined;
  const code = input.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  return NORMALISED.test(code) ? code : undefined;
}

/**
 * The stored form of one backup code (HMAC-SHA256 base64url), or undefined for input that is not
 * a backup code. `secret` must have at least 32 bytes (`config.invalid` otherwise).
 *
 * @example
 * const hash = hashBackupCode('abcde-fghij', secret);
 */
export function hashBackupCode(code: string, secret: HashSecret): string | undefined {
  assertHashSecret(secret, 'backup codes');
  const normalised = normaliseBackupCode(code);
  return normalised === undefined ? undefined : keyedHash(secret, HASH_CONTEXT + normalised);
}

/**
 * A fresh set of distinct backup codes with their hashes; replacing a user's set discards the old one.
 *
 * @example
 * const { codes, hashes } = newBackupCodes(secret);
 * await backupCodes.replace(userId, hashes);
 * return { backupCodes: codes }; // shown once
 */
export function newBackupCodes(secret: HashSecret, count = BACKUP_CODE_COUNT): BackupCodes {
  assertHashSecret(secret, 'backup codes');
  if (!Number.isSafeInteger(count) || count < 1 || count > 100) {
    throw new PortcullisError('config.invalid', { detail: 'backup codes: count must be an integer from 1 to 100' });
  }
  const codes = new Set<string>();
  while (codes.size < count) codes.add(randomCode());
  const plain = [...codes];
  return {
    codes: plain.map((code) => `${code.slice(0, 5)}-${code.slice(5)}`),
    hashes: plain.map((code) => keyedHash(secret, HASH_CONTEXT + code)),
  };
}

/**
 * The index in `storedHashes` of the entry `code` matches, or -1. The presented code is hashed
 * once and compared in constant time with every entry, with no early exit, so timing reveals
 * neither whether nor where it matched. Spending the entry is the caller's job.
 *
 * @example
 * const index = matchBackupCode(code, unused.map((row) => row.codeHash), secret);
 * if (index === -1 || !(await backupCodes.spend(unused[index].id))) throw new PortcullisError('auth.mfa_invalid');
 */
export function matchBackupCode(code: string, storedHashes: readonly string[], secret: HashSecret): number {
  const presented = hashBackupCode(code, secret);
  if (presented === undefined) return -1;
  let found = -1;
  for (let index = 0; index < storedHashes.length; index++) {
    const equal = sameSecretString(storedHashes[index] as string, presented);
    if (equal && found === -1) found = index;
  }
  return found;
}
