import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { API_KEY_LENGTH, API_KEY_PATTERN, apiKeyFromBytes, looksLikeApiKey, newApiKey, parseApiKey, type ApiKeyEnvironment } from './api-key-format.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The body and checksum: the characters after `pk_live_`. */
const FIRST_RANDOM = 8;

function refused(text: unknown): void {
  assert.throws(() => parseApiKey(text), (error: unknown) => {
    assert.equal((error as { code?: string }).code, 'auth.api_key_invalid');
    return true;
  });
}

function substitute(key: string, at: number, char: string): string {
  return key.slice(0, at) + char + key.slice(at + 1);
}

const keyArbitrary = fc
  .tuple(fc.constantFrom<ApiKeyEnvironment>('live', 'test'), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([environment, bytes]) => apiKeyFromBytes(environment, bytes).key);

describe('newApiKey', () => {
  it('round-trips through parseApiKey with its environment and display prefix', () => {
    for (const environment of ['live', 'test'] as const) {
      const { key, displayPrefix } = newApiKey(environment);
      assert.equal(key.length, API_KEY_LENGTH);
      assert.equal(key.length, 57);
      assert.ok(key.startsWith(`pk_${environment}_`));
      assert.equal(displayPrefix, key.slice(0, 16));
      assert.deepEqual(parseApiKey(key), { environment, displayPrefix });
    }
  });

  it('mints 1,000 distinct keys, each matching API_KEY_PATTERN', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => newApiKey('live').key));
    assert.equal(keys.size, 1000);
    for (const key of keys) assert.match(key, API_KEY_PATTERN);
    // Fixed width: the smallest and largest 256-bit values spell keys of the same length.
    assert.equal(apiKeyFromBytes('test', new Uint8Array(32)).key.length, API_KEY_LENGTH);
    assert.equal(apiKeyFromBytes('test', new Uint8Array(32).fill(255)).key.length, API_KEY_LENGTH);
  });

  it('spells the bytes as big-endian base62', () => {
    const small = new Uint8Array(32);
    small.set([0x0f, 0x83], 30); // 3971 = 1*62^2 + 2*62 + 3
    assert.equal(apiKeyFromBytes('live', small).key.slice(8, 51), `${'0'.repeat(40)}123`);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const body = apiKeyFromBytes('live', bytes).key.slice(8, 51);
        const value = [...body].reduce((sum, char) => sum * 62n + BigInt(BASE62.indexOf(char)), 0n);
        assert.equal(value.toString(16).padStart(64, '0'), Buffer.from(bytes).toString('hex'));
      }),
    );
  });

  it('refuses an unknown environment or the wrong number of bytes as config.invalid', () => {
    assert.throws(() => newApiKey('prod' as ApiKeyEnvironment), { code: 'config.invalid' });
    assert.throws(() => apiKeyFromBytes('live', new Uint8Array(31)), { code: 'config.invalid' });
  });
});

describe('parseApiKey', () => {
  const { key } = newApiKey('live');

  it('refuses every single-character substitution of a key', () => {
    for (let at = FIRST_RANDOM; at < key.length; at++) {
      for (const char of BASE62) if (char !== key[at]) refused(substitute(key, at, char));
    }
    fc.assert(
      fc.property(keyArbitrary, fc.nat(), fc.integer({ min: 1, max: 61 }), (any, position, shift) => {
        const at = FIRST_RANDOM + (position % (API_KEY_LENGTH - FIRST_RANDOM));
        const char = BASE62.charAt((BASE62.indexOf(any.charAt(at)) + shift) % 62);
        parseApiKey(any);
        refused(substitute(any, at, char));
      }),
    );
  });

  it('refuses every transposition of two adjacent different characters', () => {
    fc.assert(
      fc.property(keyArbitrary, (any) => {
        for (let at = 0; at + 1 < any.length; at++) {
          if (any[at] === any[at + 1]) continue;
          refused(any.slice(0, at) + any.charAt(at + 1) + any.charAt(at) + any.slice(at + 2));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a wrong prefix, a length off by one, non-base62 characters and non-strings', () => {
    const body = key.slice(8);
    for (const bad of [`pk_prod_${body}`, `sk_live_${body}`, `PK_LIVE_${body}`, `pk_live${body}`, `pk_live_${body}A`, key.slice(0, -1), key.slice(1), `${key}\n`, ` ${key}`, '']) {
      refused(bad);
    }
    for (const char of ['-', '_', '+', '/', '=', '.', ' ', 'é', '\u0000']) refused(substitute(key, 20, char));
    for (const bad of [undefined, null, 42, {}, [key], Buffer.from(key), new String(key)]) refused(bad);
  });

  it('never echoes the input in its error', () => {
    const nearMiss = substitute(key, 30, key[30] === 'a' ? 'b' : 'a');
    for (const bad of [nearMiss, `${key}x`, key.slice(0, -1)]) {
      try {
        parseApiKey(bad);
        assert.fail('accepted');
      } catch (error) {
        const { message, detail } = error as { message: string; detail: string };
        for (const text of [message, detail, JSON.stringify(error)]) {
          assert.ok(!text.includes(key.slice(8, 24)), text);
          assert.ok(!text.includes(bad.slice(8, 24)), text);
        }
      }
    }
  });

  it('never throws anything but auth.api_key_invalid, and accepts only pattern matches', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.string({ unit: fc.constantFrom(...BASE62), minLength: 49, maxLength: 49 }).map((s) => `pk_live_${s}`)), (input) => {
        try {
          parseApiKey(input);
          assert.match(input as string, API_KEY_PATTERN);
        } catch (error) {
          assert.equal((error as { code?: string }).code, 'auth.api_key_invalid');
        }
      }),
    );
  });
});

describe('looksLikeApiKey', () => {
  it('tells a pk_ credential from a JWT or anything else', () => {
    assert.equal(looksLikeApiKey(newApiKey('test').key), true);
    assert.equal(looksLikeApiKey('pk_anything'), true);
    for (const other of ['eyJhbGciOiJIUzI1NiJ9.e30.sig', 'PK_live_x', '', ' pk_live_', undefined, 42, ['pk_']]) {
      assert.equal(looksLikeApiKey(other), false, String(other));
    }
  });
});
