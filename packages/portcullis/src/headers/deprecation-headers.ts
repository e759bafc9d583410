/**
 * L2: an API version's lifecycle, told to clients in the response headers made for it:
 * `Deprecation` (RFC 9745: a structured-field Date, `@<unix seconds>`), `Sunset` (RFC 8594: an
 * HTTP-date) and `Link` to the migration notes (`rel="deprecation"`, `rel="sunset"`). Everything
 * is computed once from the configuration into frozen maps; per request only the sunset instant
 * is compared with the clock, so a version retires by itself when its date passes.
 */
import { validateHeaderValue } from 'node:http';
import { PortcullisError } from '../errors/index.js';

/** `current`: served plainly; `deprecated`: served with the headers; `sunset`: answers 410. */
export type ApiVersionStatus = 'current' | 'deprecated' | 'sunset';

export interface ApiVersionSpec {
  readonly status: ApiVersionStatus;
  /** When the version was (or will be) deprecated; required when `status` is `deprecated`. */
  readonly deprecatedAt?: Date;
  /** From this instant every route of the version answers 410, whatever `status` says. */
  readonly sunsetAt?: Date;
  /** Migration notes, sent as `Link: <url>; rel="deprecation"`. */
  readonly link?: string;
  /** The sunset policy, sent as `Link: <url>; rel="sunset"`. */
  readonly sunsetLink?: string;
}

export interface VersionLifecycle {
  readonly version: string;
  readonly status: ApiVersionStatus;
  /** Headers for every response of the version while it is served; undefined when there are none. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Epoch milliseconds from which the version answers 410 (0: already); undefined: never. */
  readonly goneFrom: number | undefined;
  /** The 410 refusal, made once, carrying the same headers. */
  readonly gone: PortcullisError;
}

const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

function invalid(version: string, problem: string): PortcullisError {
  return new PortcullisError('config.invalid', { detail: `API version ${version}: ${problem}` });
}

function instant(version: string, field: string, value: Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw invalid(version, `${field} is not a valid date`);
  return ms;
}

/** RFC 9745 / RFC 9651 Date: `@` and whole seconds since the epoch. */
export function formatStructuredDate(ms: number): string {
  return `@${Math.floor(ms / 1000)}`;
}

/** RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function linkTarget(version: string, field: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(version, `${field} is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(version, `${field} must be an http(s) URL`);
  // The parser percent-encodes '<', '>' and spaces; a header check still guards the rest.
  try {
    validateHeaderValue('link', url.href);
  } catch {
    throw invalid(version, `${field} cannot be sent in a header`);
  }
  return url.href;
}

/**
 * Validates a version's configuration and precomputes its headers and refusal. Throws
 * `config.invalid` naming the version.
 *
 * @example
 * const v1 = versionLifecycle('v1', { status: 'deprecated', deprecatedAt: new Date('2025-01-01'), sunsetAt: new Date('2026-01-01'), link: 'https://example.com/migrate' });
 * v1.headers; // { deprecation: '@1735689600', sunset: 'Thu, 01 Jan 2026 00:00:00 GMT', link: '<https://example.com/migrate>; rel="deprecation"; type="text/html"' }
 */
export function versionLifecycle(version: string, spec: ApiVersionSpec): VersionLifecycle {
  if (!VERSION_NAME.test(version)) throw invalid(JSON.stringify(version).slice(0, 40), 'a version name is 1-32 of A-Z a-z 0-9 . _ -');
  if (spec.status !== 'current' && spec.status !== 'deprecated' && spec.status !== 'sunset') throw invalid(version, 'status must be current, deprecated or sunset');
  const deprecatedAt = instant(version, 'deprecatedAt', spec.deprecatedAt);
  const sunsetAt = instant(version, 'sunsetAt', spec.sunsetAt);
  if (spec.status === 'deprecated' && deprecatedAt === undefined) throw invalid(version, 'a deprecated version needs deprecatedAt (the Deprecation header is a date)');
  if (deprecatedAt !== undefined && sunsetAt !== undefined && sunsetAt < deprecatedAt) throw invalid(version, 'sunsetAt is before deprecatedAt');

  const headers: Record<string, string> = {};
  if (deprecatedAt !== undefined && spec.status !== 'current') headers['deprecation'] = formatStructuredDate(deprecatedAt);
  if (sunsetAt !== undefined) headers['sunset'] = formatHttpDate(sunsetAt);
  const links: string[] = [];
  if (spec.link !== undefined && spec.status !== 'current') links.push(`<${linkTarget(version, 'link', spec.link)}>; rel="deprecation"; type="text/html"`);
  if (spec.sunsetLink !== undefined) links.push(`<${linkTarget(version, 'sunsetLink', spec.sunsetLink)}>; rel="sunset"; type="text/html"`);
  if (links.length > 0) headers['link'] = links.join(', ');
  const frozen = Object.keys(headers).length === 0 ? undefined : Object.freeze(headers);

  const goneFrom = spec.status === 'sunset' ? 0 : sunsetAt;
  const retired = sunsetAt === undefined ? 'has been retired' : `was retired on ${new Date(sunsetAt).toISOString().slice(0, 10)}`;
  const gone = new PortcullisError('api.version_sunset', {
    detail: `API version ${version} ${retired}.`,
    ...(frozen === undefined ? {} : { headers: frozen }),
  });
  return Object.freeze({ version, status: spec.status, headers: frozen, goneFrom, gone });
}

/** Whether the version answers 410 at `now`. */
export function isVersionGone(lifecycle: VersionLifecycle, now = Date.now()): boolean {
  return lifecycle.goneFrom !== undefined && now >= lifecycle.goneFrom;
}
