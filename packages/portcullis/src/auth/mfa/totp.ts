import { timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';
import { PortcullisError } from '../../errors/index.js';

/**
 * Time-based one-time passwords (A6, RFC 6238) as authenticator apps expect them: SHA-1, six
 * digits, 30-second steps, 160-bit secrets. The `otpauth` library computes codes and key URIs;
 * verification is ours because a code must work once only: `verifyTotp` returns the time step it
 * matched, the caller stores it atomically (only if later than the stored one), and any code
 * whose step is not later than the last used one is refused, even inside the window. Its
 * `validate` cannot do that (it picks the step nearest now and stops at the first match).
 * Secrets are stored sealed (see `createSecretBox`), never in the clear.
 */

export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted either side of now: one, i.e. a code is good for 60-90 s around its own step. */
export const TOTP_WINDOW_STEPS = 1;
/** 160 bits, the RFC 4226 recommendation and what authenticator apps expect. */
export const TOTP_SECRET_BYTES = 20;

const SIX_DIGITS = /^[0-9]{6}$/;
/** Canonical unpadded RFC 4648 base32 of at least 128 bits (RFC 4226 R6). */
const BASE32_SECRET = /^[A-Z2-7]{26,128}$/;
const MAX_LABEL_CHARS = 256;

export interface TotpVerifyOptions {
  /** The step stored from the last accepted code; codes at or before it are refused. */
  readonly lastUsedStep?: number | null;
  /** Epoch ms. Default `Date.now()`. */
  readonly now?: number;
}

export type TotpCheck = { readonly ok: true; readonly step: number } | { readonly ok: false };

export interface TotpKeyUriOptions {
  /** The service name the app shows; must not contain ':'. */
  readonly issuer: string;
  /** Usually the account's email. */
  readonly accountName: string;
}

const REFUSED: TotpCheck = Object.freeze({ ok: false });

function parseSecret(secretBase32: string): Secret {
  // Checked here so a corrupt stored secret never reaches otpauth, whose error quotes the input.
  if (typeof secretBase32 !== 'string' || !BASE32_SECRET.test(secretBase32)) {
    throw new PortcullisError('storage.secret_unreadable', { detail: 'totp: the stored secret is not canonical base32 of at least 128 bits' });
  }
  return Secret.fromBase32(secretBase32);
}

/**
 * A new 160-bit TOTP secret, base32 (32 characters). Seal it before storing it.
 *
 * @example
 * const secret = newTotpSecret();
 * await users.update(id, { mfaPendingSecret: box.seal(secret, id) });
 */
export function newTotpSecret(): string {
  return new Secret({ size: TOTP_SECRET_BYTES }).base32;
}

/**
 * The `otpauth://totp/...` key URI to show as a QR code during enrolment. Throws `config.invalid`
 * for an empty or colon-bearing issuer, `request.bad_request` for an empty or oversized account
 * name.
 *
 * @example
 * const uri = totpKeyUri(secret, { issuer: 'Portcullis', accountName: user.email });
 */
export function totpKeyUri(secretBase32: string, options: TotpKeyUriOptions): string {
  const { issuer, accountName } = options;
  if (typeof issuer !== 'string' || issuer.length === 0 || issuer.length > MAX_LABEL_CHARS || issuer.includes(':')) {
    throw new PortcullisError('config.invalid', { detail: 'totp: the issuer must be 1-256 characters without ":"' });
  }
  if (typeof accountName !== 'string' || accountName.length === 0 || accountName.length > MAX_LABEL_CHARS) {
    throw new PortcullisError('request.bad_request', { detail: 'The account name cannot be used in an authenticator label' });
  }
  const totp = new TOTP({
    issuer,
    label: accountName,
    secret: parseSecret(secretBase32),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
  return totp.toString();
}

/**
 * The RFC 6238 time step containing `now` (epoch ms).
 *
 * @example
 * totpStepAt(Date.now()); // e.g. 58_000_000
 */
export function totpStepAt(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * Checks a six-digit code against the steps from one before to one after `now`, and answers the
 * step it matched, which must be later than `lastUsedStep`. Anything but exactly six ASCII digits
 * is refused before any HMAC is computed. Every step in the window is computed and compared in
 * constant time, match or not. On `ok`, store `step` only if it is still later than the stored
 * one (a conditional update), so two concurrent uses of one code cannot both pass.
 *
 * @example
 * const check = verifyTotp(box.openText(user.mfaSecret, user.id), code, { lastUsedStep: user.mfaLastStep });
 * if (!check.ok || !(await users.acceptTotpStep(user.id, check.step))) throw new PortcullisError('auth.mfa_invalid');
 */
export function verifyTotp(secretBase32: string, code: string, options: TotpVerifyOptions = {}): TotpCheck {
  if (typeof code !== 'string' || !SIX_DIGITS.test(code)) return REFUSED;
  const now = options.now ?? Date.now();
  if (!Number.isFinite(now) || now < 0) throw new PortcullisError('config.invalid', { detail: 'totp: now must be epoch milliseconds' });
  const lastUsedStep = options.lastUsedStep ?? -1;
  const secret = parseSecret(secretBase32);
  const presented = Buffer.from(code, 'ascii');
  const current = totpStepAt(now);
  let matched: number | undefined;
  for (let step = current - TOTP_WINDOW_STEPS; step <= current + TOTP_WINDOW_STEPS; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(HOTP.generate({ secret, algorithm: 'SHA1', digits: TOTP_DIGITS, counter: step }), 'ascii');
    const equal = timingSafeEqual(expected, presented);
    // Not `>=`: a step already used (or older) stays refused; NaN compares false, so it fails closed.
    if (equal && matched === undefined && step > lastUsedStep) matched = step;
  }
  return matched === undefined ? REFUSED : { ok: true, step: matched };
}
