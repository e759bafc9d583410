import { isIP } from 'node:net';
import { PortcullisError } from '../errors/index.js';
import type { AddressPolicy, ForbiddenReason } from './forbidden-addresses.js';

/**
 * V7, before any connection: a URL an outbound request may be sent to. Only http and https, no
 * user name or password in it, only an allowlisted port, and a host that is either a name (its
 * addresses are checked when the connection is made, see guarded-lookup.ts) or a literal IP that
 * the address rules allow. Node connects to a literal IP without a lookup, so this is the only
 * place such a host is checked. Hosts are judged after WHATWG URL parsing, which turns every
 * legacy IPv4 spelling (`2130706433`, `0x7f.1`, `017700000001`, `127.1`) into dotted decimal.
 * Errors never carry the URL: it may hold a token in its query.
 *
 * Names reserved for the local machine or link are refused here too, as a literal would be:
 * `localhost` and every `*.localhost` (RFC 6761 section 6.3: resolvers answer them with loopback)
 * and `*.local` (RFC 6762 multicast DNS: devices on the server's own link, answered by whoever
 * is on it). The connect-time lookup would refuse the loopback and link-local answers anyway;
 * refusing the name at creation gives the client the answer at once, and does not depend on how
 * a given resolver treats these names (mDNS answers can be any address a neighbour chooses).
 */

export const DEFAULT_ALLOWED_PORTS: readonly number[] = Object.freeze([80, 443]);

export interface OutboundUrlRules {
  readonly allowedPorts: ReadonlySet<number>;
  readonly addresses: AddressPolicy;
}

export interface OutboundTarget {
  readonly url: URL;
  readonly protocol: 'http:' | 'https:';
  /** The host as Node wants it: an IPv6 literal without its brackets. */
  readonly hostname: string;
  readonly port: number;
  /** True when the host is an IP address (already checked), false for a name (checked at connect). */
  readonly literal: boolean;
}

const REASON_WORDS: Readonly<Record<ForbiddenReason, string>> = Object.freeze({
  not_an_address: 'not an IP address',
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  private: 'a private address',
  shared_address: 'a carrier-grade NAT address',
  link_local: 'a link-local address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
  documentation: 'a documentation address',
  benchmarking: 'a benchmarking address',
  unique_local: 'a unique-local address',
  site_local: 'a site-local address',
  discard_only: 'a discard-only address',
});

/** The refusal for a forbidden address: the kind of address, never the address itself. */
export function addressRefused(reason: ForbiddenReason, via: 'host' | 'resolved'): PortcullisError {
  const subject = via === 'host' ? 'The host is' : 'The host name resolves to';
  return new PortcullisError('outbound.address_refused', { detail: `${subject} ${REASON_WORDS[reason]}.` });
}

/** True for `localhost`, `*.localhost` and `*.local`, with or without the root's trailing dot. */
function isLocalOnlyName(hostname: string): boolean {
  const name = hostname.replace(/\.+$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || name === 'local' || name.endsWith('.local');
}

function parseUrl(raw: string | URL): URL {
  if (raw instanceof URL) return new URL(raw.href);
  if (typeof raw !== 'string' || raw.length > 8192) throw new PortcullisError('outbound.url_invalid');
  try {
    return new URL(raw);
  } catch {
    throw new PortcullisError('outbound.url_invalid');
  }
}

/**
 * Checks `raw` against the rules and returns where to connect, or throws a coded error:
 * `outbound.url_invalid`, `outbound.scheme_refused`, `outbound.credentials_refused`,
 * `outbound.port_refused` or `outbound.address_refused` (literal IP hosts, local-only names).
 *
 * @example
 * const target = checkOutboundUrl('https://hooks.example.com/in?token=t', rules);
 */
export function checkOutboundUrl(raw: string | URL, rules: OutboundUrlRules): OutboundTarget {
  const url = parseUrl(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PortcullisError('outbound.scheme_refused');
  if (url.username !== '' || url.password !== '') throw new PortcullisError('outbound.credentials_refused');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!rules.allowedPorts.has(port)) throw new PortcullisError('outbound.port_refused');
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (hostname === '') throw new PortcullisError('outbound.url_invalid');
  const literal = isIP(hostname) !== 0;
  if (literal) {
    const reason = rules.addresses.refusal(hostname);
    if (reason !== undefined) throw addressRefused(reason, 'host');
  } else if (isLocalOnlyName(hostname)) {
    throw new PortcullisError('outbound.address_refused', { detail: 'The host is a name reserved for the local machine or link (localhost, .local).' });
  }
  return { url, protocol: url.protocol, hostname, port, literal };
}

/** A port allowlist from numbers, refusing anything that is not a TCP port (`config.invalid`). */
export function portSet(ports: readonly number[]): ReadonlySet<number> {
  for (const port of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PortcullisError('config.invalid', { detail: 'outbound: allowed ports must be integers from 1 to 65535' });
  }
  return new Set(ports);
}
