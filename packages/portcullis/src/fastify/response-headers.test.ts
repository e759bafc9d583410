import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCorsPolicy } from '../cors/index.js';
import { buildSecurityHeaders } from '../headers/index.js';
import { createResponseHeaderSets } from './response-headers.js';

const ORIGIN = 'https://app.example.com';

describe('createResponseHeaderSets', () => {
  const sets = createResponseHeaderSets(buildSecurityHeaders(), createCorsPolicy({ origins: [ORIGIN], credentials: true }));

  it('hands out the same frozen map for the same case: nothing is built per request', () => {
    const first = sets.forRequest(true, ORIGIN);
    assert.equal(sets.forRequest(true, ORIGIN), first);
    assert.ok(Object.isFrozen(first));
    assert.equal(sets.forRequest(false, 'https://evil.example'), sets.forRequest(false, undefined));
  });

  it('merges security, HSTS (HTTPS only) and CORS headers', () => {
    const secure = sets.forRequest(true, ORIGIN);
    assert.equal(secure['access-control-allow-origin'], ORIGIN);
    assert.equal(secure['x-frame-options'], 'DENY');
    assert.match(String(secure['strict-transport-security']), /max-age=63072000/);
    assert.equal(sets.forRequest(false, ORIGIN)['strict-transport-security'], undefined);
  });

  it('answers alike whatever the order of requests (the last origin is remembered)', () => {
    const fresh = createResponseHeaderSets(buildSecurityHeaders(), createCorsPolicy({ origins: [ORIGIN, 'https://admin.example.com'], credentials: true }));
    const cases: [boolean, string | undefined][] = [
      [true, ORIGIN],
      [true, ORIGIN],
      [false, ORIGIN],
      [false, 'https://evil.example'],
      [false, undefined],
      [true, 'https://admin.example.com'],
      [true, ORIGIN.toUpperCase()],
      [false, ORIGIN],
    ];
    for (const [secure, origin] of cases) {
      const expected = createResponseHeaderSets(buildSecurityHeaders(), createCorsPolicy({ origins: [ORIGIN, 'https://admin.example.com'], credentials: true }));
      assert.deepEqual(fresh.forRequest(secure, origin), expected.forRequest(secure, origin), `${secure} ${origin}`);
    }
  });

  it('a refused origin gets the security headers and Vary only', () => {
    const refused = sets.forRequest(false, 'https://evil.example');
    assert.equal(refused['access-control-allow-origin'], undefined);
    assert.equal(refused['vary'], 'Origin');
    assert.equal(refused['cache-control'], 'no-store');
    assert.equal(sets.forPreflight(false, 'null')['access-control-allow-methods'], undefined);
  });
});
