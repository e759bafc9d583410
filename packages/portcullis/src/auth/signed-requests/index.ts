/** Signed requests (A9): HMAC-SHA256 over method, target, timestamp, nonce and body digest; stale and replayed refused. */
export {
  parseSignatureHeader,
  formatSignatureHeader,
  stringToSign,
  SIGNED_REQUEST_HEADER,
  SIGNED_REQUEST_SCHEME,
  type SignatureHeader,
  type SignedRequestParts,
} from './signature-format.js';
export { signRequest, SIGNED_REQUEST_NONCE_BYTES, type SignRequestInput } from './sign-request.js';
export {
  MemoryNonceStore,
  RedisNonceStore,
  type NonceStore,
  type NonceRedisClient,
  type MemoryNonceStoreOptions,
  type RedisNonceStoreOptions,
} from './nonce-store.js';
export {
  createSignedRequestVerifier,
  type SignedRequestVerifier,
  type SignedRequestVerifierOptions,
  type SignedRequestInput,
} from './verify-signed-request.js';
