import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createAddressPolicy, forbiddenReason, type ForbiddenReason } from './forbidden-addresses.js';
import { ipv6Bytes } from './ipv6-bytes.js';

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((octets) => octets.join('.'));
const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
function octetsOf(address: string): [number, number, number, number] {
  return address.split('.').map(Number) as [number, number, number, number];
}

describe('forbiddenReason', () => {
  it('refuses every special-purpose IPv4 range, naming it', () => {
    const cases: [string, ForbiddenReason][] = [
      ['0.0.0.0', 'unspecified'],
      ['0.255.1.2', 'unspecified'],
      ['10.0.0.1', 'private'],
      ['10.255.255.255', 'private'],
      ['100.64.0.1', 'shared_address'],
      ['100.127.255.254', 'shared_address'],
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['169.254.169.254', 'link_local'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.0.0.8', 'reserved'],
      ['192.0.2.1', 'documentation'],
      ['192.88.99.1', 'reserved'],
      ['192.168.1.1', 'private'],
      ['198.18.0.1', 'benchmarking'],
      ['198.19.255.255', 'benchmarking'],
      ['198.51.100.7', 'documentation'],
      ['203.0.113.9', 'documentation'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['240.0.0.1', 'reserved'],
      ['255.255.255.255', 'broadcast'],
    ];
    for (const [address, reason] of cases) assert.equal(forbiddenReason(address), reason, address);
  });

  it('allows public IPv4 unicast, including the neighbours of forbidden ranges', () => {
    for (const address of ['1.1.1.1', '8.8.8.8', '93.184.215.14', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '192.167.255.255', '192.169.0.0', '198.17.255.255', '198.20.0.0', '223.255.255.255', '169.253.255.255']) {
      assert.equal(forbiddenReason(address), undefined, address);
    }
  });

  it('refuses the special IPv6 ranges and everything outside global unicast 2000::/3', () => {
    const cases: [string, ForbiddenReason][] = [
      ['::', 'unspecified'],
      ['::1', 'loopback'],
      ['0:0:0:0:0:0:0:1', 'loopback'],
      ['fc00::1', 'unique_local'],
      ['fd12:3456:789a::1', 'unique_local'],
      ['fe80::1', 'link_local'],
      ['fe80::1%eth0', 'link_local'],
      ['febf::1', 'link_local'],
      ['fec0::1', 'site_local'],
      ['ff02::1', 'multicast'],
      ['ff0e::1', 'multicast'],
      ['100::1', 'discard_only'],
      ['2001:db8::1', 'documentation'],
      ['3fff::1', 'documentation'],
      ['2001:2::1', 'benchmarking'],
      ['2001:10::1', 'reserved'],
      ['4000::1', 'reserved'],
      ['5f00::1', 'reserved'],
      ['::ffff:0:7f00:1', 'reserved'],
    ];
    for (const [address, reason] of cases) assert.equal(forbiddenReason(address), reason, address);
    for (const address of ['2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '2001:4860:4860::8888']) assert.equal(forbiddenReason(address), undefined, address);
  });

  it('judges IPv4-in-IPv6 forms by the IPv4 address they lead to', () => {
    const cases: [string, ForbiddenReason | undefined][] = [
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:169.254.169.254', 'link_local'],
      ['::ffff:a9fe:a9fe', 'link_local'],
      ['::ffff:10.0.0.1', 'private'],
      ['::ffff:8.8.8.8', undefined],
      ['::127.0.0.1', 'loopback'],
      ['::7f00:1', 'loopback'],
      ['::8.8.8.8', undefined],
      ['64:ff9b::127.0.0.1', 'loopback'],
      ['64:ff9b::a9fe:a9fe', 'link_local'],
      ['64:ff9b::8.8.8.8', undefined],
      ['64:ff9b:1::7f00:1', 'unspecified'],
      ['64:ff9b:1:7f00:0:100::', 'loopback'],
      ['2002:7f00:1::', 'loopback'],
      ['2002:c0a8:101::1', 'private'],
      ['2002:808:808::1', undefined],
      // Teredo: server 65.54.227.120; client 127.0.0.1 stored inverted (80ff:fffe).
      ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
      ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'private'],
      ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', undefined],
    ];
    for (const [address, reason] of cases) assert.equal(forbiddenReason(address), reason, address);
  });

  it('agrees with the embedded IPv4 address for every mapped, compatible, NAT64 and 6to4 spelling (property)', () => {
    fc.assert(
      fc.property(ipv4, (address) => {
        const [a, b, c, d] = octetsOf(address);
        const refusedV4 = forbiddenReason(address) !== undefined;
        assert.equal(forbiddenReason(`::ffff:${address}`), forbiddenReason(address));
        assert.equal(forbiddenReason(`::ffff:${hex(a, b)}:${hex(c, d)}`), forbiddenReason(address));
        assert.equal(forbiddenReason(`64:ff9b::${address}`), forbiddenReason(address));
        assert.equal(forbiddenReason(`2002:${hex(a, b)}:${hex(c, d)}::1`), forbiddenReason(address));
        // ::0.0.0.1 is ::1 and ::0.0.0.0 is ::, both refused like 0.0.0.0/8.
        assert.equal(forbiddenReason(`::${address}`) !== undefined, refusedV4);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every address inside a forbidden IPv4 block (property)', () => {
    const blocks: [number, number][] = [
      [0x00000000, 8], [0x0a000000, 8], [0x64400000, 10], [0x7f000000, 8], [0xa9fe0000, 16], [0xac100000, 12], [0xc0a80000, 16], [0xc6120000, 15], [0xe0000000, 4], [0xf0000000, 4],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...blocks), fc.nat(), ([base, prefix], offset) => {
        const value = (base + (offset % 2 ** (32 - prefix))) >>> 0;
        const address = [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
        assert.notEqual(forbiddenReason(address), undefined, address);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws, and calls anything that is not an address not_an_address', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const reason = forbiddenReason(text);
        if (reason === 'not_an_address') return;
        assert.ok(reason === undefined || typeof reason === 'string');
      }),
    );
    for (const text of ['localhost', '', '127.0.0.1:80', '[::1]', '2130706433', '0x7f.0.0.1', '127.1']) assert.equal(forbiddenReason(text), 'not_an_address', text);
  });
});

describe('ipv6Bytes', () => {
  it('expands compressed forms and dotted tails', () => {
    assert.deepEqual([...(ipv6Bytes('::1') ?? [])], [...Array(15).fill(0), 1]);
    assert.deepEqual([...(ipv6Bytes('::ffff:1.2.3.4') ?? [])], [...Array(10).fill(0), 255, 255, 1, 2, 3, 4]);
    assert.deepEqual([...(ipv6Bytes('2001:db8::') ?? [])], [0x20, 0x01, 0x0d, 0xb8, ...Array(12).fill(0)]);
    assert.deepEqual([...(ipv6Bytes('1:2:3:4:5:6:7:8') ?? [])], [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    assert.equal(ipv6Bytes('1.2.3.4'), undefined);
  });
});

describe('createAddressPolicy', () => {
  it('allows listed addresses and blocks despite the rules, and nothing else', () => {
    const policy = createAddressPolicy({ allow: ['127.0.0.1', '10.1.0.0/16', '::1'] });
    assert.equal(policy.hasExceptions, true);
    assert.equal(policy.refusal('127.0.0.1'), undefined);
    assert.equal(policy.refusal('::ffff:127.0.0.1'), undefined);
    assert.equal(policy.refusal('127.0.0.2'), 'loopback');
    assert.equal(policy.refusal('10.1.200.3'), undefined);
    assert.equal(policy.refusal('10.2.0.1'), 'private');
    assert.equal(policy.refusal('::1'), undefined);
    assert.equal(policy.refusal('169.254.169.254'), 'link_local');
    assert.equal(policy.refusal('not an address'), 'not_an_address');
    assert.equal(createAddressPolicy().hasExceptions, false);
  });

  it('refuses an allowlist entry that is not an address or block', () => {
    for (const entry of ['localhost', '10.0.0.0/33', '::1/129', '1.2.3.4/8/1', '10.0.0.0/x', '']) {
      assert.throws(() => createAddressPolicy({ allow: [entry] }), { code: 'config.invalid' }, entry);
    }
  });
});
