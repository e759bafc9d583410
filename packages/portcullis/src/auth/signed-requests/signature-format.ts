import { createHash } from 'node:crypto';
import { PortcullisError } from '../../errors/index.js';

/**
 * The wire format of signed requests (A9), in one place so the signer and the verifier cannot
 * drift apart. Parsing is strict (one exact grammar, canonical values only) so that one signature
 * has one spelling: a lenient parser would let a captured header be re-spelled into a "new"
 * request that logs, caches or de-duplicates differently.
 *
 *   Header `Portcullis-Signature: t=<unix seconds>, n=<nonce>, v1=<base64url HMAC-SHA256>`
 *   - t: integer seconds; n: 16 to 64 chars of [A-Za-z0-9_-]; v1: 43 base64url chars.
 *   - String to sign (UTF-8, '\n' separated, no trailing newline):
 *       `PORTCULLIS-HMAC-SHA256` \n METHOD (upper case) \n path-with-query exactly as sent on the request line \n t \n n \n lowercase hex SHA-256 of the raw body bytes (of the empty string when there is no body)
 *   - Members in that order; duplicates, unknown members, whitespace other than one space after each comma, or a second header refused.
 *
 * Canonical means: t without leading zeros (at most 11 digits), and v1 the unpadded base64url of
 * exactly 32 bytes (its last character carries no stray bits).
 */

/** The header's name, lower case as Node presents it. */
export const SIGNED_REQUEST_HEADER = 'portcullis-signature';

/** The first line of every string to sign; names the algorithm so a future v2 cannot be confused with it. */
export const SIGNED_REQUEST_SCHEME = 'PORTCULLIS-HMAC-SHA256';

/** A parsed `Portcullis-Signature` header. */
export interface SignatureHeader {
  /** Unix seconds, as signed. */
  readonly timestamp: number;
  readonly nonce: string;
  /** 43 base64url characters: the HMAC-SHA256 over the string to sign. */
  readonly signature: string;
}

/** What the signature covers, besides the fixed scheme line. */
export interface SignedRequestParts {
  readonly method: string;
  /** The request target exactly as on the request line: `/orders?id=7&x=1`, no normalising. */
  readonly pathWithQuery: string;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly nonce: string;
  /** The raw body; a string counts as its UTF-8 bytes, undefined as the empty body. */
  readonly body?: string | Uint8Array | undefined;
}

const HEADER = /^t=(0|[1-9][0-9]{0,10}), n=([A-Za-z0-9_-]{16,64}), v1=([A-Za-z0-9_-]{42}[AEIMQUYcgkosw048])$/;
const MAX_HEADER_LENGTH = 160;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const MAX_TIMESTAMP = 99_999_999_999;
// RFC 9110 token characters; a method is never anything else.
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
// A request target is visible ASCII; a newline in it could forge another line of the string to sign.
const PATH_WITH_QUERY = /^[\x21-\x7E]{1,8192}$/;

function malformed(): PortcullisError {
  return new PortcullisError('auth.signature_invalid', { detail: 'signed request: the Portcullis-Signature header is malformed' });
}

/**
 * Reads a `Portcullis-Signature` header as Node hands it over: a string, or an array when a
 * framework keeps repeated headers apart (one element is accepted, two are a second header).
 * Throws `auth.signature_invalid` for anything not exactly in the documented grammar.
 *
 * @example
 * const { timestamp, nonce, signature } = parseSignatureHeader(request.headers['portcullis-signature']);
 */
export function parseSignatureHeader(value: unknown): SignatureHeader {
  const single = Array.isArray(value) && value.length === 1 ? (value[0] as unknown) : value;
  if (single === undefined || (Array.isArray(value) && value.length === 0)) {
    throw new PortcullisError('auth.signature_invalid', { detail: 'signed request: the Portcullis-Signature header is missing' });
  }
  if (typeof single !== 'string' || single.length > MAX_HEADER_LENGTH) throw malformed();
  const match = HEADER.exec(single);
  if (match === null) throw malformed();
  return { timestamp: Number(match[1]), nonce: match[2]!, signature: match[3]! };
}

/** True when `value` is a nonce the format allows: 16 to 64 characters of [A-Za-z0-9_-]. */
export function isValidNonce(value: unknown): value is string {
  return typeof value === 'string' && NONCE.test(value);
}

/** True when `method` can be signed: an HTTP token of at most 32 characters. */
export function isSignableMethod(method: unknown): method is string {
  return typeof method === 'string' && METHOD.test(method);
}

/** True when `pathWithQuery` can be signed: 1 to 8192 visible ASCII characters. */
export function isSignablePath(pathWithQuery: unknown): pathWithQuery is string {
  return typeof pathWithQuery === 'string' && PATH_WITH_QUERY.test(pathWithQuery);
}

function isSignableTimestamp(timestamp: unknown): timestamp is number {
  return Number.isSafeInteger(timestamp) && (timestamp as number) >= 0 && (timestamp as number) <= MAX_TIMESTAMP;
}

function checkParts(parts: SignedRequestParts): void {
  const problem = !isSignableMethod(parts.method)
    ? 'the method is not an HTTP token'
    : !isSignablePath(parts.pathWithQuery)
      ? 'the path must be 1 to 8192 visible ASCII characters'
      : !isSignableTimestamp(parts.timestamp)
        ? 'the timestamp must be whole unix seconds'
        : !isValidNonce(parts.nonce)
          ? 'the nonce must be 16 to 64 characters of [A-Za-z0-9_-]'
          : parts.body !== undefined && typeof parts.body !== 'string' && !(parts.body instanceof Uint8Array)
            ? 'the body must be a string or bytes'
            : undefined;
  if (problem !== undefined) throw new PortcullisError('config.invalid', { detail: `signed request: ${problem}` });
}

/** Lowercase hex SHA-256 of the raw body (of no bytes when `body` is undefined). */
export function bodyDigest(body: string | Uint8Array | undefined): string {
  return createHash('sha256')
    .update(body ?? '')
    .digest('hex');
}

/**
 * The exact text the HMAC covers. Throws `config.invalid` for parts that cannot be signed (a
 * method that is not a token, a path with spaces or control characters, a bad nonce or timestamp);
 * the verifier checks request-supplied parts before calling it.
 *
 * @example
 * stringToSign({ method: 'post', pathWithQuery: '/orders?id=7', timestamp: 1700000000, nonce: 'k3Jq9xVt2LmP0aZb', body: '{}' });
 * // 'PORTCULLIS-HMAC-SHA256\nPOST\n/orders?id=7\n1700000000\nk3Jq9xVt2LmP0aZb\n44136fa3...'
 */
export function stringToSign(parts: SignedRequestParts): string {
  checkParts(parts);
  return [SIGNED_REQUEST_SCHEME, parts.method.toUpperCase(), parts.pathWithQuery, String(parts.timestamp), parts.nonce, bodyDigest(parts.body)].join('\n');
}

/**
 * Spells a header value. Throws `config.invalid` unless every member is in the format, so what
 * it writes always parses.
 *
 * @example
 * formatSignatureHeader({ timestamp: 1700000000, nonce: 'k3Jq9xVt2LmP0aZb', signature });
 * // 't=1700000000, n=k3Jq9xVt2LmP0aZb, v1=...'
 */
export function formatSignatureHeader(header: SignatureHeader): string {
  const value = `t=${String(header.timestamp)}, n=${String(header.nonce)}, v1=${String(header.signature)}`;
  if (!isSignableTimestamp(header.timestamp) || !HEADER.test(value)) {
    throw new PortcullisError('config.invalid', { detail: 'signed request: the header members are not in the documented format' });
  }
  return value;
}
