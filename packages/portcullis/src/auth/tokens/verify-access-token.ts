import { checkClaimTimes, checkClaims, checkVerifierOptions } from './claim-checks.js';
import { configInvalid, decodeJsonObject, splitCompact, tokenInvalid } from './compact-jws.js';
import { KEY_ID, ringInternals, type AccessTokenKeys, type VerificationKey } from './access-token-keys.js';
import { DEFAULT_MAX_ACCESS_TOKEN_LENGTH } from './sign-access-token.js';
import { DEFAULT_VERIFIED_TOKEN_CACHE_SIZE, MAX_VERIFIED_TOKEN_CACHE_SIZE, VerifiedTokenCache } from './verified-token-cache.js';

/**
 * Verifies our access tokens (A3) on every authenticated request, synchronously. We verify them
 * ourselves rather than through a JWT library because the libraries are slower here.
 * Measured with `npm run bench:jwt` (bench/README.md; 2-core VM, one core, HS256 verifications
 * per CPU-second, medians of 5 rounds, three full runs): jose 6.7k-7.3k (a promise and
 * WebCrypto per token), jsonwebtoken 1.4k-1.6k with a Buffer secret as its README shows (it
 * tries createPublicKey on the secret first, every time) and 54k-58k with a KeyObject, fast-jwt
 * 75k-81k, this verifier 83k-90k, and a bare node:crypto HMAC check with no parsing 165k-210k.
 * EdDSA is bound by the signature check (about 6k/s for all). The speed comes from order and
 * caching, not from skipping checks: length cap and shape first, the key and its pinned
 * algorithm next (our own header is recognised by exact string match, others are parsed
 * strictly), the signature before any payload byte is parsed, and the claims last. Keys are
 * KeyObjects built once per kid. A token that verified is remembered (VerifiedTokenCache), so its
 * next use re-runs only the checks that depend on time: expiry, nbf/iat and the key's retireAt.
 *
 * What is refused, always as `auth.token_invalid` (or `auth.token_expired` for a token that was
 * good but has expired): an `alg` other than the one pinned to the kid's key (so `none` and every
 * HS/RS/ES/EdDSA confusion), a missing or unknown kid (also with a single key: every token we
 * sign carries one), a kid that is not a plain short token, header members other than alg, typ
 * and kid (so jku, jwk, x5u, x5c and crit), a typ other than "JWT", a key past its retireAt,
 * non-canonical base64url, invalid UTF-8, duplicate members, a signature of the wrong length or
 * value, a wrong iss or aud, a missing sub/role/jti/iat/exp, and iat or nbf in the future
 * beyond the clock tolerance.
 */

/** Claims of a verified access token. */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  /** Epoch seconds. */
  readonly iat: number;
  /** Epoch seconds. */
  readonly exp: number;
  readonly jti: string;
  readonly role: string;
  readonly nbf?: number;
  /** Extra claims the signer added (e.g. `sid`). */
  readonly [claim: string]: unknown;
}

export interface AccessTokenVerifierOptions {
  readonly keys: AccessTokenKeys;
  /** The exact `iss` accepted. */
  readonly issuer: string;
  /** The `aud` accepted; a token whose `aud` names any one of them passes. */
  readonly audience: string | readonly string[];
  /** Seconds of clock skew allowed on exp, nbf and iat: 0 to 300. Default 5. */
  readonly clockToleranceSeconds?: number;
  /** Longer tokens are refused before any work: 64 to 16,384. Default 2048. */
  readonly maxTokenLength?: number;
  /** Clock in epoch milliseconds, for tests. Default Date.now. */
  readonly now?: () => number;
  /**
   * How many verified tokens to remember (see VerifiedTokenCache): 0 to 1,000,000, 0 turns it
   * off. Default 10,000 (a few MB at most).
   */
  readonly cacheSize?: number;
}

export interface AccessTokenVerifier {
  /** The token's claims, or throws `auth.token_invalid` / `auth.token_expired`. */
  verify(token: string): AccessTokenClaims;
  /** How many verified tokens are remembered now. */
  readonly cachedTokens: number;
}

/** What is kept of a verified token: its claims and the key that signed it (for its retireAt). */
interface VerifiedToken {
  readonly claims: AccessTokenClaims;
  readonly retireAt: number | undefined;
}

const ALLOWED_HEADER = new Set(['alg', 'typ', 'kid']);
const REQUIRED_CLAIMS = ['sub', 'role', 'jti'] as const;

/** A header we did not write byte for byte (e.g. another JWT library's member order), checked strictly. */
function keyOfParsedHeader(token: string, headerEnd: number, keys: ReadonlyMap<string, VerificationKey>): VerificationKey {
  const header = decodeJsonObject(token, 0, headerEnd, 'header');
  for (const name of Object.keys(header)) {
    if (!ALLOWED_HEADER.has(name)) throw tokenInvalid('token header has a member we do not accept (only alg, typ and kid)');
  }
  if (header.typ !== 'JWT') throw tokenInvalid('token typ is not JWT');
  const kid = header.kid;
  if (typeof kid !== 'string') throw tokenInvalid('token has no kid');
  if (!KEY_ID.test(kid)) throw tokenInvalid('token kid is not a plain key id');
  const key = keys.get(kid);
  if (key === undefined) throw tokenInvalid('token kid is not a key we hold');
  if (header.alg !== key.algorithm) throw tokenInvalid('token alg is not the algorithm of its key');
  return key;
}

/**
 * Builds the verifier for tokens signed under `keys` (see signAccessToken). Option errors throw
 * `config.invalid` at once; `verify` then throws only `auth.token_invalid` and
 * `auth.token_expired`.
 *
 * @example
 * const verifier = createAccessTokenVerifier({ keys, issuer: 'https://api.example.com', audience: 'https://api.example.com' });
 * const claims = verifier.verify(bearerToken); // { sub, role, jti, exp, ... }
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const { verification } = ringInternals(options.keys);
  const checked = checkVerifierOptions('access token verifier', options, DEFAULT_MAX_ACCESS_TOKEN_LENGTH);
  const maxLength = checked.maxTokenLength;
  const keyList = [...verification.values()];
  // Our own header, recognised without slicing or parsing it; rings hold a handful of keys.
  const ownHeader = (token: string, headerEnd: number): VerificationKey | undefined => {
    for (const key of keyList) {
      if (key.headerSegment.length === headerEnd && token.startsWith(key.headerSegment)) return key;
    }
    return undefined;
  };

  const cacheSize = options.cacheSize ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE;
  if (!Number.isInteger(cacheSize) || cacheSize < 0 || cacheSize > MAX_VERIFIED_TOKEN_CACHE_SIZE) {
    throw configInvalid(`access token verifier: cacheSize must be an integer from 0 to ${MAX_VERIFIED_TOKEN_CACHE_SIZE}`);
  }
  const cache = new VerifiedTokenCache<VerifiedToken>(cacheSize);

  /** A remembered token, checked again against the clock; forgotten once it fails. */
  const reuse = (token: string, known: VerifiedToken): AccessTokenClaims => {
    const { claims } = known;
    try {
      if (known.retireAt !== undefined && checked.nowSeconds() >= known.retireAt) throw tokenInvalid('token key is retired');
      checkClaimTimes(claims.exp, claims.iat, claims.nbf, checked);
    } catch (error) {
      cache.forget(token);
      throw error;
    }
    return claims;
  };

  return Object.freeze({
    get cachedTokens(): number {
      return cache.size;
    },
    verify(token: string): AccessTokenClaims {
      if (typeof token === 'string' && token.length <= maxLength) {
        const known = cache.get(token);
        if (known !== undefined) return reuse(token, known);
      }
      const { headerEnd, payloadEnd } = splitCompact(token, maxLength);
      const key = ownHeader(token, headerEnd) ?? keyOfParsedHeader(token, headerEnd, verification);
      if (key.retireAt !== undefined && checked.nowSeconds() >= key.retireAt) throw tokenInvalid('token key is retired');
      if (token.length - payloadEnd - 1 !== key.signatureChars) throw tokenInvalid('token signature has the wrong length');
      if (!key.check(token.slice(0, payloadEnd), Buffer.from(token.slice(payloadEnd + 1), 'base64url'))) throw tokenInvalid('token signature does not verify');

      const payload = decodeJsonObject(token, headerEnd + 1, payloadEnd, 'payload');
      checkClaims(payload, checked, REQUIRED_CLAIMS, true);
      const claims = Object.freeze(payload) as AccessTokenClaims;
      cache.remember(token, { claims, retireAt: key.retireAt });
      return claims;
    },
  });
}
