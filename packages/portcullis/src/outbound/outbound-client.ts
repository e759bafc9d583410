import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { PortcullisError, type ErrorCode } from '../errors/index.js';
import { createAddressPolicy } from './forbidden-addresses.js';
import { guardedLookup, systemResolver, type HostResolver, type LookupObserver } from './guarded-lookup.js';
import { isSsrfRefusal, outboundError } from './outbound-errors.js';
import { trustAnchors } from './trust-anchors.js';
import { DEFAULT_ALLOWED_PORTS, checkOutboundUrl, portSet, type OutboundTarget, type OutboundUrlRules } from './outbound-target.js';

/**
 * V7: the one way Portcullis code sends a request to a URL someone else chose (webhooks, link
 * previews, third-party APIs). Every hop goes through the same rules: http(s) only, allowlisted
 * ports, no credentials in the URL, literal IPs checked before connecting and names checked by
 * the socket's own lookup (guarded-lookup.ts: every answer checked, the checked address is the
 * one connected to). Redirects are followed only through those rules, at most 3 by default; a
 * redirect that leaves the origin drops credential headers, and a 307/308 that would replay a
 * request body to another origin is refused (`outbound.redirect_refused`). A connect timeout, a total deadline
 * over all hops and a response size cap bound what one call can cost. TLS is always verified:
 * there is deliberately no option to turn it off, only `ca` to trust a private root as well.
 * Built on node:http because fetch (undici) offers no per-connection lookup hook in Node 20.
 */

export interface OutboundRefusal {
  /** The refusal's code (`outbound.address_refused`, `outbound.port_refused`, ...). */
  readonly code: ErrorCode;
  /** The host of the refused URL (never its path or query, which may hold tokens). */
  readonly host: string;
  /** 0 for the URL the caller gave, n for the n-th redirect. */
  readonly redirect: number;
}

export interface OutboundClientOptions {
  /** TCP ports a URL may name (implicitly or explicitly). Default 80 and 443. */
  readonly allowedPorts?: readonly number[];
  /**
   * Addresses or CIDR blocks allowed despite the rules. Only for tests that need a loopback
   * server to stand in for a public one; leave empty in production.
   */
  readonly allowAddresses?: readonly string[];
  /** Host name resolution; the operating system's by default. */
  readonly resolver?: HostResolver;
  /** Until the TCP connection (and TLS handshake) is up. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** For the whole call, redirects and body included. Default 10 s. */
  readonly timeoutMs?: number;
  /** Largest response body accepted; a bigger one aborts the call. Default 1 MiB. */
  readonly maxResponseBytes?: number;
  /** Redirects followed before `outbound.too_many_redirects`: 0 to 3, default 3. */
  readonly maxRedirects?: number;
  /**
   * Extra trust anchors (PEM), e.g. a private CA, added to Node's bundled roots (not replacing
   * them). Verification itself cannot be turned off.
   */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly userAgent?: string;
  /** Called for each refusal by the SSRF rules, to log it (`ssrf.refused`). */
  readonly onRefused?: (refusal: OutboundRefusal) => void;
  /** Called with the checked addresses each connection is given (tests, diagnostics). */
  readonly onLookup?: LookupObserver;
}

export interface OutboundRequest {
  /** Default GET. */
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /**
   * Headers that are credentials, dropped when a redirect leaves the origin (authorization,
   * cookie and proxy-authorization always are).
   */
  readonly credentialHeaders?: readonly string[];
  /** Refuse plain http on every hop (`outbound.scheme_refused`). */
  readonly httpsOnly?: boolean;
  /** Overrides of the client's limits for this call; they can only be lower. */
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  readonly maxRedirects?: number;
}

export interface OutboundResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The URL that answered, after redirects. */
  readonly url: string;
  readonly redirects: number;
}

export interface OutboundClient {
  /** Sends the request, following redirects through the rules; throws an `outbound.*` coded error. */
  request(url: string | URL, init?: OutboundRequest): Promise<OutboundResponse>;
  /** The pre-connection checks alone (scheme, credentials, port, literal address), e.g. to validate a stored URL. */
  checkUrl(url: string | URL): OutboundTarget;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const ALWAYS_CREDENTIALS = ['authorization', 'cookie', 'proxy-authorization'];
const METHOD = /^[A-Z]{1,16}$/;
const MAX_REDIRECTS = 3;

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new PortcullisError('config.invalid', { detail: `outbound: ${what} must be a positive integer` });
  return value;
}

function redirectLimit(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > MAX_REDIRECTS) {
    throw new PortcullisError('config.invalid', { detail: `outbound: maxRedirects must be an integer from 0 to ${MAX_REDIRECTS}` });
  }
  return value;
}

interface Hop {
  readonly method: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer | undefined;
}

type HopResult =
  | { readonly kind: 'response'; readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: Buffer }
  | { readonly kind: 'redirect'; readonly status: number; readonly location: string | undefined };

interface HopLimits {
  readonly deadline: number;
  readonly connectTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly followRedirects: boolean;
}

function hostOf(url: string | URL): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

function headersFrom(given: Readonly<Record<string, string>> | undefined, userAgent: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { 'user-agent': userAgent };
  for (const [name, value] of Object.entries(given ?? {})) {
    const key = name.toLowerCase();
    // The Host header always names the URL's host: the connection was checked for that host only.
    if (key !== 'host') headers[key] = value;
  }
  return headers;
}

export function createOutboundClient(options: OutboundClientOptions = {}): OutboundClient {
  const addresses = createAddressPolicy({ allow: options.allowAddresses ?? [] });
  const rules: OutboundUrlRules = { allowedPorts: portSet(options.allowedPorts ?? DEFAULT_ALLOWED_PORTS), addresses };
  const lookup = guardedLookup(options.resolver ?? systemResolver, addresses, options.onLookup);
  const connectTimeoutMs = positive(options.connectTimeoutMs, 5_000, 'connectTimeoutMs');
  const timeoutMs = positive(options.timeoutMs, 10_000, 'timeoutMs');
  const maxResponseBytes = positive(options.maxResponseBytes, 1024 * 1024, 'maxResponseBytes');
  const maxRedirects = redirectLimit(options.maxRedirects, MAX_REDIRECTS);
  const userAgent = options.userAgent ?? 'portcullis-outbound';
  // Added to Node's bundled roots, never replacing them (trust-anchors.ts).
  const ca = trustAnchors(options.ca);

  function sendOnce(target: OutboundTarget, hop: Hop, limits: HopLimits): Promise<HopResult> {
    return new Promise((resolve, reject) => {
      const remaining = limits.deadline - Date.now();
      if (remaining <= 0) {
        reject(new PortcullisError('outbound.timeout'));
        return;
      }
      const secure = target.protocol === 'https:';
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const headers = { ...hop.headers, ...(hop.body === undefined ? {} : { 'content-length': String(hop.body.length) }) };
      const send = secure ? httpsRequest : httpRequest;
      const req = send({
        protocol: target.protocol,
        host: target.hostname,
        port: target.port,
        path: `${target.url.pathname}${target.url.search}`,
        method: hop.method,
        headers,
        // A fresh connection per call: a pooled socket would skip this call's checks.
        agent: false,
        lookup,
        ...(secure
          ? { rejectUnauthorized: true, minVersion: 'TLSv1.2' as const, ...(isIP(target.hostname) === 0 ? { servername: target.hostname } : {}), ...(ca === undefined ? {} : { ca }) }
          : {}),
      });
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        outcome();
      };
      const fail = (error: unknown): void =>
        finish(() => {
          req.destroy();
          reject(outboundError(error));
        });
      timers.push(setTimeout(() => fail(new PortcullisError('outbound.timeout', { detail: 'The remote host did not answer within the time limit.' })), remaining));
      const connectTimer = setTimeout(
        () => fail(new PortcullisError('outbound.timeout', { detail: 'The connection to the remote host could not be made in time.' })),
        Math.min(limits.connectTimeoutMs, remaining),
      );
      timers.push(connectTimer);
      req.once('socket', (socket) => socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer)));
      req.on('error', fail);
      req.once('response', (res) => {
        clearTimeout(connectTimer);
        const status = res.statusCode ?? 0;
        if (limits.followRedirects && REDIRECT_STATUSES.has(status)) {
          const location = res.headers.location;
          finish(() => {
            res.destroy();
            req.destroy();
            resolve({ kind: 'redirect', status, location });
          });
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > limits.maxResponseBytes) {
          fail(new PortcullisError('outbound.response_too_large'));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxResponseBytes) fail(new PortcullisError('outbound.response_too_large'));
          else chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('aborted', () => fail(new PortcullisError('outbound.connect_failed', { detail: 'The remote host closed the connection mid-answer.' })));
        res.on('end', () => finish(() => resolve({ kind: 'response', status, headers: res.headers, body: Buffer.concat(chunks) })));
      });
      req.end(hop.body);
    });
  }

  async function request(url: string | URL, init: OutboundRequest = {}): Promise<OutboundResponse> {
    const method = (init.method ?? 'GET').toUpperCase();
    if (!METHOD.test(method)) throw new PortcullisError('config.invalid', { detail: 'outbound: the method must be an HTTP method name' });
    const callTimeout = Math.min(positive(init.timeoutMs, timeoutMs, 'timeoutMs'), timeoutMs);
    const limits: HopLimits = {
      deadline: Date.now() + callTimeout,
      connectTimeoutMs,
      maxResponseBytes: Math.min(positive(init.maxResponseBytes, maxResponseBytes, 'maxResponseBytes'), maxResponseBytes),
      followRedirects: true,
    };
    const redirectsAllowed = Math.min(redirectLimit(init.maxRedirects, maxRedirects), maxRedirects);
    const credentials = new Set([...ALWAYS_CREDENTIALS, ...(init.credentialHeaders ?? []).map((name) => name.toLowerCase())]);
    let hop: Hop = {
      method,
      headers: headersFrom(init.headers, userAgent),
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : Buffer.from(init.body),
    };
    let current: string | URL = url;
    let bodyCrossesOrigin = false;
    for (let redirects = 0; ; redirects++) {
      try {
        const target = checkOutboundUrl(current, rules);
        if (init.httpsOnly === true && target.protocol !== 'https:') throw new PortcullisError('outbound.scheme_refused', { detail: 'Only https URLs are allowed here.' });
        if (bodyCrossesOrigin) throw new PortcullisError('outbound.redirect_refused');
        const result = await sendOnce(target, hop, limits);
        if (result.kind === 'response') return { status: result.status, headers: result.headers, body: result.body, url: target.url.href, redirects };
        if (redirects >= redirectsAllowed) throw new PortcullisError('outbound.too_many_redirects');
        let next: URL;
        try {
          next = new URL(result.location ?? '', target.url);
        } catch {
          throw new PortcullisError('outbound.redirect_invalid');
        }
        if (result.location === undefined || result.location === '') throw new PortcullisError('outbound.redirect_invalid');
        const crossOrigin = next.origin !== target.url.origin;
        // 307/308 replay the method and body: a body is never handed to an origin the caller did
        // not choose. Refused on the next hop, after its URL checks, so an SSRF refusal wins.
        bodyCrossesOrigin = crossOrigin && (result.status === 307 || result.status === 308) && hop.body !== undefined;
        hop = nextHop(hop, result.status, crossOrigin ? credentials : undefined);
        current = next;
      } catch (error) {
        const coded = outboundError(error);
        if (isSsrfRefusal(coded)) options.onRefused?.({ code: coded.code, host: hostOf(current), redirect: redirects });
        throw coded;
      }
    }
  }

  return { request, checkUrl: (url) => checkOutboundUrl(url, rules) };
}

/**
 * The request a redirect asks for: 303 (and 301/302 after a POST, as browsers do) becomes a GET
 * without a body; a redirect to another origin loses every credential header.
 */
function nextHop(hop: Hop, status: number, dropCredentials: ReadonlySet<string> | undefined): Hop {
  const headers: OutgoingHttpHeaders = { ...hop.headers };
  if (dropCredentials !== undefined) for (const name of dropCredentials) delete headers[name];
  const becomesGet = status === 303 ? hop.method !== 'HEAD' : (status === 301 || status === 302) && hop.method === 'POST';
  if (!becomesGet) return { method: hop.method, headers, body: hop.body };
  delete headers['content-type'];
  delete headers['content-length'];
  return { method: 'GET', headers, body: undefined };
}
