/** Authentication checkpoint (A1-A9): passwords, lockout, access tokens, denylist, TOTP, sealed secrets, API keys, signed requests. */
export {
  hashPassword,
  verifyPassword,
  passwordHashNeedsUpgrade,
  normalisePassword,
  ARGON2_MEMORY_COST_KIB,
  ARGON2_TIME_COST,
  ARGON2_PARALLELISM,
  MAX_PASSWORD_CHARACTERS,
  MAX_PASSWORD_BYTES,
  BCRYPT_MINIMUM_COST,
  BCRYPT_MAXIMUM_COST,
  BCRYPT_MAX_PASSWORD_BYTES,
  type PasswordHashOptions,
} from './password-hash.js';
export { verifyAgainstDummyHash, prepareDummyHash, dummyHashVerifications } from './dummy-password.js';
export {
  createPasswordPolicy,
  strengthEstimatesRun,
  STRENGTH_ESTIMATE_MAX_CHARACTERS,
  type PasswordPolicy,
  type PasswordPolicyOptions,
  type PasswordContext,
} from './password-policy.js';
export { lockoutPolicy, lockoutAfterFailure, lockoutRemainingMs, DEFAULT_LOCKOUT_POLICY, type LockoutPolicy, type LockoutRecord } from './lockout.js';
export { TokenDenylist, type DenylistBackend, type DenylistEntry, type TokenDenylistOptions } from './token-denylist.js';
export { createSecretBox, newSecretBoxKey, MAX_SEALED_PLAINTEXT_BYTES, type SecretBox, type SecretBoxKey, type SecretBoxOptions } from './secrets/secret-box.js';
export { newOpaqueToken, looksLikeOpaqueToken, hashOpaqueToken, sameTokenHash, OPAQUE_TOKEN_BYTES, type OpaqueTokenShape } from './secrets/opaque-token.js';
export { MIN_HASH_SECRET_BYTES, type HashSecret } from './secrets/keyed-hash.js';
export { newTotpSecret, totpKeyUri, verifyTotp, totpStepAt, TOTP_DIGITS, TOTP_PERIOD_SECONDS, TOTP_WINDOW_STEPS, TOTP_SECRET_BYTES, type TotpCheck, type TotpVerifyOptions, type TotpKeyUriOptions } from './mfa/totp.js';
export { newBackupCodes, matchBackupCode, hashBackupCode, normaliseBackupCode, BACKUP_CODE_COUNT, BACKUP_CODE_LENGTH, type BackupCodes } from './mfa/backup-codes.js';
export * from './tokens/index.js';
export { newApiKey, parseApiKey, looksLikeApiKey, API_KEY_PATTERN, API_KEY_LENGTH, type ApiKeyEnvironment, type NewApiKey, type ParsedApiKey } from './api-keys/api-key-format.js';
export { hashApiKey, sameApiKeyHash } from './api-keys/api-key-hash.js';
export {
  createApiKeyVerifier,
  DEFAULT_API_KEY_CACHE_TTL_MS,
  DEFAULT_API_KEY_CACHE_SIZE,
  type ApiKeyVerifier,
  type ApiKeyVerifierOptions,
  type ApiKeyLookup,
  type StoredApiKey,
  type VerifiedApiKey,
} from './api-keys/api-key-verifier.js';
export { requireScopes, assertScopes, scopesWithin, SCOPE_PATTERN } from './api-keys/api-key-scopes.js';
export { ApiKeyUsageRecorder, type ApiKeyUsageBatch, type ApiKeyUsageCount, type ApiKeyUsageRecorderOptions } from './api-keys/api-key-usage.js';
export * from './signed-requests/index.js';
