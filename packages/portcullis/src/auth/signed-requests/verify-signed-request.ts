import { createHmac, timingSafeEqual } from 'node:crypto';
import { PortcullisError, isPortcullisError } from '../../errors/index.js';
import { assertHashSecret, type HashSecret } from '../secrets/keyed-hash.js';
import type { NonceStore } from './nonce-store.js';
import { isSignableMethod, isSignablePath, parseSignatureHeader, stringToSign } from './signature-format.js';

/**
 * Verifies signed requests (A9), framework-free: the adapter hands over the method, the request
 * target as received, the raw body bytes and the header, with the secret and id of the credential
 * the request claims. The checks run cheapest and least stateful first, and the nonce is claimed
 * only after the HMAC matched, so a forged request never uses up a nonce its legitimate sender
 * still needs, and nobody without the secret can fill the nonce store. A nonce is remembered for
 * twice the tolerance: its timestamp is accepted from t - tolerance to t + tolerance, so a first
 * use at the earliest moment must still be known at the latest. One second more covers the store
 * counting expiry from its own clock (the last millisecond of the window, small skew between
 * instances; keep their clocks synchronised, a larger skew reopens a replay window that wide).
 */

export interface SignedRequestVerifierOptions {
  /** Shared by every instance that accepts the same credentials (RedisNonceStore), or one process's. */
  readonly nonces: NonceStore;
  /** How far the signed timestamp may be from this server's clock, either way: 1 to 900 s. Default 300. */
  readonly toleranceSeconds?: number;
  /** Clock in epoch milliseconds, for tests. Default Date.now. */
  readonly now?: () => number;
}

export interface SignedRequestInput {
  /** The credential's signing secret (at least 32 bytes), looked up by the caller; never from the request. */
  readonly secret: HashSecret;
  /** Whose nonces these are, e.g. the key id: nonces are per credential. */
  readonly scope: string;
  readonly method: string;
  /** The request target exactly as received on the request line (Node: `request.url`). */
  readonly pathWithQuery: string;
  /** The raw body bytes as received, before any parsing; undefined when there is none. */
  readonly body: string | Uint8Array | undefined;
  /** The `portcullis-signature` header as the framework presents it. */
  readonly header: string | string[] | undefined;
}

export interface SignedRequestVerifier {
  /**
   * Resolves when the request is authentic, fresh and first; otherwise rejects with
   * `auth.signature_invalid`, `auth.signature_expired` or `auth.signature_replayed` (401), or
   * `service.unavailable` (503) when the nonce store cannot answer.
   */
  verify(input: SignedRequestInput): Promise<void>;
}

function mismatch(): PortcullisError {
  return new PortcullisError('auth.signature_invalid', { detail: 'signed request: the signature does not match the request' });
}

/**
 * Creates the verifier. Throws `config.invalid` for a tolerance outside 1..900 or a missing store.
 *
 * @example
 * const verifier = createSignedRequestVerifier({ nonces: new RedisNonceStore({ client }) });
 * const key = await apiKeys.find(keyId);
 * await verifier.verify({
 *   secret: key.signingSecret,
 *   scope: key.id,
 *   method: request.method,
 *   pathWithQuery: request.url,
 *   body: rawBody,
 *   header: request.headers['portcullis-signature'],
 * });
 */
export function createSignedRequestVerifier(options: SignedRequestVerifierOptions): SignedRequestVerifier {
  const tolerance = options.toleranceSeconds ?? 300;
  const now = options.now ?? Date.now;
  const nonces = options.nonces;
  if (!Number.isSafeInteger(tolerance) || tolerance < 1 || tolerance > 900 || typeof nonces?.claim !== 'function') {
    throw new PortcullisError('config.invalid', { detail: 'signed request: needs a nonce store and toleranceSeconds an integer from 1 to 900' });
  }
  const toleranceMs = tolerance * 1000;
  const nonceTtlMs = 2 * toleranceMs + 1000;

  return {
    async verify(input) {
      // The caller's own values first: a bad one is a server bug (500), not the client's fault.
      assertHashSecret(input.secret, 'signed request');
      if (typeof input.scope !== 'string' || input.scope.length === 0) {
        throw new PortcullisError('config.invalid', { detail: 'signed request: the nonce scope must be a non-empty string' });
      }
      const { timestamp, nonce, signature } = parseSignatureHeader(input.header);
      if (Math.abs(now() - timestamp * 1000) > toleranceMs) {
        throw new PortcullisError('auth.signature_expired', { detail: `signed request: the timestamp is more than ${tolerance} s from the server's clock` });
      }
      const { method, pathWithQuery, body } = input;
      if (!isSignableMethod(method) || !isSignablePath(pathWithQuery) || (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array))) {
        throw mismatch();
      }
      const expected = createHmac('sha256', input.secret).update(stringToSign({ method, pathWithQuery, timestamp, nonce, body }), 'utf8').digest();
      const received = Buffer.from(signature, 'base64url');
      if (received.length !== expected.length || !timingSafeEqual(received, expected)) throw mismatch();
      let first: boolean;
      try {
        first = await nonces.claim(input.scope, nonce, nonceTtlMs);
      } catch (error) {
        if (isPortcullisError(error)) throw error;
        throw new PortcullisError('service.unavailable', { detail: 'signed request: the nonce store did not answer', cause: error });
      }
      if (first !== true) {
        throw new PortcullisError('auth.signature_replayed', { detail: 'signed request: this nonce was already used' });
      }
    },
  };
}
