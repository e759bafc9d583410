import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  AUTH_COOKIE_PATH,
  clearingCookieAttributes,
  createCsrfCheck,
  csrfCookieAttributes,
  newCsrfToken,
  parseCookieHeader,
  refreshCookieAttributes,
  serializeCookie,
} from 'portcullis/csrf';
import { PortcullisError } from 'portcullis/errors';
import type { SignedIn } from './identity-service.js';

/**
 * How the refresh token travels to and from browsers (A4, T5): an httpOnly, Secure,
 * SameSite=Strict cookie scoped to /v1/auth, next to a readable CSRF cookie whose value the client
 * echoes in `X-CSRF-Token` (double submit). A request that uses the refresh cookie must also come
 * from an allowed origin (Origin / Sec-Fetch-Site). Non-browser clients send the token in the
 * JSON body instead, which no browser attaches by itself, so no CSRF check applies there.
 */

export const REFRESH_COOKIE = 'pc_refresh';
export const CSRF_COOKIE = 'pc_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export interface RefreshTransport {
  /** Sets both cookies and returns the CSRF token (also sent in the body). */
  setSessionCookies(reply: FastifyReply, signedIn: SignedIn): string;
  clearSessionCookies(reply: FastifyReply): void;
  /** The refresh token from the cookie, after the CSRF checks; throws otherwise. */
  readRefreshCookie(request: FastifyRequest): string;
}

export function createRefreshTransport(options: { readonly allowedOrigins: readonly string[]; readonly secure: boolean }): RefreshTransport {
  const csrf = createCsrfCheck({ allowedOrigins: options.allowedOrigins, cookieName: CSRF_COOKIE, headerName: CSRF_HEADER });
  const cookieOptions = { path: AUTH_COOKIE_PATH, secure: options.secure };
  const clearRefresh = clearingCookieAttributes(refreshCookieAttributes(cookieOptions));
  const clearCsrf = clearingCookieAttributes(csrfCookieAttributes(cookieOptions));
  return {
    setSessionCookies(reply, signedIn) {
      const token = newCsrfToken();
      const maxAge = signedIn.refreshExpiresIn;
      reply.header('set-cookie', [
        serializeCookie(REFRESH_COOKIE, signedIn.refreshToken, refreshCookieAttributes({ ...cookieOptions, maxAge })),
        serializeCookie(CSRF_COOKIE, token, csrfCookieAttributes({ ...cookieOptions, maxAge })),
      ]);
      return token;
    },
    clearSessionCookies(reply) {
      reply.header('set-cookie', [serializeCookie(REFRESH_COOKIE, '', clearRefresh), serializeCookie(CSRF_COOKIE, '', clearCsrf)]);
    },
    readRefreshCookie(request) {
      const cookies = parseCookieHeader(request.headers.cookie);
      const token = cookies[REFRESH_COOKIE];
      if (token === undefined || token === '') throw new PortcullisError('auth.refresh_invalid');
      csrf({ method: request.method, headers: request.headers, cookies });
      return token;
    },
  };
}
