/** CSRF checkpoint (T5) and the cookies of the browser session flow (A4). */
export {
  checkCsrf,
  createCsrfCheck,
  newCsrfToken,
  looksLikeCsrfToken,
  type CsrfCheck,
  type CsrfOptions,
  type CsrfRequest,
} from './csrf-check.js';
export {
  serializeCookie,
  parseCookieHeader,
  assertCookieAttributes,
  isCookieName,
  DEFAULT_MAX_COOKIE_HEADER_LENGTH,
  type CookieAttributes,
  type ParseCookieOptions,
} from './cookie-header.js';
export {
  csrfCookieAttributes,
  refreshCookieAttributes,
  clearingCookieAttributes,
  AUTH_COOKIE_PATH,
  REFRESH_COOKIE_MAX_AGE_SECONDS,
  type AuthCookieOptions,
} from './session-cookies.js';
