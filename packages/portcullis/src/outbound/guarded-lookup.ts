import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { PortcullisError, isPortcullisError } from '../errors/index.js';
import type { AddressPolicy } from './forbidden-addresses.js';
import { addressRefused } from './outbound-target.js';

/**
 * V7 at connect time, with no DNS rebinding window: the `lookup` the socket itself calls. It
 * resolves the name once, refuses when ANY answer is forbidden (an attacker's name that answers
 * one public and one private address does not get a coin toss), and hands the socket exactly the
 * addresses it checked, so there is no second resolution between check and connect. The resolver
 * is injectable so tests can play a hostile DNS server (private answers, rebinding).
 */

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to its addresses; throw (any error) when it does not resolve. */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), every address. */
export const systemResolver: HostResolver = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => ({ address: answer.address, family: answer.family === 6 ? 6 : 4 }));
};

/** Which addresses were handed to a socket, for callers that want to record or test it. */
export type LookupObserver = (hostname: string, addresses: readonly ResolvedAddress[]) => void;

async function checkedAddresses(hostname: string, resolver: HostResolver, policy: AddressPolicy): Promise<ResolvedAddress[]> {
  let answers: readonly ResolvedAddress[];
  try {
    answers = await resolver(hostname);
  } catch (cause) {
    if (isPortcullisError(cause)) throw cause;
    throw new PortcullisError('outbound.dns_failed', { cause });
  }
  if (!Array.isArray(answers) || answers.length === 0) throw new PortcullisError('outbound.dns_failed');
  const checked: ResolvedAddress[] = [];
  for (const answer of answers) {
    const address = typeof answer?.address === 'string' ? answer.address : '';
    const reason = policy.refusal(address);
    if (reason !== undefined) throw addressRefused(reason, 'resolved');
    // The family comes from the address itself, not from what the resolver claimed.
    checked.push({ address, family: isIP(address) === 6 ? 6 : 4 });
  }
  return checked;
}

/**
 * A `lookup` for `http.request` / `net.connect` that only ever yields checked addresses. Errors
 * reach the request's `error` event as coded errors (`outbound.dns_failed`,
 * `outbound.address_refused`).
 *
 * @example
 * http.request({ host: 'hooks.example.com', port: 443, lookup: guardedLookup(systemResolver, createAddressPolicy()) });
 */
export function guardedLookup(resolver: HostResolver, policy: AddressPolicy, observe?: LookupObserver): LookupFunction {
  return (hostname, options, callback) => {
    checkedAddresses(hostname, resolver, policy).then(
      (checked) => {
        const wanted = options.family === 4 || options.family === 6 ? checked.filter((entry) => entry.family === options.family) : checked;
        const first = wanted[0];
        if (first === undefined) {
          callback(new PortcullisError('outbound.dns_failed'), '', 0);
          return;
        }
        observe?.(hostname, wanted);
        if (options.all === true) callback(null, wanted.map((entry) => ({ address: entry.address, family: entry.family })));
        else callback(null, first.address, first.family);
      },
      (error: PortcullisError) => callback(error, '', 0),
    );
  };
}
