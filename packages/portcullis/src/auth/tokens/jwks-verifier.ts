import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { checkClaims, checkVerifierOptions } from './claim-checks.js';
import { base64urlLength, configInvalid, decodeJsonObject, publicKeyCheck, splitCompact, tokenInvalid, type SignatureCheck } from './compact-jws.js';

/**
 * Verifies tokens issued by an external OpenID provider (A3, optional) against that provider's
 * JWKS, given as an object (e.g. read from a file at start-up). Only asymmetric algorithms are
 * accepted (EdDSA, ES256, RS256): with a published key set, a symmetric algorithm would mean
 * the "secret" is public. Each key is pinned to one algorithm when the set is loaded (its `alg`,
 * or the one its type implies), so a token's `alg` can only confirm it, never choose it.
 *
 * This module opens no connection. Fetching the provider's JWKS URL belongs to the SSRF-safe
 * client (portcullis/outbound); the hook for it is `onUnknownKid`, called (throttled) when a
 * token names a key the set lacks, typically after the provider rotated: start a fetch there,
 * hand the result to `replaceKeys`, and the next token under the new key verifies. The token that
 * triggered it is refused either way, since `verify` is synchronous.
 */

export type ExternalTokenAlgorithm = 'EdDSA' | 'ES256' | 'RS256';

const SUPPORTED: readonly ExternalTokenAlgorithm[] = ['EdDSA', 'ES256', 'RS256'];
const DEFAULT_MAX_EXTERNAL_TOKEN_LENGTH = 8192;
const MAX_JWKS_KEYS = 100;
const MIN_RSA_BITS = 2048;
const DEFAULT_UNKNOWN_KID_COOLDOWN_SECONDS = 60;
/** Distinct header segments remembered as already checked; the cache empties when full. */
const HEADER_CACHE_SIZE = 32;

/**
 * A provider's key id, used only for an exact Map lookup. Wider than our own kids because some
 * providers (AWS Cognito) use standard base64, `+`, `/` and `=` included; `..` never occurs in
 * base64 and is refused, so nothing path-like gets even that far.
 */
const EXTERNAL_KEY_ID = /^(?!.*\.\.)[A-Za-z0-9+/=._-]{1,128}$/;

/** Header members refused outright: each asks the verifier to fetch, trust or understand something it must not. */
const REFUSED_HEADER = ['jku', 'jwk', 'x5u', 'x5c', 'crit', 'b64', 'zip', 'enc', 'cty'];
/** Private or secret JWK members: a JWKS holding any of them was never meant to be published. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const ACCEPTED_TYP = new Set(['jwt', 'at+jwt', 'application/jwt', 'application/at+jwt']);
/** Beyond iss, aud and exp, which every verifier requires. */
const REQUIRED_CLAIMS = ['sub'] as const;

/** Claims of a verified external token. */
export interface ExternalTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  /** Epoch seconds. */
  readonly exp: number;
  readonly iat?: number;
  readonly nbf?: number;
  readonly [claim: string]: unknown;
}

export interface JwksVerifierOptions {
  /** The provider's JWKS (`{ keys: [...] }`), e.g. `JSON.parse(readFileSync(file, 'utf8'))`. */
  readonly jwks: unknown;
  /** The exact `iss` accepted (the provider's issuer identifier). */
  readonly issuer: string;
  /** The `aud` accepted (usually this API's client id or identifier). */
  readonly audience: string | readonly string[];
  /** Algorithms accepted: a non-empty subset of EdDSA, ES256, RS256. */
  readonly algorithms: readonly ExternalTokenAlgorithm[];
  /** Seconds of clock skew allowed on exp, nbf and iat: 0 to 300. Default 5. */
  readonly clockToleranceSeconds?: number;
  /** Longer tokens are refused before any work: 64 to 16,384. Default 8192. */
  readonly maxTokenLength?: number;
  /** Clock in epoch milliseconds, for tests. Default Date.now. */
  readonly now?: () => number;
  /**
   * Called with a token's (well-formed) kid when the set has no such key, at most once per
   * `unknownKidCooldownSeconds`. Must return at once (start a fetch, do not await it); what it
   * throws is ignored. The place to wire a JWKS fetcher built on the SSRF-safe client.
   */
  readonly onUnknownKid?: (kid: string) => void;
  /** Default 60. */
  readonly unknownKidCooldownSeconds?: number;
}

export interface JwksVerifier {
  /** The token's claims, or throws `auth.token_invalid` / `auth.token_expired`. */
  verify(token: string): ExternalTokenClaims;
  /**
   * Swaps in a fresh JWKS, checked as strictly as the first (throws `config.invalid` and keeps
   * the old set if it is refused).
   */
  replaceKeys(jwks: unknown): void;
  /** Kids of the usable keys in the current set. */
  readonly kids: readonly string[];
}

interface ExternalKey {
  readonly kid: string | undefined;
  readonly algorithm: ExternalTokenAlgorithm;
  readonly signatureChars: number;
  readonly check: SignatureCheck;
}

interface KeySet {
  readonly byKid: ReadonlyMap<string, ExternalKey>;
  /** The one key of a single-key set: used for a token without kid. */
  readonly only: ExternalKey | undefined;
}

/** The algorithm a JWK is for: its own `alg`, or the one its type implies; undefined when it is not for us. */
function algorithmOf(jwk: Record<string, unknown>, allowed: ReadonlySet<ExternalTokenAlgorithm>): ExternalTokenAlgorithm | undefined {
  let algorithm: unknown = jwk.alg;
  if (algorithm === undefined) {
    if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') algorithm = 'EdDSA';
    else if (jwk.kty === 'EC' && jwk.crv === 'P-256') algorithm = 'ES256';
    else if (jwk.kty === 'RSA') algorithm = 'RS256';
  }
  return typeof algorithm === 'string' && allowed.has(algorithm as ExternalTokenAlgorithm) ? (algorithm as ExternalTokenAlgorithm) : undefined;
}

/** The public members only, so createPublicKey sees nothing else. */
function publicMembers(jwk: Record<string, unknown>): JsonWebKey {
  if (jwk.kty === 'RSA') return { kty: 'RSA', n: jwk.n as string, e: jwk.e as string };
  if (jwk.kty === 'EC') return { kty: 'EC', crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string };
  return { kty: jwk.kty as string, crv: jwk.crv as string, x: jwk.x as string };
}

function importKey(jwk: Record<string, unknown>, algorithm: ExternalTokenAlgorithm, label: string): { publicKey: KeyObject; signatureChars: number } {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: publicMembers(jwk), format: 'jwk' });
  } catch (error) {
    throw configInvalid(`JWKS key ${label}: not a valid public key`, error);
  }
  const type = publicKey.asymmetricKeyType;
  const details = publicKey.asymmetricKeyDetails;
  if (algorithm === 'EdDSA' && type === 'ed25519') return { publicKey, signatureChars: base64urlLength(64) };
  if (algorithm === 'ES256' && type === 'ec' && details?.namedCurve === 'prime256v1') return { publicKey, signatureChars: base64urlLength(64) };
  if (algorithm === 'RS256' && type === 'rsa') {
    const bits = details?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw configInvalid(`JWKS key ${label}: RSA keys need at least ${MIN_RSA_BITS} bits`);
    return { publicKey, signatureChars: base64urlLength(Math.ceil(bits / 8)) };
  }
  throw configInvalid(`JWKS key ${label}: a ${type ?? 'key'} key cannot verify ${algorithm}`);
}

function loadKeySet(jwks: unknown, allowed: ReadonlySet<ExternalTokenAlgorithm>): KeySet {
  const list = typeof jwks === 'object' && jwks !== null ? (jwks as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(list) || list.length > MAX_JWKS_KEYS) throw configInvalid(`JWKS: expected { keys: [...] } with at most ${MAX_JWKS_KEYS} keys`);
  const keys: ExternalKey[] = [];
  for (const [index, entry] of list.entries()) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw configInvalid(`JWKS key #${index}: not an object`);
    const jwk = entry as Record<string, unknown>;
    if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw configInvalid(`JWKS key #${index}: holds private or secret key material; publish public keys only`);
    // Keys for another use (encryption) or algorithm are the provider's business, not refusals.
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) continue;
    const algorithm = algorithmOf(jwk, allowed);
    if (algorithm === undefined) continue;
    const kid = jwk.kid;
    if (kid !== undefined && (typeof kid !== 'string' || !EXTERNAL_KEY_ID.test(kid))) throw configInvalid(`JWKS key #${index}: kid is not a plain key id`);
    const { publicKey, signatureChars } = importKey(jwk, algorithm, typeof kid === 'string' ? kid : `#${index}`);
    keys.push(Object.freeze({ kid, algorithm, signatureChars, check: publicKeyCheck(algorithm, publicKey) }));
  }
  if (keys.length === 0) throw configInvalid('JWKS: no key usable with the accepted algorithms');
  const byKid = new Map<string, ExternalKey>();
  for (const key of keys) {
    if (key.kid === undefined) {
      if (keys.length > 1) throw configInvalid('JWKS: with more than one key, every key needs a kid');
      continue;
    }
    if (byKid.has(key.kid)) throw configInvalid(`JWKS: kid ${key.kid} is used twice`);
    byKid.set(key.kid, key);
  }
  return { byKid, only: keys.length === 1 ? keys[0] : undefined };
}

/**
 * Builds a verifier for an external provider's tokens. The set must hold at least one key usable
 * with `algorithms`; keys for other uses or algorithms are skipped, and a set with private
 * material, a weak RSA key (< 2048 bits) or a repeated kid is refused (`config.invalid`).
 * A token must name its key by kid, except when the set holds exactly one usable key, which then
 * verifies a token without kid (some providers omit it); its algorithm is still pinned.
 * Required claims: iss, aud, exp, sub; iat and nbf are checked when present.
 *
 * @example
 * const provider = createJwksVerifier({
 *   jwks: JSON.parse(readFileSync('config/idp-jwks.json', 'utf8')),
 *   issuer: 'https://login.example.com/',
 *   audience: 'api://orders',
 *   algorithms: ['RS256', 'ES256'],
 * });
 * const claims = provider.verify(bearerToken); // { iss, sub, aud, exp, ... }
 */
export function createJwksVerifier(options: JwksVerifierOptions): JwksVerifier {
  const checked = checkVerifierOptions('JWKS verifier', options, DEFAULT_MAX_EXTERNAL_TOKEN_LENGTH);
  const algorithms = options.algorithms;
  if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((algorithm) => !SUPPORTED.includes(algorithm))) {
    throw configInvalid(`JWKS verifier: algorithms must be a non-empty list of ${SUPPORTED.join(', ')} (asymmetric only)`);
  }
  const allowed = new Set(algorithms);
  const cooldownSeconds = options.unknownKidCooldownSeconds ?? DEFAULT_UNKNOWN_KID_COOLDOWN_SECONDS;
  if (!Number.isInteger(cooldownSeconds) || cooldownSeconds < 1) throw configInvalid('JWKS verifier: unknownKidCooldownSeconds must be a positive integer');
  const onUnknownKid = options.onUnknownKid;
  let nextUnknownKidCall = Number.NEGATIVE_INFINITY;
  let set = loadKeySet(options.jwks, allowed);
  let kids = Object.freeze([...set.byKid.keys()]);
  const checkedHeaders = new Map<string, ExternalKey>();

  const unknownKid = (kid: string): never => {
    const now = checked.nowSeconds();
    if (onUnknownKid !== undefined && now >= nextUnknownKidCall) {
      nextUnknownKidCall = now + cooldownSeconds;
      try {
        onUnknownKid(kid);
      } catch {
        // The hook is best effort; the refusal below does not depend on it.
      }
    }
    throw tokenInvalid('token kid is not in the provider key set');
  };

  const keyOfHeader = (token: string, headerEnd: number): ExternalKey => {
    const segment = token.slice(0, headerEnd);
    const cached = checkedHeaders.get(segment);
    if (cached !== undefined) return cached;
    const header = decodeJsonObject(token, 0, headerEnd, 'header');
    for (const name of REFUSED_HEADER) {
      if (Object.hasOwn(header, name)) throw tokenInvalid('token header asks for something we refuse (jku, jwk, x5u, x5c, crit, ...)');
    }
    if (header.typ !== undefined && (typeof header.typ !== 'string' || !ACCEPTED_TYP.has(header.typ.toLowerCase()))) throw tokenInvalid('token typ is not a JWT type');
    const kid = header.kid;
    let key: ExternalKey | undefined;
    if (kid === undefined) {
      key = set.only;
      if (key === undefined) throw tokenInvalid('token has no kid');
    } else {
      if (typeof kid !== 'string' || !EXTERNAL_KEY_ID.test(kid)) throw tokenInvalid('token kid is not a plain key id');
      key = set.byKid.get(kid) ?? unknownKid(kid);
    }
    if (header.alg !== key.algorithm) throw tokenInvalid('token alg is not the algorithm of its key');
    if (checkedHeaders.size >= HEADER_CACHE_SIZE) checkedHeaders.clear();
    checkedHeaders.set(segment, key);
    return key;
  };

  return Object.freeze({
    verify(token: string): ExternalTokenClaims {
      const { headerEnd, payloadEnd } = splitCompact(token, checked.maxTokenLength);
      const key = keyOfHeader(token, headerEnd);
      if (token.length - payloadEnd - 1 !== key.signatureChars) throw tokenInvalid('token signature has the wrong length');
      if (!key.check(token.slice(0, payloadEnd), Buffer.from(token.slice(payloadEnd + 1), 'base64url'))) throw tokenInvalid('token signature does not verify');
      const payload = decodeJsonObject(token, headerEnd + 1, payloadEnd, 'payload');
      checkClaims(payload, checked, REQUIRED_CLAIMS, false);
      return Object.freeze(payload) as ExternalTokenClaims;
    },
    replaceKeys(jwks: unknown): void {
      set = loadKeySet(jwks, allowed);
      kids = Object.freeze([...set.byKid.keys()]);
      checkedHeaders.clear();
    },
    get kids(): readonly string[] {
      return kids;
    },
  });
}
