import type { CorsPolicy } from '../cors/index.js';
import type { SecurityHeaders } from '../headers/index.js';

/**
 * T3 + T4 on the hot path: the security headers, HSTS (HTTPS only) and the CORS headers of an
 * allowed origin are merged once into one frozen map per combination, so a request costs one map
 * lookup and one `reply.headers()` call. The combinations are bounded: two transports times the
 * origins on the allowlist (plus "no CORS" and "Vary only").
 */
export interface ResponseHeaderSets {
  /** Headers for an actual request from `origin` (undefined when absent). */
  forRequest(secure: boolean, origin: string | undefined): Readonly<Record<string, string>>;
  /** Headers for a preflight, or the plain set when the origin is not allowed. */
  forPreflight(secure: boolean, origin: string | undefined): Readonly<Record<string, string>>;
}

const VARY_ORIGIN = Object.freeze({ vary: 'Origin' });

export function createResponseHeaderSets(security: SecurityHeaders, cors: CorsPolicy | undefined): ResponseHeaderSets {
  const plain = Object.freeze({ ...security.always });
  const secure = Object.freeze({ ...security.always, ...security.httpsOnly });
  const refused = cors?.variesByOrigin === true ? [Object.freeze({ ...plain, ...VARY_ORIGIN }), Object.freeze({ ...secure, ...VARY_ORIGIN })] : [plain, secure];
  // Keyed by the CORS policy's own frozen per-origin objects, so only allowlisted origins add entries.
  const merged = new WeakMap<object, [Readonly<Record<string, string>>, Readonly<Record<string, string>>]>();

  function combine(isSecure: boolean, corsHeaders: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
    if (corsHeaders === undefined) return refused[isSecure ? 1 : 0] as Readonly<Record<string, string>>;
    let pair = merged.get(corsHeaders);
    if (pair === undefined) {
      pair = [Object.freeze({ ...plain, ...corsHeaders }), Object.freeze({ ...secure, ...corsHeaders })];
      merged.set(corsHeaders, pair);
    }
    return pair[isSecure ? 1 : 0];
  }

  if (cors === undefined) {
    return { forRequest: (isSecure) => (isSecure ? secure : plain), forPreflight: (isSecure) => (isSecure ? secure : plain) };
  }
  // Consecutive requests mostly carry the same Origin: comparing it with the last one is cheaper
  // than hashing a fresh header string for the allowlist and merge lookups (null: nothing yet).
  let lastOrigin: string | undefined | null = null;
  let lastSecure = false;
  let lastHeaders = plain as Readonly<Record<string, string>>;
  return {
    forRequest: (isSecure, origin) => {
      if (origin === lastOrigin && isSecure === lastSecure) return lastHeaders;
      const headers = combine(isSecure, cors.forRequest(origin));
      lastOrigin = origin;
      lastSecure = isSecure;
      lastHeaders = headers;
      return headers;
    },
    forPreflight: (isSecure, origin) => combine(isSecure, cors.forPreflight(origin)),
  };
}
