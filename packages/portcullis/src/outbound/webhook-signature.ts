import { createHmac, timingSafeEqual } from 'node:crypto';
import { PortcullisError } from '../errors/index.js';

/**
 * Signatures on webhook deliveries, for senders and receivers alike: HMAC-SHA256 under the
 * webhook's secret over `<timestamp>.<raw body>`, sent as
 * `Portcullis-Webhook-Signature: t=<unix seconds>,v1=<hex>`. The timestamp is signed, so a
 * receiver that refuses stale ones (five minutes by default) cannot be fed an old delivery again
 * later; several `v1=` entries may appear while a secret is being rotated. Verification compares
 * in constant time and needs the raw body bytes, exactly as received.
 */

export const WEBHOOK_SIGNATURE_HEADER = 'portcullis-webhook-signature';
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;
/** Webhook secrets we mint have 256 bits; anything under 128 is refused. */
const MIN_SECRET_BYTES = 16;
const MAX_HEADER_CHARS = 2048;
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;

/** Throws `config.invalid` unless `secret` can sign deliveries (at least 16 bytes): check it at start-up. */
export function assertWebhookSecret(secret: string): void {
  if (typeof secret !== 'string' || Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new PortcullisError('config.invalid', { detail: `webhook signature: the secret must have at least ${MIN_SECRET_BYTES} bytes` });
  }
}

function mac(secret: string, timestamp: string, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest();
}

/**
 * The signature header value for `body`, at `nowSeconds` (default: now).
 *
 * @example
 * headers[WEBHOOK_SIGNATURE_HEADER] = signWebhookPayload(secret, body);
 */
export function signWebhookPayload(secret: string, body: string | Uint8Array, nowSeconds = Math.floor(Date.now() / 1000)): string {
  assertWebhookSecret(secret);
  const timestamp = String(Math.floor(nowSeconds));
  return `t=${timestamp},v1=${mac(secret, timestamp, body).toString('hex')}`;
}

export interface VerifyWebhookSignatureInput {
  /** The webhook's secret, or several while rotating (any one may match). */
  readonly secret: string | readonly string[];
  /** The signature header as received. */
  readonly header: string | undefined;
  /** The raw request body, before any JSON parsing. */
  readonly body: string | Uint8Array;
  /** How far the signed time may be from now. Default 300 s. */
  readonly toleranceSeconds?: number;
  readonly nowSeconds?: number;
}

export type WebhookSignatureCheck = { readonly ok: true; readonly timestamp: number } | { readonly ok: false; readonly reason: 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks a delivery's signature. `ok: false` says why (malformed header, timestamp outside the
 * tolerance, or no matching signature); answer such a delivery with 400 or 401 and drop it.
 *
 * @example
 * const check = verifyWebhookSignature({ secret, header: req.headers['portcullis-webhook-signature'], body: rawBody });
 * if (!check.ok) return reply.code(401).send();
 */
export function verifyWebhookSignature(input: VerifyWebhookSignatureInput): WebhookSignatureCheck {
  const secrets = typeof input.secret === 'string' ? [input.secret] : [...input.secret];
  if (secrets.length === 0) throw new PortcullisError('config.invalid', { detail: 'webhook signature: give at least one secret' });
  for (const secret of secrets) assertWebhookSecret(secret);
  const header = input.header;
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_HEADER_CHARS) return { ok: false, reason: 'malformed' };
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const equals = part.indexOf('=');
    const key = part.slice(0, equals).trim();
    const value = part.slice(equals + 1).trim();
    if (equals === -1) return { ok: false, reason: 'malformed' };
    if (key === 't') {
      if (timestamp !== undefined || !TIMESTAMP.test(value)) return { ok: false, reason: 'malformed' };
      timestamp = value;
    } else if (key === 'v1') {
      if (!HEX_SIGNATURE.test(value)) return { ok: false, reason: 'malformed' };
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (a future v2) are ignored, so senders can add them without breaking receivers.
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  const tolerance = input.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > tolerance) return { ok: false, reason: 'stale' };
  let matched = false;
  // Every pair is compared, so the time taken does not say which secret or entry matched.
  for (const secret of secrets) {
    const expected = mac(secret, timestamp, input.body);
    for (const signature of signatures) matched = timingSafeEqual(expected, signature) || matched;
  }
  return matched ? { ok: true, timestamp: Number(timestamp) } : { ok: false, reason: 'mismatch' };
}
