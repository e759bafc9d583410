import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalAddress, canonicalForwardedHop } from './ip-address.js';
import { createProxyTrust } from './proxy-trust.js';
import { resolveClientAddress, resolveSecure } from './client-address.js';

describe('canonicalAddress', () => {
  it('treats IPv4-mapped IPv6 as the IPv4 address and lower-cases IPv6', () => {
    assert.equal(canonicalAddress('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(canonicalAddress('::FFFF:192.0.2.1'), '192.0.2.1');
    assert.equal(canonicalAddress('2001:DB8::1'), '2001:db8::1');
    assert.equal(canonicalAddress('fe80::1%eth0'), 'fe80::1');
  });

  it('refuses anything that is not an address', () => {
    for (const bad of ['', 'localhost', '1.2.3', '1.2.3.4.5', '<script>', '::ffff:x', '0x7f.0.0.1']) {
      assert.equal(canonicalAddress(bad), undefined, bad);
    }
  });

  it('strips ports some proxies add to forwarded hops', () => {
    assert.equal(canonicalForwardedHop(' 203.0.113.9:4711 '), '203.0.113.9');
    assert.equal(canonicalForwardedHop('[2001:db8::1]:443'), '2001:db8::1');
    assert.equal(canonicalForwardedHop('2001:db8::1'), '2001:db8::1');
    assert.equal(canonicalForwardedHop('[bad'), undefined);
  });
});

describe('createProxyTrust', () => {
  it('matches addresses, CIDRs and named ranges, IPv4-mapped included', () => {
    const trust = createProxyTrust(['10.0.0.0/8', '2001:db8::/32', '192.0.2.10', 'loopback']);
    assert.ok(trust.isTrusted('10.200.1.1'));
    assert.ok(trust.isTrusted(canonicalAddress('::ffff:10.0.0.1')!));
    assert.ok(trust.isTrusted('2001:db8:1::5'));
    assert.ok(trust.isTrusted('192.0.2.10'));
    assert.ok(trust.isTrusted('127.0.0.1') && trust.isTrusted('::1'));
    assert.ok(!trust.isTrusted('192.0.2.11'));
    assert.ok(!trust.isTrusted('11.0.0.1'));
  });

  it('an empty list trusts nobody', () => {
    const trust = createProxyTrust([]);
    assert.equal(trust.enabled, false);
    assert.equal(trust.isTrusted('127.0.0.1'), false);
  });

  it('a malformed entry refuses to start with config.invalid', () => {
    for (const bad of ['10.0.0.0/33', 'example.com', '::1/129', '10.0.0.0/x']) {
      assert.throws(() => createProxyTrust([bad]), { code: 'config.invalid' }, bad);
    }
  });
});

describe('resolveClientAddress', () => {
  const trust = createProxyTrust(['10.0.0.0/8']);

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    assert.equal(resolveClientAddress('203.0.113.5', '1.1.1.1', trust), '203.0.113.5');
  });

  it('walks right to left through trusted hops to the first untrusted one', () => {
    assert.equal(resolveClientAddress('10.0.0.2', '6.6.6.6, 198.51.100.1, 10.0.0.9', trust), '198.51.100.1');
  });

  it('stops at a malformed hop with the last address it could vouch for', () => {
    assert.equal(resolveClientAddress('10.0.0.2', '198.51.100.1, garbage, 10.0.0.9', trust), '10.0.0.9');
  });

  it('whatever the header says, the result is a canonical IP and an untrusted peer always wins', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.string(), (peer, header) => {
        const result = resolveClientAddress(peer, header, trust);
        assert.notEqual(canonicalAddress(result), undefined);
        if (!trust.isTrusted(canonicalAddress(peer)!)) assert.equal(result, canonicalAddress(peer));
      }),
    );
  });

  it('from a trusted peer, the result is either a header hop or the peer, never anything else', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), { maxLength: 6 }), (hops) => {
        const result = resolveClientAddress('10.0.0.1', hops.join(','), trust);
        const candidates = new Set(['10.0.0.1', ...hops.map((h) => canonicalForwardedHop(h)).filter((h) => h !== undefined)]);
        assert.ok(candidates.has(result), result);
      }),
    );
  });
});

describe('resolveSecure', () => {
  const trust = createProxyTrust(['10.0.0.0/8']);
  it('believes X-Forwarded-Proto only from a trusted peer, using the rightmost value', () => {
    assert.equal(resolveSecure(false, '10.0.0.1', 'https', trust), true);
    assert.equal(resolveSecure(false, '10.0.0.1', 'https, http', trust), false);
    assert.equal(resolveSecure(false, '10.0.0.1', 'http, https', trust), true);
    assert.equal(resolveSecure(false, '203.0.113.1', 'https', trust), false);
    assert.equal(resolveSecure(true, '203.0.113.1', undefined, trust), true);
  });
});
