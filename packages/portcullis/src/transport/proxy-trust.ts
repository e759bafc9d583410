import { BlockList } from 'node:net';
import { PortcullisError } from '../errors/index.js';
import { canonicalAddress, addressFamily } from './ip-address.js';

/**
 * Which peers may speak for the client through X-Forwarded-For / X-Forwarded-Proto (T1).
 * Forwarded headers are trivially forged, so they are believed only from addresses listed here;
 * an empty list (the default) believes nobody.
 */
export interface ProxyTrust {
  /** Whether `address` (canonical) is a configured proxy. */
  isTrusted(address: string): boolean;
  /** False when the list is empty: forwarded headers are then never read. */
  readonly enabled: boolean;
}

const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

function addEntry(list: BlockList, entry: string): void {
  const slash = entry.indexOf('/');
  const address = canonicalAddress(slash === -1 ? entry : entry.slice(0, slash));
  if (address === undefined) {
    throw new PortcullisError('config.invalid', { detail: `TRUSTED_PROXIES entry "${entry}" is not an IP address, CIDR range or one of loopback, linklocal, uniquelocal` });
  }
  const family = addressFamily(address);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash === -1) {
    list.addAddress(address, type);
    return;
  }
  const prefix = Number(entry.slice(slash + 1));
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new PortcullisError('config.invalid', { detail: `TRUSTED_PROXIES entry "${entry}" has an invalid prefix length` });
  }
  list.addSubnet(address, prefix, type);
}

/**
 * Builds the trust check once at start-up from addresses, CIDR ranges and the names
 * `loopback`, `linklocal`, `uniquelocal`. A bad entry refuses to start.
 *
 * @example
 * const trust = createProxyTrust(['10.0.0.0/8', 'loopback']);
 * trust.isTrusted('10.1.2.3'); // true
 */
export function createProxyTrust(entries: readonly string[]): ProxyTrust {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const named = NAMED_RANGES[entry.toLowerCase()];
    for (const item of named ?? [entry]) addEntry(list, item);
  }
  const enabled = entries.some((e) => e.trim() !== '');
  return {
    enabled,
    isTrusted(address: string): boolean {
      if (!enabled) return false;
      const family = addressFamily(address);
      if (family === 0) return false;
      return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
