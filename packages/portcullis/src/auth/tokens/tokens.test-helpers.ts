import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isPortcullisError } from '../../errors/index.js';

/** Shared fixtures of the token tests: a fixed clock, fresh keys, and a forge for hand-made tokens. */

/** 2026-09-21T11:33:20Z, in epoch milliseconds. */
export const NOW_MS = 1_790_000_000_000;
export const NOW = NOW_MS / 1000;
export const fixedClock = (): number => NOW_MS;
export const ISSUER = 'https://api.example.com';
export const AUDIENCE = 'https://api.example.com';

export const newSecret = (): Buffer => randomBytes(32);
export const newEd25519 = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('ed25519');
export const newP256 = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
export const newRsa = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('rsa', { modulusLength: 2048 });

export const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');

/** How a forged token is signed: by a real algorithm and key, or with given signature bytes. */
export type Forger =
  | { readonly hs256: Uint8Array | string | KeyObject }
  | { readonly eddsa: KeyObject }
  | { readonly es256: KeyObject; readonly der?: boolean }
  | { readonly rs256: KeyObject }
  | { readonly signature: string };

export function signWith(forger: Forger, signingInput: string): string {
  const data = Buffer.from(signingInput, 'latin1');
  if ('hs256' in forger) return createHmac('sha256', forger.hs256).update(data).digest('base64url');
  if ('eddsa' in forger) return sign(null, data, forger.eddsa).toString('base64url');
  if ('es256' in forger) return sign('sha256', data, { key: forger.es256, dsaEncoding: forger.der === true ? 'der' : 'ieee-p1363' }).toString('base64url');
  if ('rs256' in forger) return sign('sha256', data, forger.rs256).toString('base64url');
  return forger.signature;
}

/** A token from raw header and payload text (or objects), signed as `forger` says. */
export function forge(header: unknown, payload: unknown, forger: Forger): string {
  const signingInput = `${b64(header)}.${b64(payload)}`;
  return `${signingInput}.${signWith(forger, signingInput)}`;
}

/** A payload our verifier would accept at NOW, with `changes` merged in (undefined removes a claim). */
export function claims(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { iss: ISSUER, sub: 'user_1', aud: AUDIENCE, iat: NOW, exp: NOW + 900, jti: 'AAAAAAAAAAAAAAAAAAAAAA', role: 'member' };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

/**
 * Asserts `run` throws a PortcullisError with `code` (default auth.token_invalid) and, when
 * `reason` is given, a detail matching it: for checks that are defence in depth, where only the
 * reason shows which check refused.
 */
export function assertRefused(
  run: () => unknown,
  code: 'auth.token_invalid' | 'auth.token_expired' | 'config.invalid' = 'auth.token_invalid',
  message?: string,
  reason?: RegExp,
): void {
  assert.throws(
    run,
    (error: unknown) => {
      assert.ok(isPortcullisError(error), `expected a PortcullisError, got ${String(error)}`);
      assert.equal(error.code, code, `${message ?? ''} (detail: ${error.detail ?? ''})`);
      if (reason !== undefined) assert.match(error.detail ?? '', reason, message);
      return true;
    },
    message,
  );
}

/** The token with one bit of signature byte `byte` flipped, re-encoded canonically. */
export function flipSignatureBit(token: string, byte: number, bit = 0): string {
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  signature[byte] = signature[byte]! ^ (1 << bit);
  return `${token.slice(0, dot)}.${signature.toString('base64url')}`;
}
