import { createHmac, randomBytes } from 'node:crypto';
import { assertHashSecret, type HashSecret } from '../secrets/keyed-hash.js';
import { SIGNED_REQUEST_HEADER, formatSignatureHeader, stringToSign } from './signature-format.js';

/**
 * The client side of signed requests (A9): what a caller holding a credential's signing secret
 * runs before each request. It lives in the library so our own tests, SDKs and examples sign
 * exactly as the verifier checks; the secret stays with the caller, only the HMAC travels.
 */

export interface SignRequestInput {
  /** The credential's signing secret, at least 32 bytes; the same one the server verifies with. */
  readonly secret: HashSecret;
  readonly method: string;
  /** The request target exactly as it will be sent: `/orders?id=7&x=1`. */
  readonly pathWithQuery: string;
  /** The raw body that will be sent; a string is sent as its UTF-8 bytes. */
  readonly body?: string | Uint8Array;
  /** Clock in epoch milliseconds. Default Date.now. */
  readonly now?: () => number;
  /** Default: a fresh 128-bit nonce from the CSPRNG. Pass one only to replay a fixed test vector. */
  readonly nonce?: string;
}

/** Bytes of randomness in a default nonce: 128 bits, 22 base64url characters. */
export const SIGNED_REQUEST_NONCE_BYTES = 16;

/**
 * The `Portcullis-Signature` header for one request. Throws `config.invalid` for a short secret,
 * a method or path that cannot be signed, or a nonce outside the format.
 *
 * @example
 * const body = JSON.stringify({ amount: 100 });
 * const headers = signRequest({ secret, method: 'POST', pathWithQuery: '/payments?dry=1', body });
 * await fetch(`${base}/payments?dry=1`, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' } });
 */
export function signRequest(input: SignRequestInput): { 'portcullis-signature': string } {
  assertHashSecret(input.secret, 'signed request');
  const nonce = input.nonce ?? randomBytes(SIGNED_REQUEST_NONCE_BYTES).toString('base64url');
  const timestamp = Math.floor((input.now ?? Date.now)() / 1000);
  const text = stringToSign({ method: input.method, pathWithQuery: input.pathWithQuery, timestamp, nonce, body: input.body });
  const signature = createHmac('sha256', input.secret).update(text, 'utf8').digest('base64url');
  return { [SIGNED_REQUEST_HEADER]: formatSignatureHeader({ timestamp, nonce, signature }) };
}
