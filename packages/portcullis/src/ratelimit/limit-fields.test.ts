import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assertPolicyName, formatLimitItem, formatPolicyItem, retryAfterSeconds } from './limit-fields.js';

/**
 * A strict parser for the part of RFC 8941 that draft-ietf-httpapi-ratelimit-headers-10 uses:
 * an sf-list of items whose bare item is an sf-string, each with parameters whose keys are
 * lower-case tokens and whose values are sf-integers. Returns undefined for anything else.
 */
function parseRateLimitList(field: string): { name: string; params: Record<string, number> }[] | undefined {
  const items: { name: string; params: Record<string, number> }[] = [];
  let at = 0;
  const KEY = /[a-z*][a-z0-9_.*-]*/y;
  const INTEGER = /-?[0-9]{1,15}/y;
  for (;;) {
    if (field[at] !== '"') return undefined;
    let name = '';
    at += 1;
    for (;;) {
      const char = field[at];
      if (char === undefined) return undefined;
      if (char === '"') break;
      if (char === '\\') {
        const next = field[at + 1];
        if (next !== '"' && next !== '\\') return undefined;
        name += next;
        at += 2;
        continue;
      }
      const code = char.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) return undefined;
      name += char;
      at += 1;
    }
    at += 1;
    const params: Record<string, number> = {};
    while (field[at] === ';') {
      at += 1;
      KEY.lastIndex = at;
      const key = KEY.exec(field)?.[0];
      if (key === undefined) return undefined;
      at += key.length;
      if (field[at] !== '=') return undefined;
      at += 1;
      INTEGER.lastIndex = at;
      const value = INTEGER.exec(field)?.[0];
      if (value === undefined) return undefined;
      at += value.length;
      if (key in params) return undefined;
      params[key] = Number(value);
    }
    items.push({ name, params });
    if (at === field.length) return items;
    if (field.slice(at, at + 2) !== ', ') return undefined;
    at += 2;
  }
}

const policyName = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/);

describe('IETF RateLimit fields (draft-10 syntax)', () => {
  it('RateLimit-Policy items parse as sf-string with integer q and w, q and w exact (property)', () => {
    fc.assert(
      fc.property(policyName, fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 366 * 86_400_000 }), (name, limit, windowMs) => {
        const item = formatPolicyItem(name, limit, windowMs);
        const parsed = parseRateLimitList(item);
        assert.deepEqual(parsed, [{ name, params: { q: limit, w: Math.ceil(windowMs / 1000) } }]);
      }),
    );
  });

  it('RateLimit items parse with non-negative integer r and t, t rounded up (property)', () => {
    fc.assert(
      fc.property(policyName, fc.nat(1e9), fc.nat(366 * 86_400_000), (name, remaining, resetAfterMs) => {
        const item = formatLimitItem(name, { allowed: true, limit: remaining + 1, remaining, resetAfterMs, retryAfterMs: 0, blocked: false });
        const parsed = parseRateLimitList(item);
        assert.deepEqual(parsed, [{ name, params: { r: remaining, t: Math.ceil(resetAfterMs / 1000) } }]);
      }),
    );
  });

  it('the examples of the issue and the draft', () => {
    assert.equal(formatPolicyItem('api', 100, 60_000), '"api";q=100;w=60');
    assert.equal(formatLimitItem('api', { allowed: true, limit: 100, remaining: 42, resetAfterMs: 16_001, retryAfterMs: 0, blocked: false }), '"api";r=42;t=17');
    assert.deepEqual(parseRateLimitList('"api";q=100;w=60, "login";q=10;w=900')?.map((item) => item.name), ['api', 'login']);
    assert.equal(parseRateLimitList('api;q=100'), undefined, 'the parser refuses a token where a string belongs');
  });

  it('refuses policy names that would need escaping or are not names', () => {
    for (const bad of ['', 'API', 'a"b', 'a\\b', 'a b', 'a,b', 'a;b', '-a', 'x'.repeat(65), 'é']) {
      assert.throws(() => assertPolicyName(bad), { code: 'config.invalid' }, JSON.stringify(bad));
    }
  });

  it('Retry-After is whole seconds, at least 1, never early', () => {
    assert.equal(retryAfterSeconds(0), '1');
    assert.equal(retryAfterSeconds(1), '1');
    assert.equal(retryAfterSeconds(1000), '1');
    assert.equal(retryAfterSeconds(1001), '2');
  });
});
