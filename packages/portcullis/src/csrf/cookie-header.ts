import { PortcullisError } from '../errors/index.js';

/**
 * The two cookie headers, written strictly (T5, A4). `serializeCookie` refuses any name, value or
 * attribute that could end the header early or smuggle a second attribute (CR, LF, `;`, `,`,
 * spaces, quotes, controls), so a value can never become header injection, and it enforces the
 * `__Secure-` / `__Host-` prefix rules and `SameSite=None` needing `Secure`. `parseCookieHeader`
 * reads leniently but decides ambiguity strictly: a name sent twice is dropped altogether, since
 * neither copy can be trusted. A cookie-tossing attacker on a sibling subdomain can plant a second
 * `csrf` or `refresh` cookie, and "first wins" does not help: browsers put longer paths first, and
 * the attacker chooses the path. Dropping the name makes every check that needs it fail closed.
 */

export interface CookieAttributes {
  /** Hidden from page scripts. */
  readonly httpOnly?: boolean;
  /** Sent over HTTPS only. */
  readonly secure?: boolean;
  readonly sameSite?: 'Strict' | 'Lax' | 'None';
  /** Starts with `/`. */
  readonly path?: string;
  /** Leave unset (host-only) unless sibling hosts must receive the cookie. */
  readonly domain?: string;
  /** Max-Age in whole seconds; 0 deletes the cookie. */
  readonly maxAge?: number;
  readonly expires?: Date;
}

export interface ParseCookieOptions {
  /** Longest Cookie header read; longer answers `request.header_too_large`. Default 8192. */
  readonly maxLength?: number;
}

export const DEFAULT_MAX_COOKIE_HEADER_LENGTH = 8192;
const MAX_NAME_CHARS = 256;
const MAX_VALUE_CHARS = 4096;
/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 cookie-octet: printable ASCII except space, `"`, `,`, `;` and `\`. */
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
/** Printable ASCII without space or `;`. */
const PATH = /^\/[\x21-\x3A\x3C-\x7E]*$/;
const DOMAIN = /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

function invalid(detail: string): PortcullisError {
  return new PortcullisError('config.invalid', { detail: `cookie: ${detail}` });
}

/** Whether `name` can be a cookie name (an RFC 9110 token of at most 256 characters). */
export function isCookieName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_NAME_CHARS && TOKEN.test(name);
}

/**
 * Throws `config.invalid` when the attributes cannot be written safely or break a prefix rule.
 * Called by `serializeCookie`; call it at start-up to fail early.
 *
 * @example
 * assertCookieAttributes('__Host-csrf', { secure: true, path: '/' });
 */
export function assertCookieAttributes(name: string, attributes: CookieAttributes): void {
  if (!isCookieName(name)) throw invalid('the name must be an RFC 9110 token of at most 256 characters');
  const { path, domain, maxAge, expires, sameSite } = attributes;
  if (path !== undefined && (typeof path !== 'string' || path.length > 1024 || !PATH.test(path))) {
    throw invalid('the path must start with "/" and hold printable ASCII without spaces or ";"');
  }
  if (domain !== undefined && (typeof domain !== 'string' || domain.length > 253 || !DOMAIN.test(domain))) {
    throw invalid('the domain must be a lower-case host name');
  }
  if (maxAge !== undefined && (!Number.isSafeInteger(maxAge) || maxAge < 0)) {
    throw invalid('maxAge must be a whole number of seconds, 0 or more');
  }
  if (expires !== undefined && (!(expires instanceof Date) || Number.isNaN(expires.getTime()))) {
    throw invalid('expires must be a valid Date');
  }
  if (sameSite !== undefined && sameSite !== 'Strict' && sameSite !== 'Lax' && sameSite !== 'None') {
    throw invalid('sameSite must be Strict, Lax or None');
  }
  if (sameSite === 'None' && attributes.secure !== true) throw invalid('SameSite=None requires Secure');
  if (name.startsWith('__Secure-') && attributes.secure !== true) throw invalid('a __Secure- cookie requires Secure');
  if (name.startsWith('__Host-') && (attributes.secure !== true || path !== '/' || domain !== undefined)) {
    throw invalid('a __Host- cookie requires Secure, Path=/ and no Domain');
  }
}

/**
 * One `Set-Cookie` header value. Throws `config.invalid` for a bad name or attribute and
 * `internal.unexpected` for a value a cookie cannot carry (CR, LF, `;`, `,`, space, `"`, `\`,
 * controls, non-ASCII, or over 4096 characters): values are ours (tokens), so that is a bug, and
 * the header is never written.
 *
 * @example
 * reply.header('set-cookie', serializeCookie('refresh', token, refreshCookieAttributes()));
 * // refresh=...; Max-Age=604800; Path=/v1/auth; HttpOnly; Secure; SameSite=Strict
 */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes = {}): string {
  assertCookieAttributes(name, attributes);
  if (typeof value !== 'string' || value.length > MAX_VALUE_CHARS || !COOKIE_VALUE.test(value)) {
    throw new PortcullisError('internal.unexpected', { detail: 'cookie: the value holds characters a cookie cannot carry' });
  }
  let header = `${name}=${value}`;
  if (attributes.maxAge !== undefined) header += `; Max-Age=${attributes.maxAge}`;
  if (attributes.expires !== undefined) header += `; Expires=${attributes.expires.toUTCString()}`;
  if (attributes.domain !== undefined) header += `; Domain=${attributes.domain}`;
  if (attributes.path !== undefined) header += `; Path=${attributes.path}`;
  if (attributes.httpOnly === true) header += '; HttpOnly';
  if (attributes.secure === true) header += '; Secure';
  if (attributes.sameSite !== undefined) header += `; SameSite=${attributes.sameSite}`;
  return header;
}

/**
 * The cookies of a request as a null-prototype record of raw (not percent-decoded) values.
 * Pairs that are malformed (no `=`, a non-token name, a value with forbidden characters) are
 * skipped; a name that appears more than once among the well-formed pairs is left out entirely.
 * Several `Cookie` headers (HTTP/2) are read as one. Longer than `maxLength` (default 8192
 * characters): `request.header_too_large`.
 *
 * @example
 * const cookies = parseCookieHeader(request.headers.cookie);
 * cookies.refresh; // undefined if absent or sent twice
 */
export function parseCookieHeader(
  header: string | readonly string[] | undefined,
  options: ParseCookieOptions = {},
): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null);
  if (header === undefined) return cookies;
  const maxLength = options.maxLength ?? DEFAULT_MAX_COOKIE_HEADER_LENGTH;
  const given: readonly unknown[] = typeof header === 'string' ? [header] : Array.isArray(header) ? header : [];
  const parts = given.filter((part): part is string => typeof part === 'string');
  const length = parts.reduce((sum, part) => sum + part.length, 0) + 2 * Math.max(parts.length - 1, 0);
  if (length > maxLength) throw new PortcullisError('request.header_too_large', { detail: 'The Cookie header is too large' });
  const ambiguous = new Set<string>();
  for (const part of parts) {
    for (const pair of part.split(';')) {
      const equals = pair.indexOf('=');
      if (equals === -1) continue;
      const name = pair.slice(0, equals).trim();
      let value = pair.slice(equals + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (!isCookieName(name) || value.length > MAX_VALUE_CHARS || !COOKIE_VALUE.test(value)) continue;
      if (Object.hasOwn(cookies, name) || ambiguous.has(name)) {
        ambiguous.add(name);
        delete cookies[name];
        continue;
      }
      cookies[name] = value;
    }
  }
  return cookies;
}
