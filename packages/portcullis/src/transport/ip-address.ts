import { isIP } from 'node:net';

/**
 * Canonical text of an IP address, so one client has one spelling for trust checks and limiter
 * keys: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) becomes the IPv4 address, IPv6 is lower-cased and
 * loses its zone index. Returns `undefined` for anything that is not an address.
 */
export function canonicalAddress(raw: string): string | undefined {
  let value = raw.trim();
  const zone = value.indexOf('%');
  if (zone !== -1) value = value.slice(0, zone);
  const family = isIP(value);
  if (family === 4) return value;
  if (family !== 6) return undefined;
  value = value.toLowerCase();
  if (value.startsWith('::ffff:')) {
    const tail = value.slice(7);
    if (isIP(tail) === 4) return tail;
  }
  return value;
}

/** `4`, `6` or `0`, for a canonical address. */
export function addressFamily(address: string): 4 | 6 | 0 {
  return isIP(address) as 4 | 6 | 0;
}

/**
 * Strips a port some proxies append to forwarded addresses (`1.2.3.4:5678`, `[2001:db8::1]:443`)
 * and returns the canonical address, or `undefined` when the hop is not an address.
 */
export function canonicalForwardedHop(hop: string): string | undefined {
  const value = hop.trim();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? undefined : canonicalAddress(value.slice(1, end));
  }
  const firstColon = value.indexOf(':');
  if (firstColon !== -1 && firstColon === value.lastIndexOf(':')) {
    return canonicalAddress(value.slice(0, firstColon));
  }
  return canonicalAddress(value);
}
