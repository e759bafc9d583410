import { PortcullisError } from '../errors/index.js';
import { looksLikeOpaqueToken, newOpaqueToken } from '../auth/secrets/opaque-token.js';
import { sameSecretString } from '../auth/secrets/keyed-hash.js';
import { isCookieName } from './cookie-header.js';

/**
 * CSRF defence for cookie-authenticated routes (T5), layered on SameSite=Strict cookies. An
 * unsafe request (anything but GET, HEAD, OPTIONS) must pass both layers:
 *
 * 1. Where it came from: `Sec-Fetch-Site` absent, `same-origin` or `none`. `same-site` is refused
 *    unless `allowSameSite` is set: a sibling subdomain is same-site, and is exactly where a
 *    cookie-tossing attacker lives; set it only when the front end is on a sibling host (its
 *    origin then has to be in `allowedOrigins` anyway). `Origin`, if sent, must be in the
 *    allowlist; `Origin: null` (sandboxed frames, some redirects) never is.
 * 2. Double submit: the CSRF cookie and the CSRF header carry the same well-formed token, compared
 *    in constant time. A page on another origin can neither read the cookie nor send a custom
 *    header without a CORS preflight our allowlist refuses.
 *
 * Absent `Sec-Fetch-Site` and `Origin` are allowed (older browsers, non-browser clients): the
 * token check still applies. Any header sent more than once is refused as ambiguous. Bearer-token
 * routes need none of this: do not call it for them.
 */

export interface CsrfOptions {
  /** Exact origins (`https://app.example.com`) whose pages may call; never `null` or `*`. */
  readonly allowedOrigins: readonly string[];
  /** The cookie holding the token (readable by the page: not httpOnly). */
  readonly cookieName: string;
  /** The request header the page copies the token into, e.g. `x-csrf-token`. */
  readonly headerName: string;
  /** Accept `Sec-Fetch-Site: same-site` (a front end on a sibling host). Default false. */
  readonly allowSameSite?: boolean;
}

export interface CsrfRequest {
  readonly method: string;
  /** Header names in any case (Node gives lower case); repeated values as arrays. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** As from `parseCookieHeader`: duplicated names already dropped. */
  readonly cookies: Readonly<Record<string, string | undefined>>;
}

/** A compiled CSRF check: returns on pass, throws `auth.csrf_refused` on refusal. */
export type CsrfCheck = (request: CsrfRequest) => void;

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const AMBIGUOUS = Symbol('ambiguous');

function refuse(detail: string): PortcullisError {
  return new PortcullisError('auth.csrf_refused', { detail });
}

function invalid(detail: string): PortcullisError {
  return new PortcullisError('config.invalid', { detail: `csrf: ${detail}` });
}

function allowedOrigin(origin: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof origin === 'string' ? new URL(origin) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
    throw invalid('each allowed origin must be an exact http(s) origin such as https://app.example.com (no path, no trailing slash, not null)');
  }
  return url.origin;
}

/** The one value of a header, undefined when absent, AMBIGUOUS when sent more than once. */
function headerValue(headers: CsrfRequest['headers'], lowerName: string): string | undefined | typeof AMBIGUOUS {
  let found: string | undefined;
  let count = 0;
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== lowerName) continue;
    const value: unknown = headers[key];
    const values: readonly unknown[] = Array.isArray(value) ? value : value === undefined ? [] : [value];
    for (const item of values) {
      count++;
      found = typeof item === 'string' ? item : undefined;
    }
  }
  if (count > 1 || (count === 1 && found === undefined)) return AMBIGUOUS;
  return found;
}

/**
 * A CSRF check compiled once from its options; throws `config.invalid` on a bad allowlist, cookie
 * name or header name.
 *
 * @example
 * const csrf = createCsrfCheck({ allowedOrigins: ['https://app.example.com'], cookieName: 'csrf', headerName: 'x-csrf-token' });
 * csrf({ method: request.method, headers: request.headers, cookies: parseCookieHeader(request.headers.cookie) });
 */
export function createCsrfCheck(options: CsrfOptions): CsrfCheck {
  if (!Array.isArray(options?.allowedOrigins)) throw invalid('allowedOrigins must be a list of origins');
  const origins: ReadonlySet<string> = new Set(options.allowedOrigins.map(allowedOrigin));
  if (!isCookieName(options.cookieName)) throw invalid('cookieName must be a cookie name token');
  if (!isCookieName(options.headerName)) throw invalid('headerName must be a header name token');
  const cookieName = options.cookieName;
  const headerName = options.headerName.toLowerCase();
  const fetchSites: ReadonlySet<string> = new Set(options.allowSameSite === true ? ['same-origin', 'none', 'same-site'] : ['same-origin', 'none']);

  return (request) => {
    if (SAFE_METHODS.has(request.method)) return;
    const headers = request.headers ?? {};
    const fetchSite = headerValue(headers, 'sec-fetch-site');
    if (fetchSite === AMBIGUOUS || (fetchSite !== undefined && !fetchSites.has(fetchSite))) {
      throw refuse('Cross-site requests are not accepted here');
    }
    const origin = headerValue(headers, 'origin');
    if (origin === AMBIGUOUS || (origin !== undefined && !origins.has(origin))) {
      throw refuse('The request origin is not allowed');
    }
    const cookies = request.cookies ?? {};
    const cookieToken = Object.hasOwn(cookies, cookieName) ? cookies[cookieName] : undefined;
    const headerToken = headerValue(headers, headerName);
    if (!looksLikeCsrfToken(cookieToken) || headerToken === AMBIGUOUS || !looksLikeCsrfToken(headerToken)) {
      throw refuse('The CSRF token is missing or malformed');
    }
    if (!sameSecretString(cookieToken, headerToken)) throw refuse('The CSRF token does not match');
  };
}

const compiled = new WeakMap<CsrfOptions, CsrfCheck>();

/**
 * Checks one request; the options object's compiled check is cached, so pass the same object each
 * time. Returns on pass; throws `auth.csrf_refused` on refusal and `config.invalid` on bad options.
 *
 * @example
 * checkCsrf({ method: 'POST', headers: request.headers, cookies }, csrfOptions);
 */
export function checkCsrf(request: CsrfRequest, options: CsrfOptions): void {
  let check = compiled.get(options);
  if (check === undefined) {
    check = createCsrfCheck(options);
    compiled.set(options, check);
  }
  check(request);
}

/**
 * A new CSRF token: 256 random bits, base64url. Set it as the CSRF cookie and hand it to the page
 * (in the login or refresh response body too, since a page outside the cookie's path or on another
 * host cannot read the cookie).
 *
 * @example
 * const csrfToken = newCsrfToken();
 * reply.header('set-cookie', serializeCookie('csrf', csrfToken, csrfCookieAttributes()));
 */
export function newCsrfToken(): string {
  return newOpaqueToken();
}

/**
 * Whether `value` is shaped like a token from `newCsrfToken`.
 *
 * @example
 * looksLikeCsrfToken(cookies.csrf);
 */
export function looksLikeCsrfToken(value: unknown): value is string {
  return looksLikeOpaqueToken(value);
}
