import { assertCookieAttributes, type CookieAttributes } from './cookie-header.js';

/**
 * The attribute sets for the two cookies of the browser session flow (A4, T5), so every route
 * writes them the same way. Both are SameSite=Strict, Secure by default and scoped to the auth
 * path. The refresh cookie is httpOnly: scripts never see it. The CSRF cookie is not httpOnly,
 * because the page must copy it into a header; note that a page can only read it through
 * `document.cookie` when the page's own path is inside the cookie's path and it is on the same
 * host, so also return the token in the response body. Pass `secure: false` only for local
 * development over plain HTTP.
 */

export const AUTH_COOKIE_PATH = '/v1/auth';
/** Seven days, the refresh token's lifetime (A4). */
export const REFRESH_COOKIE_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;

export interface AuthCookieOptions {
  /** Default `/v1/auth`. */
  readonly path?: string;
  /** Default true. */
  readonly secure?: boolean;
  /** Seconds. Refresh cookie: default seven days. CSRF cookie: default none (a session cookie). */
  readonly maxAge?: number;
}

/**
 * Attributes for the CSRF cookie: readable by the page, Secure, SameSite=Strict, auth path.
 * Throws `config.invalid` for a bad path or max age.
 *
 * @example
 * serializeCookie('csrf', newCsrfToken(), csrfCookieAttributes({ maxAge: REFRESH_COOKIE_MAX_AGE_SECONDS }));
 */
export function csrfCookieAttributes(options: AuthCookieOptions = {}): CookieAttributes {
  const attributes: CookieAttributes = {
    httpOnly: false,
    secure: options.secure ?? true,
    sameSite: 'Strict',
    path: options.path ?? AUTH_COOKIE_PATH,
    ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
  };
  assertCookieAttributes('csrf', attributes);
  return attributes;
}

/**
 * Attributes for the refresh-token cookie: httpOnly, Secure, SameSite=Strict, auth path, seven
 * days. Throws `config.invalid` for a bad path or max age.
 *
 * @example
 * reply.header('set-cookie', serializeCookie('refresh', refreshToken, refreshCookieAttributes()));
 */
export function refreshCookieAttributes(options: AuthCookieOptions = {}): CookieAttributes {
  const attributes: CookieAttributes = {
    httpOnly: true,
    secure: options.secure ?? true,
    sameSite: 'Strict',
    path: options.path ?? AUTH_COOKIE_PATH,
    maxAge: options.maxAge ?? REFRESH_COOKIE_MAX_AGE_SECONDS,
  };
  assertCookieAttributes('refresh', attributes);
  return attributes;
}

/**
 * The same attributes set to delete the cookie at once (logout): Max-Age=0 and an Expires in 1970.
 * The path (and domain) must match the ones it was set with, or the browser keeps it.
 *
 * @example
 * reply.header('set-cookie', serializeCookie('refresh', '', clearingCookieAttributes(refreshCookieAttributes())));
 */
export function clearingCookieAttributes(attributes: CookieAttributes): CookieAttributes {
  return { ...attributes, maxAge: 0, expires: new Date(0) };
}
