import { PortcullisError } from '../../errors/index.js';
import { configInvalid, tokenInvalid } from './compact-jws.js';

/**
 * Registered-claim checks (RFC 7519 section 4.1) and the option checks both verifiers share. They
 * run only on a payload whose signature has verified, so `auth.token_expired` is never said about
 * a token we did not sign: a forged or tampered token is always just invalid.
 */

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;
const MAX_CLOCK_TOLERANCE_SECONDS = 300;
const MIN_TOKEN_LENGTH_CAP = 64;
const MAX_TOKEN_LENGTH_CAP = 16_384;
/** More audiences than this in one token is not a token we issue or expect. */
const MAX_AUDIENCES = 16;
const MAX_CLAIM_STRING = 1024;

/** The options every verifier takes, checked once when it is built. */
export interface CheckedVerifierOptions {
  readonly issuer: string;
  readonly audiences: ReadonlySet<string>;
  readonly toleranceSeconds: number;
  readonly maxTokenLength: number;
  readonly nowSeconds: () => number;
}

export function checkVerifierOptions(
  what: string,
  options: {
    readonly issuer: string;
    readonly audience: string | readonly string[];
    readonly clockToleranceSeconds?: number | undefined;
    readonly maxTokenLength?: number | undefined;
    readonly now?: (() => number) | undefined;
  },
  defaultMaxTokenLength: number,
): CheckedVerifierOptions {
  if (typeof options.issuer !== 'string' || options.issuer === '') throw configInvalid(`${what}: issuer must be a non-empty string`);
  const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((audience) => typeof audience !== 'string' || audience === '')) {
    throw configInvalid(`${what}: audience must be a non-empty string or a non-empty list of them`);
  }
  const toleranceSeconds = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!Number.isInteger(toleranceSeconds) || toleranceSeconds < 0 || toleranceSeconds > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw configInvalid(`${what}: clockToleranceSeconds must be an integer from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}`);
  }
  const maxTokenLength = options.maxTokenLength ?? defaultMaxTokenLength;
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < MIN_TOKEN_LENGTH_CAP || maxTokenLength > MAX_TOKEN_LENGTH_CAP) {
    throw configInvalid(`${what}: maxTokenLength must be an integer from ${MIN_TOKEN_LENGTH_CAP} to ${MAX_TOKEN_LENGTH_CAP}`);
  }
  const now = options.now ?? Date.now;
  return { issuer: options.issuer, audiences: new Set(audiences), toleranceSeconds, maxTokenLength, nowSeconds: () => Math.floor(now() / 1000) };
}

/** `aud` may be one string or a non-empty list; one accepted audience is enough. */
export function audienceAccepted(aud: unknown, accepted: ReadonlySet<string>): boolean {
  if (typeof aud === 'string') return accepted.has(aud);
  if (!Array.isArray(aud) || aud.length === 0 || aud.length > MAX_AUDIENCES) return false;
  let found = false;
  for (const item of aud) {
    if (typeof item !== 'string') return false;
    if (accepted.has(item)) found = true;
  }
  return found;
}

const isNumericDate = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

export function isClaimString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_CLAIM_STRING;
}

/**
 * Issuer, audience, the `required` string claims, then time: `exp` is required, `iat` when
 * `requireIssuedAt`, `nbf` is checked when present. Expiry is checked last, so
 * `auth.token_expired` means "this token was good until it expired".
 */
export function checkClaims(payload: Record<string, unknown>, options: CheckedVerifierOptions, required: readonly string[], requireIssuedAt: boolean): void {
  if (payload.iss !== options.issuer) throw tokenInvalid('token issuer is not accepted');
  if (!audienceAccepted(payload.aud, options.audiences)) throw tokenInvalid('token audience is not accepted');
  for (const name of required) {
    if (!isClaimString(payload[name])) throw tokenInvalid(`token has no valid ${name} claim`);
  }
  const { exp, iat, nbf } = payload;
  if (!isNumericDate(exp)) throw tokenInvalid('token has no valid exp claim');
  if (iat !== undefined || requireIssuedAt) {
    if (!isNumericDate(iat)) throw tokenInvalid('token has no valid iat claim');
    if (exp <= iat) throw tokenInvalid('token expires before it was issued');
  }
  if (nbf !== undefined && !isNumericDate(nbf)) throw tokenInvalid('token has an invalid nbf claim');
  checkClaimTimes(exp, iat as number | undefined, nbf as number | undefined, options);
}

/**
 * The checks that depend on the clock, on claims already known to be numeric dates: run by
 * `checkClaims`, and again on every reuse of a remembered token (VerifiedTokenCache).
 */
export function checkClaimTimes(exp: number, iat: number | undefined, nbf: number | undefined, options: CheckedVerifierOptions): void {
  const now = options.nowSeconds();
  const tolerance = options.toleranceSeconds;
  if (iat !== undefined && iat > now + tolerance) throw tokenInvalid('token was issued in the future');
  if (nbf !== undefined && nbf > now + tolerance) throw tokenInvalid('token is not valid yet');
  if (now >= exp + tolerance) throw new PortcullisError('auth.token_expired', { detail: 'token has expired' });
}
