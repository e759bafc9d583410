import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { PortcullisError } from '../../errors/index.js';

/**
 * Encryption at rest for small secrets we must read back (V9): TOTP secrets, webhook signing
 * secrets. AES-256-GCM with a fresh 96-bit IV per seal under a key ring, so keys rotate without a
 * flag day: new seals use the current key, old values still open under their own key id, and
 * `needsReseal` tells the caller which rows to rewrite. The sealed form is one line of text,
 * `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts), and the version and key id are
 * authenticated along with the caller's associated data (bind a secret to its owner, e.g. the
 * user id, so a value copied onto another row does not open). A value that does not open is a
 * server-side fault, never a client's: it throws `storage.secret_unreadable` with a fixed detail naming
 * the reason (malformed, unknown key id, failed authentication). node:crypto does this directly;
 * a library would add nothing but a dependency.
 */

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** "Small secrets": anything bigger is a misuse of this box. */
export const MAX_SEALED_PLAINTEXT_BYTES = 64 * 1024;
const MAX_SEALED_CHARS = 2 * MAX_SEALED_PLAINTEXT_BYTES;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64_KEY = /^(?:[A-Za-z0-9+/]{43}=?|[A-Za-z0-9_-]{43})$/;

export interface SecretBoxKey {
  /** A short public label stored with every value: 1-32 of `A-Z a-z 0-9 _ -`. */
  readonly id: string;
  /** Exactly 32 bytes: raw, or as base64 / base64url text (`newSecretBoxKey()` makes one). */
  readonly key: Uint8Array | string;
}

export interface SecretBoxOptions {
  readonly keys: readonly SecretBoxKey[];
  /** The id of the key new seals use. */
  readonly current: string;
}

export interface SecretBox {
  readonly currentKeyId: string;
  /** Encrypts under the current key; `associatedData` must be given again to open. */
  seal(plaintext: string | Uint8Array, associatedData?: string): string;
  /** Decrypts under whichever ring key sealed it; throws `storage.secret_unreadable` if it does not open. */
  open(sealed: string, associatedData?: string): Buffer;
  /** `open`, decoded as UTF-8 (refusing invalid UTF-8). */
  openText(sealed: string, associatedData?: string): string;
  /** True when `sealed` was sealed under a ring key other than the current one; throws like `open` when malformed or its key is not in the ring. */
  needsReseal(sealed: string): boolean;
}

function invalidConfig(detail: string): PortcullisError {
  return new PortcullisError('config.invalid', { detail: `secret box: ${detail}` });
}

function unreadable(detail: string, cause?: unknown): PortcullisError {
  return new PortcullisError('storage.secret_unreadable', { detail: `secret box: ${detail}`, cause });
}

function keyBytes(key: Uint8Array | string): Buffer {
  if (typeof key === 'string') {
    if (!BASE64_KEY.test(key)) throw invalidConfig('a key must be 32 bytes, given raw or as base64 / base64url text');
    return Buffer.from(key, key.includes('+') || key.includes('/') || key.endsWith('=') ? 'base64' : 'base64url');
  }
  if (!(key instanceof Uint8Array) || key.byteLength !== KEY_BYTES) throw invalidConfig('a key must be exactly 32 bytes');
  return Buffer.from(key);
}

/** Decodes canonical unpadded base64url only, so one sealed value has exactly one spelling. */
function decodePart(part: string, expectedBytes?: number): Buffer | undefined {
  if (!BASE64URL.test(part)) return undefined;
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) return undefined;
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) return undefined;
  return bytes;
}

/** The version and key id are authenticated with the caller's data; a key id never contains ':'. */
function additionalData(keyId: string, associatedData: string | undefined): Buffer {
  return Buffer.from(`portcullis.secret-box:${VERSION}:${keyId}:${associatedData ?? ''}`, 'utf8');
}

interface ParsedSeal {
  readonly keyId: string;
  readonly key: KeyObject;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

/**
 * A secret box over a key ring. Throws `config.invalid` for an empty ring, a bad or repeated key
 * id, a key that is not exactly 32 bytes, or a `current` id missing from the ring.
 *
 * @example
 * const box = createSecretBox({ keys: [{ id: '2025a', key: process.env.MFA_KEY! }], current: '2025a' });
 * const stored = box.seal(totpSecret, user.id);
 * const secret = box.openText(stored, user.id);
 * if (box.needsReseal(stored)) await users.update(user.id, { mfaSecret: box.seal(secret, user.id) });
 */
export function createSecretBox(options: SecretBoxOptions): SecretBox {
  if (!Array.isArray(options?.keys) || options.keys.length === 0) throw invalidConfig('the key ring is empty');
  const ring = new Map<string, KeyObject>();
  for (const entry of options.keys) {
    if (typeof entry?.id !== 'string' || !KEY_ID.test(entry.id)) {
      throw invalidConfig('a key id must be 1-32 characters of A-Z a-z 0-9 _ -');
    }
    if (ring.has(entry.id)) throw invalidConfig('key ids must be unique');
    ring.set(entry.id, createSecretKey(keyBytes(entry.key)));
  }
  const currentKeyId = options.current;
  const currentKey = typeof currentKeyId === 'string' ? ring.get(currentKeyId) : undefined;
  if (currentKey === undefined) throw invalidConfig('the current key id is not in the ring');

  function parse(sealed: string): ParsedSeal {
    if (typeof sealed !== 'string' || sealed.length > MAX_SEALED_CHARS) throw unreadable('the sealed value is malformed');
    const parts = sealed.split('.');
    const [version, keyId, iv, ciphertext, tag] = parts;
    if (parts.length !== 5 || version !== VERSION || keyId === undefined || !KEY_ID.test(keyId)) {
      throw unreadable('the sealed value is malformed');
    }
    const key = ring.get(keyId);
    if (key === undefined) throw unreadable('the value was sealed under a key id that is not in the ring');
    const ivBytes = decodePart(iv ?? '', IV_BYTES);
    const ciphertextBytes = decodePart(ciphertext ?? '');
    const tagBytes = decodePart(tag ?? '', TAG_BYTES);
    if (ivBytes === undefined || ciphertextBytes === undefined || tagBytes === undefined) {
      throw unreadable('the sealed value is malformed');
    }
    return { keyId, key, iv: ivBytes, ciphertext: ciphertextBytes, tag: tagBytes };
  }

  function open(sealed: string, associatedData?: string): Buffer {
    const parsed = parse(sealed);
    try {
      const decipher = createDecipheriv('aes-256-gcm', parsed.key, parsed.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(parsed.keyId, associatedData));
      decipher.setAuthTag(parsed.tag);
      return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]);
    } catch (error) {
      throw unreadable('authentication failed (tampered value, wrong key or wrong associated data)', error);
    }
  }

  return {
    currentKeyId,
    seal(plaintext, associatedData) {
      const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
      if (!(bytes instanceof Uint8Array)) throw invalidConfig('seal takes a string or bytes');
      if (bytes.byteLength > MAX_SEALED_PLAINTEXT_BYTES) throw invalidConfig('seal is for small secrets (64 KiB at most)');
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', currentKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(currentKeyId, associatedData));
      const ciphertext = Buffer.concat([cipher.update(bytes), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, currentKeyId, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
    },
    open,
    openText(sealed, associatedData) {
      const bytes = open(sealed, associatedData);
      try {
        return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch (error) {
        throw unreadable('the opened value is not UTF-8 text', error);
      }
    },
    needsReseal(sealed) {
      return parse(sealed).keyId !== currentKeyId;
    },
  };
}

/**
 * A new random 32-byte key as base64url, for an operator to put in the key ring's configuration.
 *
 * @example
 * console.log(newSecretBoxKey()); // then MFA_KEYS='[{"id":"2025b","key":"..."}]'
 */
export function newSecretBoxKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}
