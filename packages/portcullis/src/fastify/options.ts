import type { CorsOptions } from '../cors/index.js';
import type { SecurityHeaderOptions } from '../headers/index.js';
import type { RedactingLoggerOptions } from '../audit/index.js';
import type { LoadSheddingOptions } from '../ratelimit/index.js';
import type { RouteRateLimit } from './rate-limit-hooks.js';
import type { RoutePolicy } from '../authz/index.js';
import type { AuthorizationOptions, RouteInput } from './route-authorization.js';
import type { RouteOutput } from './route-output.js';
import type { MultipartOptIn } from './multipart-opt-in.js';
import type { SecurityEventOptions } from './security-events.js';
import type { PortcullisMetrics } from '../audit/metrics.js';

/** Everything the Fastify adapter wires, one section per checkpoint. All sections are optional. */
export interface PortcullisFastifyOptions {
  readonly transport?: {
    /** Refuse plain HTTP with 403 (T1). Default true. */
    readonly requireHttps?: boolean;
    /** Addresses/CIDRs (or loopback, linklocal, uniquelocal) whose forwarded headers are believed. */
    readonly trustedProxies?: readonly string[];
    /** Exact paths allowed over plain HTTP even when HTTPS is required (health probes). */
    readonly httpsExemptPaths?: readonly string[];
    /** Serve TLS directly (TLS 1.2+ with AEAD ciphers only). */
    readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  };
  readonly headers?: SecurityHeaderOptions;
  /** CORS allowlist (T4); `false` or absent sends no CORS headers at all. */
  readonly cors?: CorsOptions | false;
  readonly limits?: {
    /** Largest request body in bytes (413 beyond). Default 1 MiB; per route with Fastify's `bodyLimit`. */
    readonly bodyLimit?: number;
    /** Deepest JSON nesting (400 beyond). Default 32; per route with `config.portcullis.jsonDepth`. */
    readonly jsonDepth?: number;
    /** Whole request (headers and body) must arrive within this (408). Default 30 s. */
    readonly requestTimeoutMs?: number;
    /**
     * Handler must answer within this (503; a handler reading `request.signal` sees it aborted).
     * Default 15 s. A route with Fastify's own `handlerTimeout` option is timed by that instead.
     */
    readonly handlerTimeoutMs?: number;
    /** Idle keep-alive connections are closed after this. Default 5 s. */
    readonly keepAliveTimeoutMs?: number;
  };
  readonly input?: {
    /** Accept keys containing `.` in bodies and queries. Default false. */
    readonly allowDottedKeys?: boolean;
  };
  readonly rateLimit?: {
    /**
     * The general limit (R4), on every route and on 404s, unless a route opts out with
     * `config.portcullis.rateLimit: false` or `{ general: false }`.
     */
    readonly general?: RouteRateLimit;
  };
  /**
   * Refuse new requests with 503 while the event loop lags (R7). On by default (500 ms);
   * `false` turns it off. Exempt paths (health probes) are always served.
   */
  readonly loadShedding?: false | (LoadSheddingOptions & { readonly exemptPaths?: readonly string[] });
  /** `false` disables logging; otherwise pino with redaction (E2). */
  readonly logger?: false | RedactingLoggerOptions;
  /** Log one line per request at info level. Default true. */
  readonly logRequests?: boolean;
  /** Base URI of problem `type` members. */
  readonly problemTypeBase?: string;
  /**
   * Route policies (Z1): with this, every route must declare `config.portcullis.policy` (or the
   * server refuses to start, naming it), and the policy is enforced after the route's own
   * authentication hooks.
   */
  readonly authorization?: AuthorizationOptions;
  /**
   * Security events (E3, E4): always logged; with `trail`, persisted in batches to an audit
   * trail; alert rules (defaults on) and the validation-burst detector. See security-events.ts.
   */
  readonly securityEvents?: SecurityEventOptions;
  /**
   * Prometheus metrics (E5): requests by route pattern, latency, 429s by policy, auth failures by
   * code, limiter store health. Absent: no metrics hook is added at all. Serve `metrics.scrape()`
   * on a separate, protected listener.
   */
  readonly metrics?: PortcullisMetrics;
}

/** Per-route settings, under a route's `config.portcullis`. */
export interface PortcullisRouteConfig {
  readonly jsonDepth?: number;
  /**
   * `false`: no rate limit at all on this route. Otherwise `limits` run after the general limit
   * (skip that one with `general: false`), in order.
   */
  readonly rateLimit?: false | { readonly general?: boolean; readonly limits?: readonly RouteRateLimit[] };
  /**
   * Keep the request body's exact text in `request.rawBody` (for a request signature over the
   * body's bytes). Off by default: most routes never need the text once it is parsed.
   */
  readonly keepRawBody?: boolean;
  /** Who may call the route (see `policy` in portcullis/authz). Required when `authorization` is on. */
  readonly policy?: RoutePolicy;
  /**
   * Schemas checked before the handler (400 `request.validation_failed` field by field); the
   * parsed values replace `request.body`, `request.query` and `request.params`, and declared
   * headers are merged into `request.headers`. A repeated query parameter is refused unless the
   * query schema declares it as an array (see RouteInput).
   */
  readonly input?: RouteInput;
  /**
   * The success body this route sends (V6, L1): parsed with the schema before it is serialised,
   * so only declared fields leave, and documented in the OpenAPI document (route-output.ts).
   * `{ status: 204 }` declares an answer without a body.
   */
  readonly output?: RouteOutput;
  /**
   * Take a multipart/form-data body on this route, and only that (V5); every other route keeps
   * refusing multipart with 415. The route registers the multipart parser in its own scope (e.g.
   * @fastify/multipart with strict limits) and checks the parts itself; `description` says what
   * the body holds, for the route inventory. See multipart-opt-in.ts.
   */
  readonly multipart?: MultipartOptIn;
}

export const DEFAULT_LIMITS = {
  bodyLimit: 1024 * 1024,
  jsonDepth: 32,
  requestTimeoutMs: 30_000,
  handlerTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
} as const;
