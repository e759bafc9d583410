import { randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword, type PasswordHashOptions } from './password-hash.js';

/**
 * Equal timing for unknown accounts (A2). If a login for an unknown email answered before any
 * hashing, the response time alone would tell an attacker which emails have accounts. The login
 * route calls `verifyAgainstDummyHash` instead, which does the same work as a real verify (same
 * caps, normalisation and pepper, argon2id at the same parameters) against a hash of a random
 * secret made once per process, and always answers `false`.
 */

let dummyHash: Promise<string> | undefined;
let verifications = 0;

function makeDummyHash(secret: string): Promise<string> {
  const made = hashPassword(secret);
  // A failed hash must not be memoised, or every later unknown-account login would fail the same way.
  made.catch(() => {
    if (dummyHash === made) dummyHash = undefined;
  });
  return made;
}

/**
 * The dummy argon2id hash, made on first use and shared afterwards. Await it at start-up so the
 * first unknown-account login does not pay for the hashing (one hash slower than every later one).
 *
 * @example
 * await prepareDummyHash(); // during start-up, before listening
 */
export function prepareDummyHash(): Promise<string> {
  dummyHash ??= makeDummyHash(randomBytes(32).toString('base64url'));
  return dummyHash;
}

/**
 * Runs a full password verification against the dummy hash and answers `false`, whatever the
 * password (even the dummy's own secret). Pass the same options as to `verifyPassword`, so a pepper
 * costs the same here, and an empty pepper throws `config.invalid` here too.
 *
 * @example
 * const user = await findUserByEmail(db, email);
 * const ok = user === undefined
 *   ? await verifyAgainstDummyHash(password, { pepper })
 *   : await verifyPassword(user.passwordHash, password, { pepper });
 * if (!ok) throw new PortcullisError('auth.invalid_credentials');
 */
export async function verifyAgainstDummyHash(password: string, options: PasswordHashOptions = {}): Promise<false> {
  const stored = await prepareDummyHash();
  await verifyPassword(stored, password, options);
  verifications += 1;
  return false;
}

/**
 * How many dummy verifications have completed in this process, so a test can show that the
 * unknown-account path really ran one without measuring time.
 *
 * @example
 * const before = dummyHashVerifications();
 * await login(unknownEmail, password);
 * assert.equal(dummyHashVerifications(), before + 1);
 */
export function dummyHashVerifications(): number {
  return verifications;
}

/**
 * Replaces the dummy hash with one made from a known secret. For tests only: it lets a test show
 * that even the dummy's own secret is refused.
 *
 * @example
 * await useDummySecretForTests('known secret');
 * assert.equal(await verifyAgainstDummyHash('known secret'), false);
 */
export function useDummySecretForTests(secret: string): Promise<string> {
  dummyHash = makeDummyHash(secret);
  return dummyHash;
}
