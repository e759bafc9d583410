import { PortcullisError } from '../errors/index.js';

/**
 * T4: CORS from an explicit allowlist. The allowed origin is written back from our own list, never
 * reflected from the request; `null` (sandboxed frames, file: pages) is never allowed; a wildcard
 * with credentials refuses to start. A refused origin simply gets no CORS headers: the browser
 * then blocks the read, and the server never answers 500.
 */
export interface CorsOptions {
  /** Exact origins (`https://app.example.com`), or `['*']` for a public, credential-less API. */
  readonly origins: readonly string[];
  readonly credentials?: boolean;
  readonly methods?: readonly string[];
  readonly allowedHeaders?: readonly string[];
  readonly exposedHeaders?: readonly string[];
  /** Preflight cache lifetime; default 600 s. */
  readonly maxAgeSeconds?: number;
}

export interface CorsPolicy {
  /** Headers for an actual (non-preflight) request; `undefined` adds nothing but `Vary`. */
  forRequest(origin: string | undefined): Readonly<Record<string, string>> | undefined;
  /** Headers for a preflight; `undefined` when the origin is not allowed. */
  forPreflight(origin: string | undefined): Readonly<Record<string, string>> | undefined;
  /** Whether responses vary by Origin (true unless the policy is a credential-less wildcard). */
  readonly variesByOrigin: boolean;
  readonly enabled: boolean;
}

const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const DEFAULT_ALLOWED_HEADERS = ['authorization', 'content-type', 'x-request-id', 'x-api-key', 'x-csrf-token'];
/** Read by browser clients: the request id, the quota, and the API version lifecycle (L2). */
const DEFAULT_EXPOSED_HEADERS = ['x-request-id', 'ratelimit', 'ratelimit-policy', 'retry-after', 'deprecation', 'sunset', 'link'];

function refuse(detail: string): never {
  throw new PortcullisError('config.invalid', { detail });
}

/** Canonical form of an allowlist entry; anything but a bare origin refuses to start. */
function canonicalOrigin(entry: string): string {
  if (entry === 'null') refuse('CORS_ORIGINS must not contain "null": opaque origins cannot be trusted');
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    refuse(`CORS_ORIGINS entry "${entry}" is not an origin like https://app.example.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse(`CORS_ORIGINS entry "${entry}" must be http or https`);
  if (url.origin !== entry.replace(/\/$/, '').toLowerCase() || url.pathname !== '/' || url.search !== '' || url.username !== '') {
    refuse(`CORS_ORIGINS entry "${entry}" must be a bare origin (scheme, host and optional port, nothing else)`);
  }
  return url.origin;
}

/**
 * Validates the allowlist and precomputes every header value.
 *
 * @example
 * const cors = createCorsPolicy({ origins: ['https://app.example.com'], credentials: true });
 * cors.forRequest('https://app.example.com'); // { 'access-control-allow-origin': 'https://app.example.com', ... }
 */
export function createCorsPolicy(options: CorsOptions): CorsPolicy {
  const wildcard = options.origins.includes('*');
  const credentials = options.credentials ?? false;
  if (wildcard && credentials) refuse('CORS wildcard origin "*" cannot be combined with credentials');
  if (wildcard && options.origins.length > 1) refuse('CORS origin "*" cannot be combined with other origins');
  const maxAge = options.maxAgeSeconds ?? 600;
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > 86_400) refuse('CORS max age must be 0..86400 seconds');

  const exposed = (options.exposedHeaders ?? DEFAULT_EXPOSED_HEADERS).join(', ');
  const preflightCommon = {
    'access-control-allow-methods': (options.methods ?? DEFAULT_METHODS).join(', '),
    'access-control-allow-headers': (options.allowedHeaders ?? DEFAULT_ALLOWED_HEADERS).join(', '),
    'access-control-max-age': String(maxAge),
  };

  if (wildcard) {
    const actual = Object.freeze({ 'access-control-allow-origin': '*', 'access-control-expose-headers': exposed });
    const preflight = Object.freeze({ 'access-control-allow-origin': '*', ...preflightCommon });
    return {
      enabled: true,
      variesByOrigin: false,
      forRequest: (origin) => (origin === undefined || origin === 'null' ? undefined : actual),
      forPreflight: (origin) => (origin === undefined || origin === 'null' ? undefined : preflight),
    };
  }

  const actualByOrigin = new Map<string, Readonly<Record<string, string>>>();
  const preflightByOrigin = new Map<string, Readonly<Record<string, string>>>();
  for (const entry of options.origins) {
    const origin = canonicalOrigin(entry);
    const base: Record<string, string> = { 'access-control-allow-origin': origin, vary: 'Origin' };
    if (credentials) base['access-control-allow-credentials'] = 'true';
    actualByOrigin.set(origin, Object.freeze({ ...base, 'access-control-expose-headers': exposed }));
    preflightByOrigin.set(origin, Object.freeze({ ...base, ...preflightCommon }));
  }
  const enabled = actualByOrigin.size > 0;
  // Origins are compared exactly as browsers send them (lower-case scheme and host).
  return {
    enabled,
    variesByOrigin: enabled,
    forRequest: (origin) => (origin === undefined ? undefined : actualByOrigin.get(origin)),
    forPreflight: (origin) => (origin === undefined ? undefined : preflightByOrigin.get(origin)),
  };
}
