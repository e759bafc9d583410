import { isIP } from 'node:net';

/**
 * The sixteen bytes of an IPv6 address, so the SSRF rules can read the IPv4 address some IPv6
 * forms carry inside them (mapped, compatible, NAT64, 6to4, Teredo). Node checks the text with
 * `isIP` but has no parser that hands back bytes; this one only ever sees text `isIP` accepted.
 */

/** The address's bytes (a zone index such as `%eth0` is ignored), or undefined when it is not IPv6. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  let value = (zone === -1 ? text : text.slice(0, zone)).toLowerCase();
  if (isIP(value) !== 6) return undefined;
  // A dotted IPv4 tail (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = value.lastIndexOf(':');
  const tail = value.slice(lastColon + 1);
  if (tail.includes('.')) {
    const octets = tail.split('.').map(Number) as [number, number, number, number];
    const high = ((octets[0] << 8) | octets[1]).toString(16);
    const low = ((octets[2] << 8) | octets[3]).toString(16);
    value = `${value.slice(0, lastColon + 1)}${high}:${low}`;
  }
  const [head = '', rest] = value.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...tailGroups];
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    const word = parseInt(group, 16);
    bytes[index * 2] = word >> 8;
    bytes[index * 2 + 1] = word & 0xff;
  });
  return bytes;
}

/** Dotted IPv4 text of four bytes of `bytes`, at the given offsets. */
export function ipv4At(bytes: Uint8Array, offsets: readonly [number, number, number, number], invert = false): string {
  return offsets.map((offset) => ((bytes[offset] ?? 0) ^ (invert ? 0xff : 0)) & 0xff).join('.');
}

/** Whether every byte of `bytes` in [from, to) is zero. */
export function zeroBytes(bytes: Uint8Array, from: number, to: number): boolean {
  for (let index = from; index < to; index++) if (bytes[index] !== 0) return false;
  return true;
}
