/**
 * T2/T3: the response headers an API needs, computed once at start-up into frozen maps that the
 * adapter copies onto every response (errors and 404s included). Computing them per request is
 * what makes helmet halve a bare Fastify's throughput; here the per-request cost is a copy.
 */
export interface SecurityHeaderOptions {
  /** Default `default-src 'none'; frame-ancestors 'none'`: an API serves no active content. */
  readonly contentSecurityPolicy?: string;
  /** Default `no-referrer`. */
  readonly referrerPolicy?: string;
  /** Default denies every powerful feature an API response could be framed into. */
  readonly permissionsPolicy?: string;
  /** Default `same-origin`. */
  readonly crossOriginResourcePolicy?: 'same-origin' | 'same-site' | 'cross-origin';
  /** Default `no-store`; `false` leaves caching to the route. */
  readonly cacheControl?: string | false;
  /** HSTS on HTTPS responses; default two years with includeSubDomains and preload. */
  readonly hsts?: { readonly maxAgeSeconds?: number; readonly includeSubDomains?: boolean; readonly preload?: boolean } | false;
}

export interface SecurityHeaders {
  /** Sent on every response. Lower-case names, ready for a header map. */
  readonly always: Readonly<Record<string, string>>;
  /** Added on responses to HTTPS requests only (HSTS is ignored over HTTP, and wrong there). */
  readonly httpsOnly: Readonly<Record<string, string>>;
}

export const HSTS_TWO_YEARS = 63_072_000;

// Sensor, capture and payment features off. Kept short on purpose: these bytes go on every
// response, and with CSP default-src 'none' no document of ours can use a feature anyway.
const DEFAULT_PERMISSIONS_POLICY = 'camera=(), geolocation=(), microphone=(), payment=(), usb=()';

/**
 * Computes the header sets once.
 *
 * @example
 * const headers = buildSecurityHeaders({});
 * reply.headers(headers.always);
 */
export function buildSecurityHeaders(options: SecurityHeaderOptions = {}): SecurityHeaders {
  const always: Record<string, string> = {
    'content-security-policy': options.contentSecurityPolicy ?? "default-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': options.referrerPolicy ?? 'no-referrer',
    'permissions-policy': options.permissionsPolicy ?? DEFAULT_PERMISSIONS_POLICY,
    'cross-origin-resource-policy': options.crossOriginResourcePolicy ?? 'same-origin',
  };
  if (options.cacheControl !== false) always['cache-control'] = options.cacheControl ?? 'no-store';

  const httpsOnly: Record<string, string> = {};
  if (options.hsts !== false) {
    const hsts = options.hsts ?? {};
    const parts = [`max-age=${hsts.maxAgeSeconds ?? HSTS_TWO_YEARS}`];
    if (hsts.includeSubDomains ?? true) parts.push('includeSubDomains');
    if (hsts.preload ?? true) parts.push('preload');
    httpsOnly['strict-transport-security'] = parts.join('; ');
  }
  return { always: Object.freeze(always), httpsOnly: Object.freeze(httpsOnly) };
}

/** Headers that fingerprint the stack; adapters remove them if anything set them. */
export const FINGERPRINT_HEADERS: readonly string[] = Object.freeze(['x-powered-by', 'server']);
