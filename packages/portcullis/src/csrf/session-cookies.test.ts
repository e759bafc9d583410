import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serializeCookie } from './cookie-header.js';
import { clearingCookieAttributes, csrfCookieAttributes, refreshCookieAttributes } from './session-cookies.js';

describe('session cookie attributes', () => {
  it('writes the refresh cookie httpOnly, Secure, SameSite=Strict on the auth path for seven days', () => {
    assert.equal(serializeCookie('refresh', 'tok', refreshCookieAttributes()), 'refresh=tok; Max-Age=604800; Path=/v1/auth; HttpOnly; Secure; SameSite=Strict');
  });

  it('writes the CSRF cookie readable by the page, Secure, SameSite=Strict', () => {
    assert.equal(serializeCookie('csrf', 'tok', csrfCookieAttributes()), 'csrf=tok; Path=/v1/auth; Secure; SameSite=Strict');
    assert.equal(serializeCookie('csrf', 'tok', csrfCookieAttributes({ path: '/', maxAge: 60 })), 'csrf=tok; Max-Age=60; Path=/; Secure; SameSite=Strict');
  });

  it('drops Secure only when asked (local development) and keeps SameSite=Strict', () => {
    assert.equal(serializeCookie('refresh', 'tok', refreshCookieAttributes({ secure: false, maxAge: 10 })), 'refresh=tok; Max-Age=10; Path=/v1/auth; HttpOnly; SameSite=Strict');
  });

  it('clears a cookie with the same path and a zero Max-Age', () => {
    assert.equal(
      serializeCookie('refresh', '', clearingCookieAttributes(refreshCookieAttributes())),
      'refresh=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/v1/auth; HttpOnly; Secure; SameSite=Strict',
    );
  });

  it('refuses a bad path or max age at once', () => {
    assert.throws(() => refreshCookieAttributes({ path: '/v1;Domain=evil' }), { code: 'config.invalid' });
    assert.throws(() => csrfCookieAttributes({ maxAge: -5 }), { code: 'config.invalid' });
  });
});
