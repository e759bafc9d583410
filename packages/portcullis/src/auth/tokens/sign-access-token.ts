import { randomBytes } from 'node:crypto';
import { configInvalid } from './compact-jws.js';
import { ringInternals, type AccessTokenKeys } from './access-token-keys.js';

/**
 * Mints our access tokens (A3): short-lived (15 minutes by default), carrying who (`sub`), what
 * they may do (`role`) and the registered claims a verifier needs (`iss`, `aud`, `iat`, `exp`, a
 * random `jti` for revocation), signed under the ring's current key with its pinned algorithm.
 * Nothing sensitive belongs in a token: its payload is only base64url, readable by anyone who
 * holds it, so extra claims are limited to a few short plain values.
 */

export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 900;
const MAX_ACCESS_TOKEN_TTL_SECONDS = 86_400;
/** Random bytes in a `jti`: 128 bits. */
const JTI_BYTES = 16;
/** The default token-length cap of the verifier; a longer token would never verify. */
export const DEFAULT_MAX_ACCESS_TOKEN_LENGTH = 2048;

const RESERVED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'role']);
const CLAIM_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const MAX_EXTRA_CLAIMS = 8;
const MAX_EXTRA_STRING = 128;
const MAX_EXTRA_LIST = 16;
const MAX_SUBJECT = 256;
const MAX_ROLE = 64;

/** Values an extra claim may carry: short and plain. */
export type ExtraClaimValue = string | number | boolean | readonly string[];

/** Who the token is for: `sub` and `role`, plus at most 8 short extra claims (e.g. `sid`, the session). */
export interface AccessTokenSubject {
  readonly sub: string;
  readonly role: string;
  readonly [claim: string]: ExtraClaimValue | undefined;
}

export interface SignAccessTokenOptions {
  readonly issuer: string;
  /** One audience or several. */
  readonly audience: string | readonly string[];
  /** Lifetime in seconds: an integer from 1 to 86,400. Default 900 (15 minutes). */
  readonly ttlSeconds?: number;
  /** Refuse to mint a token longer than this (the verifier's cap). Default 2048. */
  readonly maxTokenLength?: number;
  /** Clock in epoch milliseconds, for tests. Default Date.now. */
  readonly now?: () => number;
}

export interface SignedAccessToken {
  readonly token: string;
  /** The token's `jti`: key for revoking it (denylist). */
  readonly jti: string;
  /** Epoch seconds. */
  readonly issuedAt: number;
  /** Epoch seconds. */
  readonly expiresAt: number;
  /** Seconds from issue to expiry (the ttl). */
  readonly expiresIn: number;
}

const isPlainString = (value: unknown, max: number): value is string => typeof value === 'string' && value.length > 0 && value.length <= max;

function extraClaimValue(name: string, value: ExtraClaimValue): ExtraClaimValue {
  if (typeof value === 'string' && value.length <= MAX_EXTRA_STRING) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value) && value.length <= MAX_EXTRA_LIST && value.every((item) => typeof item === 'string' && item.length <= MAX_EXTRA_STRING)) return [...value];
  throw configInvalid(`access token: claim ${name} must be a short string, a finite number, a boolean or a short list of strings`);
}

function checkedAudience(audience: string | readonly string[]): string | string[] {
  if (isPlainString(audience, 1024)) return audience;
  if (Array.isArray(audience) && audience.length > 0 && audience.length <= MAX_EXTRA_LIST && audience.every((item) => isPlainString(item, 1024))) return [...audience];
  throw configInvalid('access token: audience must be a non-empty string or a non-empty list of them');
}

/**
 * Signs an access token for `subject` under the ring's current key. Header: `{alg, typ: "JWT",
 * kid}`; payload: `iss, sub, aud, iat, exp, jti, role` and any extra claims. Throws
 * `config.invalid` for a missing `sub`/`role`, an extra claim that reuses a registered name or
 * is not a short plain value, a ttl outside 1..86,400 s, or a token over `maxTokenLength`.
 *
 * @example
 * const { token, jti, expiresIn } = signAccessToken(keys, { sub: user.id, role: user.role, sid: session.id }, {
 *   issuer: 'https://api.example.com',
 *   audience: 'https://api.example.com',
 * });
 * reply.send({ access_token: token, token_type: 'Bearer', expires_in: expiresIn });
 */
export function signAccessToken(keys: AccessTokenKeys, subject: AccessTokenSubject, options: SignAccessTokenOptions): SignedAccessToken {
  const { signing } = ringInternals(keys);
  if (typeof subject !== 'object' || subject === null) throw configInvalid('access token: a subject is required');
  if (!isPlainString(subject.sub, MAX_SUBJECT)) throw configInvalid(`access token: sub must be a non-empty string of at most ${MAX_SUBJECT} characters`);
  if (!isPlainString(subject.role, MAX_ROLE)) throw configInvalid(`access token: role must be a non-empty string of at most ${MAX_ROLE} characters`);
  if (!isPlainString(options.issuer, 1024)) throw configInvalid('access token: issuer must be a non-empty string');
  const audience = checkedAudience(options.audience);
  const ttl = options.ttlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_ACCESS_TOKEN_TTL_SECONDS) {
    throw configInvalid(`access token: ttlSeconds must be an integer from 1 to ${MAX_ACCESS_TOKEN_TTL_SECONDS}`);
  }

  const extra: Record<string, ExtraClaimValue> = {};
  let extras = 0;
  for (const name of Object.keys(subject)) {
    if (name === 'sub' || name === 'role') continue;
    const value = subject[name];
    if (value === undefined) continue;
    if (RESERVED.has(name) || !CLAIM_NAME.test(name)) throw configInvalid(`access token: ${JSON.stringify(name.slice(0, 40))} cannot be an extra claim name`);
    if ((extras += 1) > MAX_EXTRA_CLAIMS) throw configInvalid(`access token: at most ${MAX_EXTRA_CLAIMS} extra claims`);
    extra[name] = extraClaimValue(name, value);
  }

  const issuedAt = Math.floor((options.now ?? Date.now)() / 1000);
  const expiresAt = issuedAt + ttl;
  const jti = randomBytes(JTI_BYTES).toString('base64url');
  const payload = { iss: options.issuer, sub: subject.sub, aud: audience, iat: issuedAt, exp: expiresAt, jti, role: subject.role, ...extra };
  const signingInput = `${signing.headerSegment}.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`;
  const token = `${signingInput}.${signing.sign(signingInput)}`;
  const maxLength = options.maxTokenLength ?? DEFAULT_MAX_ACCESS_TOKEN_LENGTH;
  if (token.length > maxLength) throw configInvalid(`access token: the token would be ${token.length} characters, over the ${maxLength} a verifier accepts`);
  return { token, jti, issuedAt, expiresAt, expiresIn: ttl };
}
