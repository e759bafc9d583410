/**
 * Limiter keys. An IPv6 client controls at least a /64 (often far more), so counting per IPv6
 * address lets one client rotate through 2^64 keys: IPv6 addresses are grouped by their /64.
 * IPv4-mapped IPv6, in either spelling, is the IPv4 address it maps. Parts of compound keys are
 * escaped so that no choice of parts can collide with another, and long parts (account names are
 * client input) are hashed so a key's size is bounded.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { canonicalAddress } from '../transport/index.js';

const MAX_PART_LENGTH = 128;

/** The eight 16-bit groups of an IPv6 address, or undefined if it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const dotted = text.slice(lastColon + 1);
  if (dotted.includes('.')) {
    if (isIP(dotted) !== 4) return undefined;
    const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    text = text.slice(0, lastColon + 1) + '0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (half: string | undefined): number[] => (half === undefined || half === '' ? [] : half.split(':').map((group) => parseInt(group, 16)));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (tail.length > 0) (halves.length === 2 ? rest : head).pop();
  const missing = 8 - head.length - rest.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : undefined;
}

/**
 * The key an address is counted under: the IPv4 address itself, or the /64 of an IPv6 address.
 *
 * @example
 * addressKey('2001:db8:1:2:aaaa::1') // 'ip6:2001:db8:1:2::/64'
 * addressKey('::ffff:1.2.3.4')        // 'ip4:1.2.3.4'
 */
export function addressKey(address: string): string {
  const canonical = canonicalAddress(address);
  if (canonical === undefined) return `ip?:${hashPart(address)}`;
  if (isIP(canonical) === 4) return `ip4:${canonical}`;
  const groups = ipv6Groups(canonical);
  if (groups === undefined) return `ip?:${hashPart(canonical)}`;
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    const high = groups[6] as number;
    const low = groups[7] as number;
    return `ip4:${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return `ip6:${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

function hashPart(part: string): string {
  return '#' + createHash('sha256').update(part).digest('base64url').slice(0, 32);
}

/** One part of a compound key: escaped, or hashed when long. */
export function keyPart(part: string): string {
  if (part.length > MAX_PART_LENGTH) return hashPart(part);
  return part.replace(/[%|#]/g, (char) => `%${char.charCodeAt(0).toString(16)}`);
}

/**
 * A key made of several parts (e.g. address and account on login) that cannot collide with any
 * other choice of parts.
 *
 * @example
 * compoundKey('login', addressKey(request.clientAddress), email.toLowerCase())
 */
export function compoundKey(...parts: readonly string[]): string {
  let key = '';
  for (let index = 0; index < parts.length; index += 1) {
    if (index > 0) key += '|';
    key += keyPart(parts[index] as string);
  }
  return key;
}
