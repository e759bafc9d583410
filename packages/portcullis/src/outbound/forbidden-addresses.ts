import { BlockList, isIP } from 'node:net';
import { PortcullisError } from '../errors/index.js';
import { ipv4At, ipv6Bytes, zeroBytes } from './ipv6-bytes.js';

/**
 * V7: which IP addresses an outbound request may reach. Only public unicast: everything in the
 * IANA special-purpose registries that is not globally reachable is refused (loopback, RFC 1918,
 * link-local with the 169.254.169.254 cloud metadata service, CGNAT, multicast, reserved,
 * documentation and benchmarking ranges; for IPv6 the same plus unique-local, site-local and
 * anything outside 2000::/3). IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64,
 * 6to4, Teredo) are judged by the IPv4 address they lead to, so `::ffff:127.0.0.1` is loopback.
 * `net.BlockList` does the range matching; the IPv6 embeddings are read from the bytes here.
 */

export type ForbiddenReason =
  | 'not_an_address'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared_address'
  | 'link_local'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'unique_local'
  | 'site_local'
  | 'discard_only';

type Rule = readonly [address: string, prefix: number, reason: ForbiddenReason];

// First match wins, so the narrow ranges come before the wide ones that hold them.
const IPV4_RULES: readonly Rule[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared_address'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link_local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

const IPV6_RULES: readonly Rule[] = [
  ['fc00::', 7, 'unique_local'],
  ['fe80::', 10, 'link_local'],
  ['fec0::', 10, 'site_local'],
  ['ff00::', 8, 'multicast'],
  ['100::', 64, 'discard_only'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['2001:2::', 48, 'benchmarking'],
  // IETF protocol assignments (Teredo, taken apart above, lives here too).
  ['2001::', 23, 'reserved'],
];

function compile(rules: readonly Rule[], type: 'ipv4' | 'ipv6'): readonly (readonly [BlockList, ForbiddenReason])[] {
  return rules.map(([address, prefix, reason]) => {
    const list = new BlockList();
    list.addSubnet(address, prefix, type);
    return [list, reason] as const;
  });
}

const IPV4_LISTS = compile(IPV4_RULES, 'ipv4');
const IPV6_LISTS = compile(IPV6_RULES, 'ipv6');
const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet('2000::', 3, 'ipv6');

function ipv4Reason(address: string): ForbiddenReason | undefined {
  for (const [list, reason] of IPV4_LISTS) if (list.check(address, 'ipv4')) return reason;
  return undefined;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((value, index) => bytes[index] === value);
}

/** The IPv4 addresses a local-use NAT64 address (64:ff9b:1::/48) may carry, one per RFC 6052 prefix length. */
const LOCAL_NAT64_OFFSETS: readonly (readonly [number, number, number, number])[] = [
  [6, 7, 9, 10], // /48
  [7, 9, 10, 11], // /56
  [9, 10, 11, 12], // /64
  [12, 13, 14, 15], // /96
];

function ipv6Reason(text: string): ForbiddenReason | undefined {
  const bytes = ipv6Bytes(text);
  if (bytes === undefined) return 'not_an_address';
  if (zeroBytes(bytes, 0, 16)) return 'unspecified';
  if (zeroBytes(bytes, 0, 15) && bytes[15] === 1) return 'loopback';
  const last4 = ipv4At(bytes, [12, 13, 14, 15]);
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible) reach a.b.c.d.
  if (zeroBytes(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return ipv4Reason(last4);
  if (zeroBytes(bytes, 0, 12)) return ipv4Reason(last4);
  // NAT64 well-known prefix 64:ff9b::/96: the translator connects to the embedded address.
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b]) && zeroBytes(bytes, 4, 12)) return ipv4Reason(last4);
  // Local-use NAT64 64:ff9b:1::/48: the operator picks the prefix length, so every placement must be public.
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01])) {
    for (const offsets of LOCAL_NAT64_OFFSETS) {
      const reason = ipv4Reason(ipv4At(bytes, offsets));
      if (reason !== undefined) return reason;
    }
    return undefined;
  }
  // 6to4 2002:AABB:CCDD::/48 reaches AA.BB.CC.DD.
  if (startsWith(bytes, [0x20, 0x02])) return ipv4Reason(ipv4At(bytes, [2, 3, 4, 5]));
  // Teredo 2001:0::/32: the server's address, then the client's, stored inverted.
  if (startsWith(bytes, [0x20, 0x01, 0x00, 0x00])) {
    return ipv4Reason(ipv4At(bytes, [4, 5, 6, 7])) ?? ipv4Reason(ipv4At(bytes, [12, 13, 14, 15], true));
  }
  const canonical = text.includes('%') ? text.slice(0, text.indexOf('%')) : text;
  for (const [list, reason] of IPV6_LISTS) if (list.check(canonical, 'ipv6')) return reason;
  return GLOBAL_UNICAST.check(canonical, 'ipv6') ? undefined : 'reserved';
}

/**
 * Why `address` (IPv4 or IPv6 text) must not be reached, or undefined when it is a public
 * unicast address. Anything that is not an IP address is `not_an_address`.
 *
 * @example
 * forbiddenReason('169.254.169.254'); // 'link_local'
 * forbiddenReason('::ffff:10.0.0.1'); // 'private'
 * forbiddenReason('93.184.215.14'); // undefined
 */
export function forbiddenReason(address: string): ForbiddenReason | undefined {
  if (typeof address !== 'string') return 'not_an_address';
  const family = isIP(address);
  if (family === 4) return ipv4Reason(address);
  if (family === 6) return ipv6Reason(address);
  return 'not_an_address';
}

export interface AddressPolicyOptions {
  /**
   * Addresses or CIDR blocks (`127.0.0.1`, `10.1.0.0/16`, `::1`) allowed despite the rules. It
   * exists so tests can reach a loopback server standing in for a public one; in production it
   * stays empty.
   */
  readonly allow?: readonly string[];
}

export interface AddressPolicy {
  /** Why `address` is refused, or undefined when it may be reached. */
  refusal(address: string): ForbiddenReason | undefined;
  /** Whether an allowlist is in force (worth a configuration warning). */
  readonly hasExceptions: boolean;
}

function parseAllowEntry(entry: string, list: BlockList): void {
  const [address = '', prefixText, extra] = entry.trim().split('/');
  const family = isIP(address);
  const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (family === 0 || extra !== undefined || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
    throw new PortcullisError('config.invalid', { detail: 'outbound allowlist: each entry must be an IP address or CIDR block' });
  }
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The address rules with an optional allowlist of exceptions. Throws `config.invalid` for an
 * allowlist entry that is not an address or CIDR block.
 *
 * @example
 * const policy = createAddressPolicy();
 * policy.refusal('127.0.0.1'); // 'loopback'
 */
export function createAddressPolicy(options: AddressPolicyOptions = {}): AddressPolicy {
  const entries = options.allow ?? [];
  const allowed = new BlockList();
  for (const entry of entries) parseAllowEntry(entry, allowed);
  return {
    hasExceptions: entries.length > 0,
    refusal(address) {
      const reason = forbiddenReason(address);
      if (reason === undefined || reason === 'not_an_address' || entries.length === 0) return reason;
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      return allowed.check(address.split('%')[0] as string, family) ? undefined : reason;
    },
  };
}
