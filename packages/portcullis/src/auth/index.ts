/** Authentication checkpoint (A1-A9). For now: password hashing and verification. */
export {
  hashPassword,
  verifyPassword,
  passwordHashNeedsUpgrade,
  ARGON2_MEMORY_COST_KIB,
  ARGON2_TIME_COST,
  ARGON2_PARALLELISM,
  MAX_PASSWORD_CHARACTERS,
  MAX_PASSWORD_BYTES,
  type PasswordHashOptions,
} from './password-hash.js';
export { lockoutPolicy, lockoutAfterFailure, lockoutRemainingMs, DEFAULT_LOCKOUT_POLICY, type LockoutPolicy, type LockoutRecord } from './lockout.js';
export { TokenDenylist, type DenylistBackend, type DenylistEntry, type TokenDenylistOptions } from './token-denylist.js';
