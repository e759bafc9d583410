import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { exceedsJsonDepth } from './json-depth.js';
import { containsForbiddenKey, isForbiddenKey, isForbiddenQueryKey } from './forbidden-keys.js';
import { parseJsonBody } from './json-body.js';

function trueDepth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  return 1 + children.reduce<number>((max, child) => Math.max(max, trueDepth(child)), 0);
}

describe('exceedsJsonDepth', () => {
  it('agrees with the real depth of any JSON value, strings with brackets and escapes included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 1, max: 12 }), (value, limit) => {
        const text = JSON.stringify(value);
        assert.equal(exceedsJsonDepth(text, limit), trueDepth(value) > limit);
      }),
      { numRuns: 500 },
    );
  });

  it('is not fooled by brackets and escaped quotes inside strings', () => {
    assert.equal(exceedsJsonDepth(JSON.stringify({ a: '\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' }), 2), false);
    assert.equal(exceedsJsonDepth('[[["\\\\"]]]', 2), true);
  });

  it('stops early on a nesting bomb', () => {
    const bomb = '['.repeat(1_000_000);
    const started = process.hrtime.bigint();
    assert.equal(exceedsJsonDepth(bomb, 32), true);
    assert.ok(process.hrtime.bigint() - started < 50_000_000n);
  });
});

describe('forbidden keys', () => {
  it('refuses prototype keys, $-operators and dotted keys', () => {
    for (const key of ['__proto__', 'constructor', 'prototype', '$gt', '$where', 'a.b', '.']) assert.ok(isForbiddenKey(key), key);
    for (const key of ['proto', 'Constructor', 'price$', 'name', '', 'a_b']) assert.ok(!isForbiddenKey(key), key);
    assert.ok(!isForbiddenKey('a.b', true));
  });

  it('checks each bracket segment of a query key', () => {
    for (const key of ['a[__proto__]', 'filter[$gt]', 'x[y][constructor]', '__proto__[a]']) assert.ok(isForbiddenQueryKey(key), key);
    for (const key of ['filter[name]', 'page', 'sort[]']) assert.ok(!isForbiddenQueryKey(key), key);
  });

  it('finds a forbidden key at any depth of any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom('__proto__', '$ne', 'a.b', 'constructor'), (value, bad) => {
        const wrapped = JSON.parse(`{"data":[${JSON.stringify(value)},{"deep":{"${bad}":1}}]}`) as unknown;
        assert.equal(containsForbiddenKey(wrapped), true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseJsonBody', () => {
  it('parses ordinary JSON', () => {
    assert.deepEqual(parseJsonBody('{"a":[1,{"b":null}]}'), { a: [1, { b: null }] });
  });

  it('throws coded errors and never the parser message', () => {
    assert.throws(() => parseJsonBody('{"a":<script>'), (e: { code: string; message: string }) => e.code === 'request.malformed_json' && !e.message.includes('script'));
    assert.throws(() => parseJsonBody('[[[1]]]', { maxDepth: 2 }), { code: 'request.json_too_deep' });
    assert.throws(() => parseJsonBody('{"__proto__":{"x":1}}'), { code: 'request.forbidden_key' });
  });

  it('lists each forbidden key by the path of its parent, never echoing the key', () => {
    const fieldsOf = (text: string, rules = {}) => {
      try {
        parseJsonBody(text, rules);
      } catch (error) {
        const coded = error as { code: string; fieldErrors?: { field: string; code: string; message: string }[] };
        assert.equal(coded.code, 'request.forbidden_key');
        for (const entry of coded.fieldErrors ?? []) assert.equal(entry.code, 'forbidden_key');
        return (coded.fieldErrors ?? []).map((entry) => entry.field);
      }
      return assert.fail(`${text} was accepted`);
    };
    assert.deepEqual(fieldsOf('{"__proto__":{"x":1}}'), ['body.<forbidden key>']);
    assert.deepEqual(fieldsOf('{"profile":{"$where":"1","name":"a"},"items":[{"ok":1},{"a.b":2}]}'), ['body.profile.<forbidden key>', 'body.items[1].<forbidden key>']);
    assert.deepEqual(fieldsOf('[{"constructor":{}}]'), ['body[0].<forbidden key>']);
    // A key on the way that is not a plain identifier is hidden too.
    const hostile = fieldsOf('{"<img src=x onerror=alert(1)>":{"$gt":""}}');
    assert.deepEqual(hostile, ['body.<key>.<forbidden key>']);
    const wide = fieldsOf(JSON.stringify(Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`k${index}`, { $ne: 1 }]))));
    assert.equal(wide.length, 20, 'the list is bounded');
    for (const text of ['{"$where":"x"}', '{"a":{"__proto__":{}}}']) assert.ok(fieldsOf(text).every((field) => !field.includes('$') && !field.includes('proto')), text);
  });

  it('never pollutes Object.prototype', () => {
    assert.throws(() => parseJsonBody('{"__proto__":{"polluted":true}}'));
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('parseJsonBody fast path', () => {
  it('still refuses forbidden keys spelled with unicode escapes', () => {
    for (const text of ['{"\\u0024gt":1}', '{"\\u005f_proto__":{"x":1}}', '{"a\\u002eb":1}', '{"constr\\u0075ctor":{}}']) {
      assert.throws(() => parseJsonBody(text), { code: 'request.forbidden_key' }, text);
    }
  });

  it('agrees with the full walk on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const text = JSON.stringify(value);
        const refused = (() => {
          try {
            parseJsonBody(text, { maxDepth: 100 });
            return false;
          } catch {
            return true;
          }
        })();
        assert.equal(refused, containsForbiddenKey(value));
      }),
      { numRuns: 500 },
    );
  });
});
