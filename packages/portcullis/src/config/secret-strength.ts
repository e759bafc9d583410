import { randomBytes } from 'node:crypto';
import { PortcullisError } from '../errors/index.js';

/**
 * Start-up checks for secrets taken from the environment (A10). A server that signs tokens with
 * "changeme" is broken however good the rest is, so in production a weak secret stops the start
 * and names the variable (never its value).
 */
export interface SecretRule {
  /** Environment variable name, used in the message. */
  readonly name: string;
  /** Minimum entropy-bearing length in bytes once decoded. */
  readonly minBytes: number;
  /** How the value is encoded; `utf8` counts raw bytes. */
  readonly encoding?: 'utf8' | 'base64' | 'base64url' | 'hex';
}

const PLACEHOLDER_PATTERN =
  /change[-_ ]?me|changeit|default|example|placeholder|your[-_ ]?secret|^secret$|^password$|supersecret|^test$|^dev$|^(.)\1+$|^x{4,}$|^(0123456789|1234567890|abcdef)/i;

/** Distinct characters below this mean the value was typed by a person, not drawn at random. */
const MIN_DISTINCT_CHARACTERS = 10;

function decodedLength(value: string, encoding: SecretRule['encoding']): number {
  switch (encoding) {
    case 'base64':
    case 'base64url':
      return Buffer.from(value, encoding).length;
    case 'hex':
      return /^[0-9a-f]*$/i.test(value) && value.length % 2 === 0 ? value.length / 2 : 0;
    default:
      return Buffer.byteLength(value, 'utf8');
  }
}

/** Says what is wrong with a secret, or `undefined` when it is acceptable. Never echoes the value. */
export function describeWeakSecret(value: string | undefined, rule: SecretRule): string | undefined {
  if (value === undefined || value.trim() === '') return `${rule.name} is missing`;
  const bytes = decodedLength(value, rule.encoding ?? 'utf8');
  if (bytes < rule.minBytes) {
    return `${rule.name} is too short: it needs at least ${rule.minBytes} bytes${rule.encoding && rule.encoding !== 'utf8' ? ` (${rule.encoding}-encoded)` : ''}`;
  }
  if (PLACEHOLDER_PATTERN.test(value)) return `${rule.name} is a default or placeholder value`;
  if (new Set(value).size < MIN_DISTINCT_CHARACTERS) return `${rule.name} is not random enough`;
  return undefined;
}

/**
 * Throws a `config.invalid` error naming the first weak secret.
 *
 * @example
 * assertStrongSecret(process.env.JWT_SECRET, { name: 'JWT_SECRET', minBytes: 32 });
 */
export function assertStrongSecret(value: string | undefined, rule: SecretRule): string {
  const problem = describeWeakSecret(value, rule);
  if (problem !== undefined) throw new PortcullisError('config.invalid', { detail: problem });
  return value as string;
}

/** A fresh random secret in base64url, for development defaults and key generation. */
export function generateSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

const DEFAULT_PASSWORDS = new Set(['', 'postgres', 'password', 'admin', 'root', 'changeme', 'secret', 'redis', 'test', '123456']);

/**
 * Refuses connection URLs that carry a well-known default password (A10: default credentials).
 * Returns a message naming the variable, or `undefined`.
 */
export function describeDefaultCredentials(name: string, url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${name} is not a valid URL`;
  }
  if (parsed.password !== '' && DEFAULT_PASSWORDS.has(decodeURIComponent(parsed.password).toLowerCase())) {
    return `${name} uses a default password`;
  }
  return undefined;
}
