import { createHmac } from 'node:crypto';
import { hash, parseOptions, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { parseOptions as parseBcryptOptions, verify as verifyBcrypt } from '@node-rs/bcrypt';
import { PortcullisError } from '../errors/index.js';
import { passwordHashingSlots } from './hashing-slots.js';

/**
 * Password hashing (A1): argon2id at the OWASP parameters through @node-rs/argon2 (native, off the
 * event loop), with an optional pepper. Input is capped before any hashing work so an attacker
 * cannot make one request cost seconds of CPU, and passwords are NFKC-normalised (NIST SP 800-63B)
 * so the same password typed on two keyboards verifies. Length policy (minimum, blocklist) is not
 * decided here: this module only hashes and verifies.
 *
 * Legacy bcrypt hashes imported from another system ($2a$, $2b$, $2y$, cost 10..14) still verify,
 * through @node-rs/bcrypt (also native and off the event loop), and always report that they need
 * an upgrade, so the caller re-hashes to argon2id on the next successful login. We never create
 * bcrypt hashes. Three deliberate differences on that path:
 * - No pepper: the other system hashed the bare password, so peppering would make every imported
 *   hash fail. The pepper protects a bcrypt user only once the login upgrade has re-hashed them.
 * - bcrypt reads only the first 72 bytes of a password and ignores the rest (an inherent property of
 *   the stored hash, not something we can fix). The argon2id path never goes through bcrypt and
 *   always hashes the whole password. Consequence: a login whose first 72 bytes match verifies, and
 *   the upgrade then stores what was typed in full.
 * - The other system most likely hashed the password as typed, not NFKC-normalised, so when the
 *   two forms differ both are tried (at most two bcrypt runs, still within the same caps).
 */

/** OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1. */
export const ARGON2_MEMORY_COST_KIB = 19456;
export const ARGON2_TIME_COST = 2;
export const ARGON2_PARALLELISM = 1;

/** Longest password accepted, in Unicode code points. */
export const MAX_PASSWORD_CHARACTERS = 128;
/** Longest password accepted, in UTF-8 bytes: caps the work whatever the characters are. */
export const MAX_PASSWORD_BYTES = 1024;

/** Lowest bcrypt cost accepted (A1): cheaper hashes are refused rather than trusted. */
export const BCRYPT_MINIMUM_COST = 10;
/**
 * Highest bcrypt cost accepted. The verifier has no ceiling of its own and a stored cost of 31 would
 * take days of CPU per login; cost 14 takes about one second on our machines.
 */
export const BCRYPT_MAXIMUM_COST = 14;
/** bcrypt silently ignores every password byte after this many. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

/** The native binding exposes `Algorithm` as a const enum with no runtime object; 2 is argon2id. */
const ARGON2ID = 2 as Algorithm;

const ARGON2_OPTIONS: Options = {
  algorithm: ARGON2ID,
  memoryCost: ARGON2_MEMORY_COST_KIB,
  timeCost: ARGON2_TIME_COST,
  parallelism: ARGON2_PARALLELISM,
};

export interface PasswordHashOptions {
  /**
   * A server-side secret kept outside the database (for example in the environment). When set,
   * the password is replaced by base64(HMAC-SHA256(pepper, password)) before hashing, so a stolen
   * database alone cannot be cracked. Changing it invalidates every stored hash.
   */
  readonly pepper?: string;
}

function exceedsLimits(password: string): boolean {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return true;
  let characters = 0;
  for (const _ of password) {
    characters += 1;
    if (characters > MAX_PASSWORD_CHARACTERS) return true;
  }
  return false;
}

/**
 * The NFKC form of a password, or `undefined` when the password (as typed or once normalised) is
 * over the caps. Shared with the password policy so both refuse exactly the same inputs.
 */
export function normalisePassword(password: string): string | undefined {
  // The raw check bounds the normalisation work; the second catches forms that NFKC expands.
  if (exceedsLimits(password)) return undefined;
  const normalised = password.normalize('NFKC');
  return exceedsLimits(normalised) ? undefined : normalised;
}

function checkPepper(pepper: string | undefined): void {
  if (pepper === '') throw new PortcullisError('config.invalid', { detail: 'the password pepper must not be empty' });
}

function applyPepper(normalised: string, pepper: string | undefined): string {
  if (pepper === undefined) return normalised;
  // Base64, not raw bytes: the binding's verify() decodes its input as UTF-8 and rejects raw MACs.
  return createHmac('sha256', pepper).update(normalised, 'utf8').digest('base64');
}

/** Only the canonical shapes of the three supported prefixes; `$2x$` and `$2$` are not trusted. */
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

function isBcryptHash(storedHash: string): boolean {
  return BCRYPT_HASH.test(storedHash);
}

async function verifyLegacyBcrypt(storedHash: string, typed: string, normalised: string): Promise<boolean> {
  try {
    const { cost } = parseBcryptOptions(storedHash);
    if (cost < BCRYPT_MINIMUM_COST || cost > BCRYPT_MAXIMUM_COST) return false;
    if (await verifyBcrypt(normalised, storedHash)) return true;
    return typed !== normalised && (await verifyBcrypt(typed, storedHash));
  } catch {
    return false;
  }
}

/**
 * Hashes a password with argon2id (m=19456 KiB, t=2, p=1) and a fresh random salt, returning the
 * PHC string to store. Throws `auth.password_too_long` over 128 characters or 1024 bytes, before
 * any hashing.
 *
 * @example
 * const stored = await hashPassword(password, { pepper: process.env.PASSWORD_PEPPER });
 * // '$argon2id$v=19$m=19456,t=2,p=1$...'
 */
export async function hashPassword(password: string, options: PasswordHashOptions = {}): Promise<string> {
  checkPepper(options.pepper);
  const normalised = normalisePassword(password);
  if (normalised === undefined) {
    throw new PortcullisError('auth.password_too_long', {
      detail: `passwords are limited to ${MAX_PASSWORD_CHARACTERS} characters and ${MAX_PASSWORD_BYTES} bytes`,
    });
  }
  const input = applyPepper(normalised, options.pepper);
  return passwordHashingSlots.run(() => hash(input, ARGON2_OPTIONS));
}

/**
 * Checks a password against a stored hash: argon2 (with the pepper, when set) or a legacy bcrypt
 * hash ($2a$/$2b$/$2y$, cost 10..14, without the pepper: see the module header). Returns `false`
 * (does not throw) for a wrong password, an over-long password, or a stored value that is neither;
 * the pepper must be the one used when hashing (an empty pepper is a configuration error and throws
 * `config.invalid`). After `true`, check `passwordHashNeedsUpgrade` and re-hash when it says so.
 *
 * @example
 * if (!(await verifyPassword(user.passwordHash, submitted))) throw invalidCredentials();
 */
export async function verifyPassword(storedHash: string, password: string, options: PasswordHashOptions = {}): Promise<boolean> {
  checkPepper(options.pepper);
  const normalised = normalisePassword(password);
  if (normalised === undefined) return false;
  if (isBcryptHash(storedHash)) return passwordHashingSlots.run(() => verifyLegacyBcrypt(storedHash, password, normalised));
  const input = applyPepper(normalised, options.pepper);
  try {
    return await passwordHashingSlots.run(() => verify(storedHash, input));
  } catch {
    // A malformed or foreign hash is a "no", not an outage: the caller answers "invalid credentials".
    return false;
  }
}

/**
 * True when a stored hash is not argon2id at (at least) the current parameters (a legacy bcrypt
 * hash always is), so the caller should re-hash the password after a successful login.
 *
 * @example
 * if (await verifyPassword(stored, pw) && passwordHashNeedsUpgrade(stored)) await save(await hashPassword(pw));
 */
export function passwordHashNeedsUpgrade(storedHash: string): boolean {
  if (isBcryptHash(storedHash)) return true;
  try {
    const used = parseOptions(storedHash);
    return (
      used.algorithm !== ARGON2ID ||
      used.memoryCost < ARGON2_MEMORY_COST_KIB ||
      used.timeCost < ARGON2_TIME_COST ||
      used.parallelism < ARGON2_PARALLELISM
    );
  } catch {
    return true;
  }
}
