import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPortcullisError } from '../errors/index.js';
import { parseCookieHeader } from './cookie-header.js';
import { checkCsrf, createCsrfCheck, looksLikeCsrfToken, newCsrfToken, type CsrfOptions, type CsrfRequest } from './csrf-check.js';

const options: CsrfOptions = { allowedOrigins: ['https://app.example.com'], cookieName: 'csrf', headerName: 'x-csrf-token' };
const refused = { code: 'auth.csrf_refused' };
const token = newCsrfToken();

function request(overrides: { method?: string; headers?: CsrfRequest['headers']; cookies?: CsrfRequest['cookies'] } = {}): CsrfRequest {
  return {
    method: overrides.method ?? 'POST',
    headers: overrides.headers ?? { origin: 'https://app.example.com', 'sec-fetch-site': 'same-origin', 'x-csrf-token': token },
    cookies: overrides.cookies ?? { csrf: token },
  };
}

describe('checkCsrf', () => {
  it('passes a same-origin POST whose header token matches its cookie', () => {
    checkCsrf(request(), options);
    checkCsrf(request({ headers: { 'x-csrf-token': token } }), options);
    checkCsrf(request({ headers: { 'sec-fetch-site': 'none', 'x-csrf-token': token } }), options);
    for (const method of ['PUT', 'PATCH', 'DELETE']) checkCsrf(request({ method }), options);
  });

  it('lets GET, HEAD and OPTIONS through untouched', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      checkCsrf({ method, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, cookies: {} }, options);
    }
  });

  it('treats any other method, whatever its case, as unsafe', () => {
    for (const method of ['get', 'Post', 'TRACE', 'CONNECT', 'PROPFIND', '']) {
      assert.throws(() => checkCsrf({ method, headers: {}, cookies: {} }, options), refused, method);
    }
  });

  it('refuses a missing header token, a missing cookie and a mismatch', () => {
    assert.throws(() => checkCsrf(request({ headers: { origin: 'https://app.example.com' } }), options), refused);
    assert.throws(() => checkCsrf(request({ cookies: {} }), options), refused);
    assert.throws(() => checkCsrf(request({ cookies: { csrf: newCsrfToken() } }), options), refused);
    assert.throws(() => checkCsrf(request({ cookies: { other: token } }), options), refused);
  });

  it('refuses equal but malformed tokens (empty, short, non-canonical)', () => {
    for (const bad of ['', 'abc', 'x'.repeat(43), `${token.slice(0, 42)}B`, `${token} `]) {
      if (looksLikeCsrfToken(bad)) continue;
      assert.throws(() => checkCsrf(request({ headers: { 'x-csrf-token': bad }, cookies: { csrf: bad } }), options), refused, bad);
    }
  });

  it('refuses a foreign Origin and Origin: null, even with matching tokens', () => {
    for (const origin of ['https://evil.example', 'null', 'https://app.example.com.evil.example', 'http://app.example.com', 'https://app.example.com:8443', 'https://APP.example.com', 'https://app.example.com/', '']) {
      assert.throws(() => checkCsrf(request({ headers: { origin, 'x-csrf-token': token } }), options), refused, origin);
    }
  });

  it('refuses cross-site and, by default, same-site fetches', () => {
    for (const site of ['cross-site', 'same-site', 'Same-Origin', 'bogus', '']) {
      assert.throws(() => checkCsrf(request({ headers: { 'sec-fetch-site': site, 'x-csrf-token': token } }), options), refused, site);
    }
    const sibling: CsrfOptions = { ...options, allowSameSite: true };
    checkCsrf(request({ headers: { 'sec-fetch-site': 'same-site', origin: 'https://app.example.com', 'x-csrf-token': token } }), sibling);
    assert.throws(() => checkCsrf(request({ headers: { 'sec-fetch-site': 'cross-site', 'x-csrf-token': token } }), sibling), refused);
  });

  it('refuses any of its headers sent twice', () => {
    for (const headers of [
      { 'x-csrf-token': [token, token] },
      { 'x-csrf-token': token, 'X-CSRF-Token': token },
      { 'x-csrf-token': token, origin: ['https://app.example.com', 'https://app.example.com'] },
      { 'x-csrf-token': token, 'sec-fetch-site': ['same-origin', 'same-origin'] },
      { 'x-csrf-token': [] as string[] },
    ]) {
      assert.throws(() => checkCsrf(request({ headers }), options), refused, JSON.stringify(headers));
    }
  });

  it('finds headers whatever the case of their names', () => {
    checkCsrf(request({ headers: { Origin: 'https://app.example.com', 'Sec-Fetch-Site': 'same-origin', 'X-Csrf-Token': token } }), options);
    checkCsrf(request(), { ...options, headerName: 'X-CSRF-Token' });
    assert.throws(() => checkCsrf(request({ headers: { 'SEC-FETCH-SITE': 'cross-site', 'x-csrf-token': token } }), options), refused);
  });

  it('refuses when a cookie-tossing attacker plants a second CSRF cookie', () => {
    const attackerToken = newCsrfToken();
    const cookies = parseCookieHeader(`csrf=${attackerToken}; csrf=${token}`);
    assert.throws(() => checkCsrf(request({ headers: { 'x-csrf-token': attackerToken }, cookies }), options), refused);
    assert.throws(() => checkCsrf(request({ headers: { 'x-csrf-token': token }, cookies }), options), refused);
  });

  it('does not read the cookie name through the prototype', () => {
    const sneaky: CsrfOptions = { ...options, cookieName: 'constructor' };
    assert.throws(() => checkCsrf(request({ cookies: {} }), sneaky), refused);
  });

  it('says why in a fixed detail, never echoing the request', () => {
    try {
      checkCsrf(request({ headers: { origin: 'https://evil.example/<script>', 'x-csrf-token': token } }), options);
      assert.fail('expected a refusal');
    } catch (error) {
      assert.ok(isPortcullisError(error));
      assert.equal(error.status, 403);
      assert.ok(!(error.detail ?? '').includes('evil'));
    }
  });

  it('refuses bad options with config.invalid', () => {
    for (const bad of [
      { ...options, allowedOrigins: ['null'] },
      { ...options, allowedOrigins: ['*'] },
      { ...options, allowedOrigins: ['https://app.example.com/'] },
      { ...options, allowedOrigins: ['https://app.example.com/path'] },
      { ...options, allowedOrigins: ['ftp://app.example.com'] },
      { ...options, allowedOrigins: ['app.example.com'] },
      { ...options, allowedOrigins: 'https://app.example.com' as unknown as string[] },
      { ...options, cookieName: 'bad name' },
      { ...options, cookieName: '' },
      { ...options, headerName: 'x csrf' },
    ]) {
      assert.throws(() => createCsrfCheck(bad), { code: 'config.invalid' }, JSON.stringify(bad));
      assert.throws(() => checkCsrf(request(), bad), { code: 'config.invalid' });
    }
  });

  it('never throws anything but auth.csrf_refused, and passes only on a matching well-formed token', () => {
    const headerValue = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.constant(token),
      fc.constantFrom('https://app.example.com', 'null', 'same-origin', 'same-site', 'cross-site', 'none'),
      fc.array(fc.string(), { maxLength: 3 }),
    );
    let passedUnsafe = 0;
    const headerName = fc.constantFrom('origin', 'Origin', 'sec-fetch-site', 'x-csrf-token', 'X-CSRF-TOKEN', 'cookie', '__proto__', 'constructor');
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH'), fc.string()),
        fc.dictionary(fc.oneof(headerName, fc.string()), headerValue),
        fc.dictionary(fc.oneof(fc.constantFrom('csrf', '__proto__', 'constructor'), fc.string()), fc.oneof(fc.string(), fc.constant(token))),
        (method, headers, cookies) => {
          const given = { method, headers: headers as CsrfRequest['headers'], cookies };
          try {
            checkCsrf(given, options);
          } catch (error) {
            assert.ok(isPortcullisError(error) && error.code === 'auth.csrf_refused', String(error));
            return;
          }
          if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return;
          const cookie = Object.hasOwn(cookies, 'csrf') ? cookies.csrf : undefined;
          const sent = Object.entries(headers)
            .filter(([name]) => name.toLowerCase() === 'x-csrf-token')
            .flatMap(([, value]) => (value === undefined ? [] : value));
          passedUnsafe++;
          assert.ok(looksLikeCsrfToken(cookie));
          assert.deepEqual(sent, [cookie]);
        },
      ),
      { numRuns: 1000 },
    );
    assert.ok(passedUnsafe > 0, 'the generators never produced a passing unsafe request');
  });
});

describe('checkCsrf on legitimate traffic', () => {
  it('passes a good request whatever unrelated headers and cookies come with it', () => {
    const guarded = new Set(['origin', 'sec-fetch-site', 'x-csrf-token']);
    fc.assert(
      fc.property(
        fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE'),
        fc.dictionary(fc.string().filter((name) => !guarded.has(name.toLowerCase())), fc.oneof(fc.string(), fc.array(fc.string()))),
        fc.dictionary(fc.string().filter((name) => name !== 'csrf'), fc.string()),
        fc.constantFrom<Record<string, string>>({}, { origin: 'https://app.example.com' }, { 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none', origin: 'https://app.example.com' }),
        (method, extraHeaders, extraCookies, provenance) => {
          const fresh = newCsrfToken();
          checkCsrf({ method, headers: { ...extraHeaders, ...provenance, 'x-csrf-token': fresh }, cookies: { ...extraCookies, csrf: fresh } }, options);
        },
      ),
    );
  });
});

describe('newCsrfToken', () => {
  it('makes distinct 256-bit tokens that pass the shape check', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => newCsrfToken()));
    assert.equal(tokens.size, 200);
    for (const each of tokens) assert.ok(looksLikeCsrfToken(each));
  });
});
