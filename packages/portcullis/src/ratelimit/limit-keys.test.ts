import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addressKey, compoundKey } from './limit-keys.js';

describe('addressKey', () => {
  it('groups every IPv6 address of one /64 under one key, whatever the spelling', () => {
    const spellings = [
      '2001:db8:1:2::1',
      '2001:0db8:0001:0002:0000:0000:0000:0001',
      '2001:DB8:1:2:FFFF:FFFF:FFFF:FFFF',
      '2001:db8:1:2:abcd:1234::',
      'fe80::1%eth0'.replace('fe80::1', '2001:db8:1:2::9'),
    ];
    for (const spelling of spellings) assert.equal(addressKey(spelling), 'ip6:2001:db8:1:2::/64', spelling);
    assert.notEqual(addressKey('2001:db8:1:3::1'), addressKey('2001:db8:1:2::1'));
    assert.equal(addressKey('::1'), 'ip6:0:0:0:0::/64');
  });

  it('counts IPv4-mapped IPv6, dotted or hex, as the IPv4 address', () => {
    assert.equal(addressKey('1.2.3.4'), 'ip4:1.2.3.4');
    assert.equal(addressKey('::ffff:1.2.3.4'), 'ip4:1.2.3.4');
    assert.equal(addressKey('::FFFF:1.2.3.4'), 'ip4:1.2.3.4');
    assert.equal(addressKey('::ffff:102:304'), 'ip4:1.2.3.4');
    assert.equal(addressKey('0:0:0:0:0:ffff:0102:0304'), 'ip4:1.2.3.4');
  });

  it('any IPv6 address with the same first 64 bits maps to the same key (property)', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(fc.tuple(group, group, group, group), fc.tuple(group, group, group, group), fc.tuple(group, group, group, group), (prefix, a, b) => {
        fc.pre(!(prefix[0] === 0 && prefix[1] === 0 && prefix[2] === 0 && prefix[3] === 0));
        const hex = (groups: number[]) => groups.map((g) => g.toString(16)).join(':');
        assert.equal(addressKey(hex([...prefix, ...a])), addressKey(hex([...prefix, ...b])));
      }),
      { numRuns: 300 },
    );
  });

  it('never returns the same key for different IPv4 addresses', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), (x, y) => {
        fc.pre(x !== y);
        assert.notEqual(addressKey(x), addressKey(y));
      }),
    );
  });

  it('gives a bounded, distinct key to something that is not an address', () => {
    const key = addressKey('not-an-address'.repeat(1000));
    assert.ok(key.startsWith('ip?:') && key.length < 64);
  });
});

describe('compoundKey', () => {
  it('is injective: different part lists never collide (property)', () => {
    // Parts built from the separator, the escape character and the hash marker, to hunt collisions.
    const part = fc.string({ unit: fc.constantFrom('a', 'b', '7', 'c', '|', '%', '#'), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), fc.array(part, { minLength: 1, maxLength: 4 }), (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        assert.notEqual(compoundKey(...a), compoundKey(...b));
      }),
      { numRuns: 2000 },
    );
  });

  it('separators inside a part cannot forge another split', () => {
    assert.notEqual(compoundKey('ip4:1.2.3.4|a', 'b'), compoundKey('ip4:1.2.3.4', 'a|b'));
    assert.notEqual(compoundKey('a%7cb'), compoundKey('a|b'));
  });

  it('hashes long parts so an attacker-chosen account name cannot grow the key', () => {
    const key = compoundKey('login', 'x'.repeat(100_000));
    assert.ok(key.length < 64);
    assert.notEqual(key, compoundKey('login', 'y'.repeat(100_000)));
  });
});
