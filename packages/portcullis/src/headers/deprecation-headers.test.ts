import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPortcullisError } from '../errors/index.js';
import { formatHttpDate, formatStructuredDate, isVersionGone, versionLifecycle } from './deprecation-headers.js';

const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

describe('version lifecycle headers (L2)', () => {
  it('formats RFC 9745 dates and RFC 9110 HTTP-dates exactly, for any instant', () => {
    assert.equal(formatStructuredDate(Date.UTC(2023, 6, 1, 0, 0, 0, 999)), '@1688169600');
    assert.equal(formatHttpDate(Date.UTC(1994, 10, 6, 8, 49, 37)), 'Sun, 06 Nov 1994 08:49:37 GMT');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_000 }), (ms) => {
        assert.match(formatStructuredDate(ms), /^@\d+$/);
        assert.equal(Number(formatStructuredDate(ms).slice(1)), Math.floor(ms / 1000));
        const http = formatHttpDate(ms);
        assert.match(http, IMF_FIXDATE);
        assert.equal(Date.parse(http), Math.floor(ms / 1000) * 1000);
      }),
    );
  });

  it('precomputes frozen headers and the 410 once', () => {
    const v1 = versionLifecycle('v1', {
      status: 'deprecated',
      deprecatedAt: new Date('2025-01-01T00:00:00Z'),
      sunsetAt: new Date('2026-01-01T00:00:00Z'),
      link: 'https://example.com/migrate',
      sunsetLink: 'https://example.com/sunset',
    });
    assert.deepEqual(v1.headers, {
      deprecation: '@1735689600',
      sunset: 'Thu, 01 Jan 2026 00:00:00 GMT',
      link: '<https://example.com/migrate>; rel="deprecation"; type="text/html", <https://example.com/sunset>; rel="sunset"; type="text/html"',
    });
    assert.ok(Object.isFrozen(v1.headers));
    assert.equal(v1.goneFrom, Date.parse('2026-01-01T00:00:00Z'));
    assert.equal(v1.gone.code, 'api.version_sunset');
    assert.equal(v1.gone.status, 410);
    assert.equal(v1.gone.headers, v1.headers);
    assert.equal(isVersionGone(v1, Date.parse('2025-12-31T23:59:59.999Z')), false);
    assert.equal(isVersionGone(v1, Date.parse('2026-01-01T00:00:00Z')), true);
  });

  it('current: nothing to send, never gone; sunset: gone at once', () => {
    const current = versionLifecycle('v1', { status: 'current', link: 'https://example.com/ignored' });
    assert.equal(current.headers, undefined);
    assert.equal(current.goneFrom, undefined);
    assert.equal(isVersionGone(current, Number.MAX_SAFE_INTEGER), false);
    const sunset = versionLifecycle('v1', { status: 'sunset' });
    assert.equal(sunset.goneFrom, 0);
    assert.equal(isVersionGone(sunset), true);
    assert.equal(sunset.gone.detail, 'API version v1 has been retired.');
  });

  it('refuses configurations it cannot honour, and links that could split a header', () => {
    const refuses = (fn: () => unknown, detail: RegExp) =>
      assert.throws(fn, (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid' && detail.test(String(error.detail)));
    refuses(() => versionLifecycle('v1', { status: 'deprecated' }), /needs deprecatedAt/);
    refuses(() => versionLifecycle('v1', { status: 'gone' as never }), /status must be/);
    refuses(() => versionLifecycle('v 1', { status: 'current' }), /version name/);
    refuses(() => versionLifecycle('v1', { status: 'sunset', sunsetAt: new Date('nope') }), /sunsetAt is not a valid date/);
    refuses(() => versionLifecycle('v1', { status: 'deprecated', deprecatedAt: new Date(2), sunsetAt: new Date(1) }), /before deprecatedAt/);
    refuses(() => versionLifecycle('v1', { status: 'deprecated', deprecatedAt: new Date(0), link: 'ftp://example.com/x' }), /http\(s\) URL/);
    refuses(() => versionLifecycle('v1', { status: 'deprecated', deprecatedAt: new Date(0), link: '/relative' }), /absolute URL/);
    // The URL parser percent-encodes what would end the <...> or the line.
    const odd = versionLifecycle('v1', { status: 'deprecated', deprecatedAt: new Date(0), link: 'https://example.com/a b>c<d"\r\nx: y' });
    assert.equal(odd.headers?.['link'], '<https://example.com/a%20b%3Ec%3Cd%22x:%20y>; rel="deprecation"; type="text/html"');
  });
});
