import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPortcullisError } from '../errors/index.js';
import { parseCookieHeader, serializeCookie } from './cookie-header.js';

const COOKIE_OCTET = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const tokenChar = fc.constantFrom(...'!#$%&\'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
const cookieName = fc.array(tokenChar, { minLength: 1, maxLength: 20 }).map((chars) => chars.join(''));
const cookieOctet = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)).filter((char) => COOKIE_OCTET.test(char));
const cookieValue = fc.array(cookieOctet, { maxLength: 60 }).map((chars) => chars.join(''));

describe('serializeCookie', () => {
  it('writes the name, value and attributes in a fixed order', () => {
    assert.equal(
      serializeCookie('refresh', 'abc_DEF-123', {
        httpOnly: true,
        secure: true,
        sameSite: 'Strict',
        path: '/v1/auth',
        maxAge: 604800,
        expires: new Date(Date.UTC(2030, 0, 1)),
        domain: 'api.example.com',
      }),
      'refresh=abc_DEF-123; Max-Age=604800; Expires=Tue, 01 Jan 2030 00:00:00 GMT; Domain=api.example.com; Path=/v1/auth; HttpOnly; Secure; SameSite=Strict',
    );
    assert.equal(serializeCookie('csrf', ''), 'csrf=');
  });

  it('refuses values that could inject a header or an attribute', () => {
    for (const value of ['a\r\nSet-Cookie: admin=1', 'a\nb', 'a\rb', 'a; Domain=evil.example', 'a,b', 'a b', '"quoted"', 'a\\b', 'a\u0000b', 'a\tb', 'café', 'x'.repeat(4097)]) {
      assert.throws(() => serializeCookie('csrf', value, { secure: true }), { code: 'internal.unexpected' }, JSON.stringify(value));
    }
  });

  it('refuses bad names and attributes', () => {
    const cases: [string, Parameters<typeof serializeCookie>[2]][] = [
      ['', {}],
      ['a=b', {}],
      ['a b', {}],
      ['a;b', {}],
      ['a\r\nb', {}],
      ['n'.repeat(257), {}],
      ['ok', { path: 'v1/auth' }],
      ['ok', { path: '/v1; Domain=evil.example' }],
      ['ok', { path: '/v1\r\nX: y' }],
      ['ok', { path: '/with space' }],
      ['ok', { domain: 'evil.example; Secure' }],
      ['ok', { domain: 'Example.COM' }],
      ['ok', { domain: '' }],
      ['ok', { maxAge: -1 }],
      ['ok', { maxAge: 1.5 }],
      ['ok', { maxAge: Number.POSITIVE_INFINITY }],
      ['ok', { expires: new Date(Number.NaN) }],
      ['ok', { sameSite: 'None' }],
      ['ok', { sameSite: 'strict' as 'Strict' }],
      ['__Secure-x', { secure: false }],
      ['__Host-x', { secure: true, path: '/v1/auth' }],
      ['__Host-x', { secure: true, path: '/', domain: 'example.com' }],
      ['__Host-x', { path: '/' }],
    ];
    for (const [name, attributes] of cases) {
      assert.throws(() => serializeCookie(name, 'v', attributes), { code: 'config.invalid' }, `${name} ${JSON.stringify(attributes)}`);
    }
    assert.equal(serializeCookie('__Host-csrf', 'v', { secure: true, path: '/' }), '__Host-csrf=v; Path=/; Secure');
    assert.equal(serializeCookie('x', 'v', { sameSite: 'None', secure: true }), 'x=v; Secure; SameSite=None');
  });

  it('either refuses or writes a header with no line break whose first pair reads back as given', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 60 }), fc.string({ maxLength: 20 }), (name, value, path) => {
        let header: string;
        try {
          header = serializeCookie(name, value, { path: `/${path}`, secure: true });
        } catch (error) {
          assert.ok(isPortcullisError(error) && (error.code === 'config.invalid' || error.code === 'internal.unexpected'));
          return;
        }
        assert.ok(!/[\r\n\u0000]/.test(header));
        assert.equal(parseCookieHeader(header.split(';')[0])[name], value);
        assert.equal(header.split(';').length, 3);
      }),
    );
  });
});

describe('parseCookieHeader', () => {
  it('reads pairs, trimming whitespace and one pair of quotes, without decoding', () => {
    const cookies = parseCookieHeader('a=1;b=two ;  c="quoted" ; d=%41; e=; f=x=y');
    assert.deepEqual({ ...cookies }, { a: '1', b: 'two', c: 'quoted', d: '%41', e: '', f: 'x=y' });
    assert.deepEqual({ ...parseCookieHeader(undefined) }, {});
    assert.deepEqual({ ...parseCookieHeader('') }, {});
  });

  it('skips malformed pairs', () => {
    const cookies = parseCookieHeader('novalue; =anon; bad name=1; ok=1; sp=a b; q="a;b"; comma=a,b; t=a\u0001b; u=caf\u00e9');
    assert.deepEqual({ ...cookies }, { ok: '1' });
  });

  it('drops a name sent twice, so a tossed cookie makes the check fail closed', () => {
    const tossed = parseCookieHeader('csrf=attacker; other=1; csrf=victim');
    assert.equal(tossed.csrf, undefined);
    assert.equal(tossed.other, '1');
    assert.equal(parseCookieHeader('refresh=a; refresh=a; refresh=b').refresh, undefined);
    assert.equal(parseCookieHeader('x=1; x="1"').x, undefined);
    assert.equal(parseCookieHeader(['x=1', 'x=2']).x, undefined);
    // A malformed copy is no copy at all: it is skipped, not counted.
    assert.equal(parseCookieHeader('x=good; x=bad value').x, 'good');
  });

  it('joins several Cookie headers', () => {
    assert.deepEqual({ ...parseCookieHeader(['a=1', 'b=2']) }, { a: '1', b: '2' });
  });

  it('caps the header length', () => {
    const atCap = `a=${'x'.repeat(4096)}; b=${'y'.repeat(8192 - 4098 - 4)}`;
    assert.equal(atCap.length, 8192);
    const cookies = parseCookieHeader(atCap);
    assert.equal(cookies.a?.length, 4096);
    assert.equal(cookies.b?.length, 4090);
    assert.equal(parseCookieHeader(`a=${'x'.repeat(4097)}`).a, undefined);
    assert.throws(() => parseCookieHeader(`${atCap}y`), { code: 'request.header_too_large' });
    assert.throws(() => parseCookieHeader(['a=1', 'x'.repeat(8188)]), { code: 'request.header_too_large' });
    assert.equal(parseCookieHeader(['a=1', 'x'.repeat(8187)]).a, '1');
    assert.throws(() => parseCookieHeader('a=1', { maxLength: 2 }), { code: 'request.header_too_large' });
  });

  it('cannot be polluted through special names', () => {
    const cookies = parseCookieHeader('__proto__=1; constructor=2; toString=3; hasOwnProperty=4');
    assert.equal(Object.getPrototypeOf(cookies), null);
    assert.equal(cookies.__proto__, '1');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(parseCookieHeader('other=1').constructor, undefined);
    assert.equal(parseCookieHeader('__proto__=1; __proto__=2').__proto__, undefined);
  });

  it('never throws (below the cap) and keeps only token names and cookie-octet values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.string({ maxLength: 100 }), { maxLength: 4 })), (header) => {
        const cookies = parseCookieHeader(header);
        for (const [name, value] of Object.entries(cookies)) {
          assert.match(name, /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          assert.match(value, COOKIE_OCTET);
        }
      }),
    );
  });

  it('reads back what was written, and drops any name written twice', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(cookieName, cookieValue), { maxLength: 12 }), (pairs) => {
        const header = pairs.map(([name, value]) => serializeCookie(name, value)).join('; ');
        const cookies = parseCookieHeader(header);
        const counts = new Map<string, number>();
        for (const [name] of pairs) counts.set(name, (counts.get(name) ?? 0) + 1);
        for (const [name, value] of pairs) assert.equal(cookies[name], counts.get(name) === 1 ? value : undefined);
      }),
    );
  });
});
