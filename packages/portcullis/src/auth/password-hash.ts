import { createHmac } from 'node:crypto';
import { hash, parseOptions, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { PortcullisError } from '../errors/index.js';

/**
 * Password hashing (A1): argon2id at the OWASP parameters through @node-rs/argon2 (native, off the
 * event loop), with an optional pepper. Input is capped before any hashing work so an attacker
 * cannot make one request cost seconds of CPU, and passwords are NFKC-normalised (NIST SP 800-63B)
 * so the same password typed on two keyboards verifies. Length policy (minimum, blocklist) is not
 * decided here: this module only hashes and verifies.
 */

/** OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1. */
export const ARGON2_MEMORY_COST_KIB = 19456;
export const ARGON2_TIME_COST = 2;
export const ARGON2_PARALLELISM = 1;

/** Longest password accepted, in Unicode code points. */
export const MAX_PASSWORD_CHARACTERS = 128;
/** Longest password accepted, in UTF-8 bytes: caps the work whatever the characters are. */
export const MAX_PASSWORD_BYTES = 1024;

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

/** Normalises and caps the password, then applies the pepper; `undefined` when over the caps. */
function preparePassword(password: string, pepper: string | undefined): string | undefined {
  // The raw check bounds the normalisation work; the second catches forms that NFKC expands.
  if (exceedsLimits(password)) return undefined;
  const normalised = password.normalize('NFKC');
  if (exceedsLimits(normalised)) return undefined;
  if (pepper === undefined) return normalised;
  if (pepper === '') throw new PortcullisError('config.invalid', { detail: 'the password pepper must not be empty' });
  // Base64, not raw bytes: the binding's verify() decodes its input as UTF-8 and rejects raw MACs.
  return createHmac('sha256', pepper).update(normalised, 'utf8').digest('base64');
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
  const prepared = preparePassword(password, options.pepper);
  if (prepared === undefined) {
    throw new PortcullisError('auth.password_too_long', {
      detail: `passwords are limited to ${MAX_PASSWORD_CHARACTERS} characters and ${MAX_PASSWORD_BYTES} bytes`,
    });
  }
  return hash(prepared, ARGON2_OPTIONS);
}

/**
 * Checks a password against a stored hash. Returns `false` (does not throw) for a wrong password,
 * an over-long password, or a stored value that is not a valid argon2 hash; the pepper must be
 * the one used when hashing (an empty pepper is a configuration error and throws `config.invalid`).
 *
 * @example
 * if (!(await verifyPassword(user.passwordHash, submitted))) throw invalidCredentials();
 */
export async function verifyPassword(storedHash: string, password: string, options: PasswordHashOptions = {}): Promise<boolean> {
  const prepared = preparePassword(password, options.pepper);
  if (prepared === undefined) return false;
  try {
    return await verify(storedHash, prepared);
  } catch {
    // A malformed or foreign hash is a "no", not an outage: the caller answers "invalid credentials".
    return false;
  }
}

/**
 * True when a stored hash is not argon2id at (at least) the current parameters, so the caller
 * should re-hash the password after a successful login.
 *
 * @example
 * if (await verifyPassword(stored, pw) && passwordHashNeedsUpgrade(stored)) await save(await hashPassword(pw));
 */
export function passwordHashNeedsUpgrade(storedHash: string): boolean {
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
