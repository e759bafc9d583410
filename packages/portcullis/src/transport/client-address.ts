import { canonicalAddress, canonicalForwardedHop } from './ip-address.js';
import type { ProxyTrust } from './proxy-trust.js';

/**
 * Resolves the client address. X-Forwarded-For is read right to left only while each hop is a
 * trusted proxy; the first untrusted hop is the client. A malformed hop ends the walk at the last
 * address we could vouch for, so garbage never becomes a limiter key.
 *
 * @example
 * resolveClientAddress('10.0.0.2', '203.0.113.9, 10.0.0.1', trust); // '203.0.113.9' if 10/8 trusted
 */
export function resolveClientAddress(peer: string | undefined, forwardedFor: string | undefined, trust: ProxyTrust): string {
  let current = (peer === undefined ? undefined : canonicalAddress(peer)) ?? '0.0.0.0';
  if (forwardedFor === undefined || forwardedFor === '' || !trust.isTrusted(current)) return current;
  const hops = forwardedFor.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = canonicalForwardedHop(hops[i] as string);
    if (hop === undefined) return current;
    current = hop;
    if (!trust.isTrusted(hop)) return hop;
  }
  return current;
}

/**
 * Whether the client's leg was HTTPS. X-Forwarded-Proto counts only when the direct peer is a
 * trusted proxy; its rightmost value is the one that proxy set.
 */
export function resolveSecure(encrypted: boolean, peer: string | undefined, forwardedProto: string | undefined, trust: ProxyTrust): boolean {
  if (encrypted) return true;
  if (forwardedProto === undefined || peer === undefined) return false;
  const address = canonicalAddress(peer);
  if (address === undefined || !trust.isTrusted(address)) return false;
  const comma = forwardedProto.lastIndexOf(',');
  const last = (comma === -1 ? forwardedProto : forwardedProto.slice(comma + 1)).trim().toLowerCase();
  return last === 'https';
}
