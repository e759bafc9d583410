/** Access tokens (A3): our own JWTs on node:crypto, and tokens of an external OpenID provider. */
export {
  createAccessTokenKeys,
  MIN_HS256_SECRET_BYTES,
  type AccessTokenAlgorithm,
  type AccessTokenKeyMaterial,
  type AccessTokenKeyInput,
  type PreviousAccessTokenKeyInput,
  type AccessTokenKeysOptions,
  type AccessTokenKeys,
  type PublicJwk,
  type PublicJwks,
} from './access-token-keys.js';
export {
  signAccessToken,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  DEFAULT_MAX_ACCESS_TOKEN_LENGTH,
  type AccessTokenSubject,
  type ExtraClaimValue,
  type SignAccessTokenOptions,
  type SignedAccessToken,
} from './sign-access-token.js';
export { createAccessTokenVerifier, type AccessTokenClaims, type AccessTokenVerifier, type AccessTokenVerifierOptions } from './verify-access-token.js';
export {
  createJwksVerifier,
  type ExternalTokenAlgorithm,
  type ExternalTokenClaims,
  type JwksVerifier,
  type JwksVerifierOptions,
} from './jwks-verifier.js';
export { DEFAULT_CLOCK_TOLERANCE_SECONDS } from './claim-checks.js';
