import { randomBytes } from 'node:crypto';
import { PortcullisError } from '../../errors/index.js';
import { crc32 } from './crc32.js';

/**
 * What an API key looks like (A8): `pk_live_` or `pk_test_`, 256 bits from the CSPRNG as 43
 * base62 characters, then a 6-character base62 CRC-32 of everything before it. The prefix makes
 * a leaked key recognisable to secret scanners and says which environment it opens; base62 keeps
 * it one double-click wide; the checksum lets `parseApiKey` refuse typos and junk without a
 * storage lookup. The checksum proves nothing about issuance: the keyed hash does that.
 */

export type ApiKeyEnvironment = 'live' | 'test';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Random bytes in a key: 256 bits. */
export const API_KEY_BYTES = 32;
/** ceil(256 / log2(62)): 43 characters hold any 256-bit value. */
const BODY_LENGTH = 43;
/** 62^6 > 2^32: six characters hold any CRC-32. */
const CHECKSUM_LENGTH = 6;
const PREFIX_LENGTH = 'pk_live_'.length;
/** Body characters shown in listings: about 48 bits, leaving about 208 unseen. */
const DISPLAY_BODY_LENGTH = 8;
export const API_KEY_LENGTH = PREFIX_LENGTH + BODY_LENGTH + CHECKSUM_LENGTH;

/** A whole key and nothing else, for secret scanners and log redaction. */
export const API_KEY_PATTERN = /^pk_(?:live|test)_[0-9A-Za-z]{49}$/;

export interface NewApiKey {
  /** Show once to its owner; store only `hashApiKey(secret, key)`. */
  readonly key: string;
  /** `pk_live_` plus the first 8 body characters: what listings show. */
  readonly displayPrefix: string;
}

export interface ParsedApiKey {
  readonly environment: ApiKeyEnvironment;
  readonly displayPrefix: string;
}

function base62(value: bigint, width: number): string {
  let text = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    text = BASE62.charAt(Number(rest % 62n)) + text;
    rest /= 62n;
  }
  return text;
}

function checksum(text: string): string {
  return base62(BigInt(crc32(text)), CHECKSUM_LENGTH);
}

function prefixOf(environment: ApiKeyEnvironment): string {
  if (environment !== 'live' && environment !== 'test') {
    throw new PortcullisError('config.invalid', { detail: "API key: the environment must be 'live' or 'test'" });
  }
  return `pk_${environment}_`;
}

/**
 * The key spelled from the given 32 bytes. Internal: `newApiKey` is the only caller outside
 * tests, which use it to build keys from chosen bytes.
 */
export function apiKeyFromBytes(environment: ApiKeyEnvironment, bytes: Uint8Array): NewApiKey {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== API_KEY_BYTES) {
    throw new PortcullisError('config.invalid', { detail: `API key: exactly ${API_KEY_BYTES} random bytes are needed` });
  }
  const prefix = prefixOf(environment);
  const body = base62(BigInt(`0x${Buffer.from(bytes).toString('hex')}`), BODY_LENGTH);
  return { key: prefix + body + checksum(prefix + body), displayPrefix: prefix + body.slice(0, DISPLAY_BODY_LENGTH) };
}

/**
 * A new API key for `environment`, with the prefix to show in listings.
 *
 * @example
 * const { key, displayPrefix } = newApiKey('live');
 * await keys.insert({ displayPrefix, keyHash: hashApiKey(secret, key), ... });
 * reply.send({ key }); // the only time anyone sees it
 */
export function newApiKey(environment: ApiKeyEnvironment): NewApiKey {
  return apiKeyFromBytes(environment, randomBytes(API_KEY_BYTES));
}

function malformed(): PortcullisError {
  // Never the input: a near-miss key in a response or log is still most of a secret.
  return new PortcullisError('auth.api_key_invalid', { detail: 'the API key is malformed' });
}

/**
 * Checks that `text` is shaped like one of our keys, checksum included, and says which
 * environment it is for; throws `auth.api_key_invalid` otherwise. No storage, no hashing: run it
 * before either, so junk costs a regex and a CRC.
 *
 * @example
 * const { environment } = parseApiKey(bearer);
 * if (environment !== deployment) throw new PortcullisError('auth.api_key_invalid');
 */
export function parseApiKey(text: unknown): ParsedApiKey {
  if (typeof text !== 'string' || text.length !== API_KEY_LENGTH || !API_KEY_PATTERN.test(text)) throw malformed();
  const signed = text.slice(0, API_KEY_LENGTH - CHECKSUM_LENGTH);
  if (checksum(signed) !== text.slice(API_KEY_LENGTH - CHECKSUM_LENGTH)) throw malformed();
  return {
    environment: text.startsWith('pk_live_') ? 'live' : 'test',
    displayPrefix: text.slice(0, PREFIX_LENGTH + DISPLAY_BODY_LENGTH),
  };
}

/**
 * Whether `text` claims to be an API key (starts with `pk_`), to route a bearer credential to the
 * API key verifier rather than the JWT one (a JWT starts with `ey`). A claim only: `parseApiKey`
 * decides. Not a type guard, so the other branch keeps its string.
 *
 * @example
 * const principal = looksLikeApiKey(bearer) ? await apiKeys.verify(bearer) : verifyAccessToken(bearer);
 */
export function looksLikeApiKey(text: unknown): boolean {
  return typeof text === 'string' && text.startsWith('pk_');
}
