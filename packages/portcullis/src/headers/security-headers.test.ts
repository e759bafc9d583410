import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildSecurityHeaders } from './security-headers.js';

describe('buildSecurityHeaders', () => {
  it('has the API defaults and HSTS for HTTPS only', () => {
    const headers = buildSecurityHeaders();
    assert.equal(headers.always['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
    assert.equal(headers.always['cache-control'], 'no-store');
    assert.equal(headers.always['strict-transport-security'], undefined);
    assert.equal(headers.httpsOnly['strict-transport-security'], 'max-age=63072000; includeSubDomains; preload');
  });

  it('is frozen, so no request can alter what the next one gets', () => {
    const headers = buildSecurityHeaders();
    assert.ok(Object.isFrozen(headers.always) && Object.isFrozen(headers.httpsOnly));
  });

  it('takes options', () => {
    const headers = buildSecurityHeaders({ cacheControl: false, hsts: { maxAgeSeconds: 300, preload: false }, referrerPolicy: 'same-origin' });
    assert.equal(headers.always['cache-control'], undefined);
    assert.equal(headers.always['referrer-policy'], 'same-origin');
    assert.equal(headers.httpsOnly['strict-transport-security'], 'max-age=300; includeSubDomains');
  });
});
