import { isUtf8 } from 'node:buffer';
import { createHmac, timingSafeEqual, verify as verifySignature, type KeyObject } from 'node:crypto';
import { PortcullisError } from '../../errors/index.js';

/**
 * The parts of JWS compact serialisation (RFC 7515) both token verifiers share, written so that
 * nothing an attacker sends is decoded or parsed before cheap checks have passed: the length cap,
 * one linear regex for the shape, the canonical-base64url test on each segment, then (and only
 * for the header before the signature is checked) a strict JSON decode that refuses invalid
 * UTF-8, non-objects, duplicate members and `__proto__`. Internal to the tokens folder.
 */

export type SignatureAlgorithm = 'HS256' | 'EdDSA' | 'ES256' | 'RS256';

/** Checks a signature over the signing input (`header.payload`, ASCII). Never throws. */
export type SignatureCheck = (signingInput: string, signature: Buffer) => boolean;

export function tokenInvalid(detail: string): PortcullisError {
  return new PortcullisError('auth.token_invalid', { detail });
}

export function configInvalid(detail: string, cause?: unknown): PortcullisError {
  return new PortcullisError('config.invalid', cause === undefined ? { detail } : { detail, cause });
}

/** Three non-empty base64url segments and nothing else; linear, as no class overlaps the dot. */
const COMPACT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** 6-bit value of each base64url character (the shape regex has already excluded the others). */
const SEXTET = new Uint8Array(128);
for (const [index, char] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) {
  SEXTET[char.charCodeAt(0)] = index;
}

/** Where the two dots of a compact token are. */
export interface CompactParts {
  readonly headerEnd: number;
  readonly payloadEnd: number;
}

/**
 * Unpadded base64url has one spelling per byte string: the length is never 1 mod 4 and the bits
 * of the last character that carry no data are zero. Node's decoder ignores both, so without this
 * test a token with a changed last character could decode to the same bytes and still verify.
 */
export function isCanonicalSegment(text: string, start: number, end: number): boolean {
  const remainder = (end - start) % 4;
  if (remainder === 0) return true;
  if (remainder === 1) return false;
  const last = SEXTET[text.charCodeAt(end - 1)]!;
  return remainder === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0;
}

/** Throws `auth.token_invalid` unless `token` is a compact JWS of at most `maxLength` characters in canonical base64url. */
export function splitCompact(token: unknown, maxLength: number): CompactParts {
  if (typeof token !== 'string') throw tokenInvalid('token is not a string');
  if (token.length > maxLength) throw tokenInvalid('token is longer than the accepted maximum');
  if (!COMPACT_SHAPE.test(token)) throw tokenInvalid('token is not three base64url segments');
  const headerEnd = token.indexOf('.');
  const payloadEnd = token.indexOf('.', headerEnd + 1);
  if (!isCanonicalSegment(token, 0, headerEnd) || !isCanonicalSegment(token, headerEnd + 1, payloadEnd) || !isCanonicalSegment(token, payloadEnd + 1, token.length)) {
    throw tokenInvalid('token is not canonical base64url');
  }
  return { headerEnd, payloadEnd };
}

/** Characters of the unpadded base64url form of `bytes` bytes. */
export function base64urlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

const MAX_JSON_DEPTH = 8;

/** Members counted in the parsed value; -1 when it nests too deep or holds a `__proto__` member. */
function parsedMembers(value: unknown, depth: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (depth > MAX_JSON_DEPTH) return -1;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      const inner = parsedMembers(item, depth + 1);
      if (inner < 0) return -1;
      count += inner;
    }
    return count;
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return -1;
    const inner = parsedMembers((value as Record<string, unknown>)[key], depth + 1);
    if (inner < 0) return -1;
    count += inner + 1;
  }
  return count;
}

/** True when the quote at `index` is escaped: preceded by an odd number of backslashes. */
function isEscapedQuote(text: string, index: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(index - 1 - backslashes) === 0x5c) backslashes += 1;
  return backslashes % 2 === 1;
}

/**
 * Members written in JSON text that JSON.parse has accepted: in valid JSON a string followed by a
 * colon (after optional whitespace) is a member name and nothing else is. More names than parsed
 * members means a duplicate, which JSON.parse would otherwise resolve silently to the last one.
 * Jumps from quote to quote with indexOf rather than visiting every character.
 */
function writtenMembers(text: string): number {
  let count = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    let close = text.indexOf('"', open + 1);
    while (close !== -1 && isEscapedQuote(text, close)) close = text.indexOf('"', close + 1);
    if (close === -1) return -1;
    let next = close + 1;
    let code = text.charCodeAt(next);
    while (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) code = text.charCodeAt((next += 1));
    if (code === 0x3a) count += 1;
    open = text.indexOf('"', next);
  }
  return count;
}

/**
 * Decodes one segment to a JSON object, refusing invalid UTF-8, anything but an object, duplicate
 * member names, a `__proto__` member and nesting deeper than 8.
 */
export function decodeJsonObject(token: string, start: number, end: number, what: 'header' | 'payload'): Record<string, unknown> {
  const bytes = Buffer.from(token.slice(start, end), 'base64url');
  if (!isUtf8(bytes)) throw tokenInvalid(`token ${what} is not UTF-8`);
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw tokenInvalid(`token ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw tokenInvalid(`token ${what} is not a JSON object`);
  const members = parsedMembers(value, 0);
  if (members < 0) throw tokenInvalid(`token ${what} nests too deep or names __proto__`);
  if (members !== writtenMembers(text)) throw tokenInvalid(`token ${what} repeats a member name`);
  return value as Record<string, unknown>;
}

/** HS256: HMAC-SHA256 under `secret`, compared in constant time after the (public) length check. */
export function hmacCheck(secret: KeyObject): SignatureCheck {
  return (signingInput, signature) => {
    const expected = createHmac('sha256', secret).update(signingInput, 'latin1').digest();
    return signature.length === expected.length && timingSafeEqual(expected, signature);
  };
}

/**
 * EdDSA (Ed25519), ES256 (P-256, JOSE's raw r||s form, not DER) and RS256 (PKCS #1 v1.5) over a
 * public key. A malformed signature makes OpenSSL throw on some paths; that is a refusal too.
 */
export function publicKeyCheck(algorithm: 'EdDSA' | 'ES256' | 'RS256', publicKey: KeyObject): SignatureCheck {
  if (algorithm === 'EdDSA') {
    return (signingInput, signature) => {
      try {
        return verifySignature(null, Buffer.from(signingInput, 'latin1'), publicKey, signature);
      } catch {
        return false;
      }
    };
  }
  const key = algorithm === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;
  return (signingInput, signature) => {
    try {
      return verifySignature('sha256', Buffer.from(signingInput, 'latin1'), key, signature);
    } catch {
      return false;
    }
  };
}
