import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { containsForbiddenKey } from './forbidden-keys.js';
import { parseJsonBody } from './json-body.js';
import { assertSafeUrlText, containsUnsafeText, isUnsafeText } from './text-safety.js';

describe('unsafe text (V2)', () => {
  it('finds NUL characters and unpaired surrogates, and nothing else', () => {
    for (const text of ['\u0000', 'a\u0000b', '\uD800', 'x\uDBFF', '\uDC00y', 'a\uDFFFb', '\uDC00\uD800']) assert.ok(isUnsafeText(text), JSON.stringify(text));
    for (const text of ['', 'plain', '\uD83D\uDE00', 'e\u0301', '\u202Eadmin', '\uFEFF', 'null \\u0000 as text']) assert.ok(!isUnsafeText(text), JSON.stringify(text));
  });

  it('refuses them anywhere in a JSON body, keys included, however they are escaped', () => {
    for (const text of ['{"a":"x\\u0000"}', '{"a":["ok",{"b":"\\ud800"}]}', '{"\\u0000":1}', '"\\uDC00"', '{"a":"\\uDBFF\\u0041"}']) {
      assert.throws(() => parseJsonBody(text), { code: 'request.invalid_text' }, text);
    }
    assert.deepEqual(parseJsonBody('{"a":"\\ud83d\\ude00","b":"\\\\u0000"}'), { a: '\uD83D\uDE00', b: '\\u0000' });
  });

  it('lists each field holding unsafe text; an unsafe key is shown by a placeholder', () => {
    const fieldsOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        const coded = error as { code: string; fieldErrors?: { field: string; code: string }[] };
        assert.equal(coded.code, 'request.invalid_text');
        for (const entry of coded.fieldErrors ?? []) assert.equal(entry.code, 'invalid_text');
        return (coded.fieldErrors ?? []).map((entry) => entry.field);
      }
      return assert.fail('accepted');
    };
    assert.deepEqual(fieldsOf(() => parseJsonBody('{"title":"x\\u0000","tags":["ok","\\ud800"],"profile":{"\\u0000k":1}}')), ['body.title', 'body.tags[1]', 'body.profile.<invalid key>']);
    assert.deepEqual(fieldsOf(() => parseJsonBody('"\\uDC00"')), ['body']);
    assert.deepEqual(fieldsOf(() => assertSafeUrlText('/v1/posts?q=a%00b')), ['url']);
  });

  it('agrees with a full walk on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }), fc.boolean(), (value, spoil) => {
        // Binary strings may hold NULs and lone surrogates anywhere; sometimes one is added on purpose.
        const body = spoil ? { value, extra: 'a\u0000' } : value;
        const text = JSON.stringify(body);
        let refused = false;
        try {
          parseJsonBody(text, { maxDepth: 100 });
        } catch (error) {
          refused = (error as { code?: string }).code === 'request.invalid_text';
        }
        const parsed: unknown = JSON.parse(text);
        // Forbidden keys are refused first, under their own code.
        assert.equal(refused, containsUnsafeText(parsed) && !containsForbiddenKey(parsed), text);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a percent-encoded NUL in a URL', () => {
    assert.throws(() => assertSafeUrlText('/v1/posts/%00'), { code: 'request.invalid_text' });
    assert.throws(() => assertSafeUrlText('/v1/posts?q=a%00b'), { code: 'request.invalid_text' });
    assert.doesNotThrow(() => assertSafeUrlText('/v1/posts?q=%2500'));
  });
});
