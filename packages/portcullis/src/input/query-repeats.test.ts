import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'fast-querystring';
import { PortcullisError } from '../errors/index.js';
import { assertSingleValuedQuery, hasRepeatedParameter, NO_QUERY_LISTS, withListValues, type QueryListRules } from './query-repeats.js';

const rules = (lists: string[], declared: string[] = lists): QueryListRules => ({ lists: new Set(lists), declared: new Set([...declared, ...lists]) });

function refusal(run: () => unknown): PortcullisError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof PortcullisError);
    return error;
  }
  assert.fail('expected a refusal');
}

// The queries below are parsed by the parser Fastify itself uses, so the tests see what the hook sees.
describe('parameter pollution (V2)', () => {
  it('refuses a repeated parameter, however it is spelled, when the route does not take a list', () => {
    for (const text of ['limit=1&limit=100', 'cursor=a&cursor=b', '%6cimit=1&limit=2', 'a&a', 'a[]=1&a[]=2', 'x=1&y=2&x=3']) {
      const query = parse(text) as Record<string, unknown>;
      assert.ok(hasRepeatedParameter(query), text);
      const error = refusal(() => assertSingleValuedQuery(query, NO_QUERY_LISTS));
      assert.equal(error.code, 'request.validation_failed', text);
      assert.ok(error.fieldErrors?.length === 1 && error.fieldErrors[0]?.code === 'duplicate_parameter', text);
    }
  });

  it('names a declared parameter, and reports an undeclared one as "query" without echoing it', () => {
    const declared = refusal(() => assertSingleValuedQuery(parse('limit=1&limit=2&x=1&x=2') as Record<string, unknown>, rules([], ['limit'])));
    assert.deepEqual(declared.fieldErrors?.map((error) => `${error.field}:${error.code}`), ['limit:duplicate_parameter', 'query:duplicate_parameter']);
    const hostile = refusal(() => assertSingleValuedQuery(parse('%3Cscript%3E=1&%3Cscript%3E=2&b=1&b=2') as Record<string, unknown>, rules([], ['limit'])));
    assert.deepEqual(hostile.fieldErrors?.map((error) => error.field), ['query'], 'one entry for every undeclared repeat');
    assert.ok(!JSON.stringify({ detail: hostile.detail, message: hostile.message, errors: hostile.fieldErrors }).includes('script'));
  });

  it('passes a repeated parameter the schema declares as a list, and only that one', () => {
    const lists = rules(['tag'], ['limit']);
    assert.doesNotThrow(() => assertSingleValuedQuery(parse('tag=a&tag=b&limit=2') as Record<string, unknown>, lists));
    assert.throws(() => assertSingleValuedQuery(parse('tag=a&tag=b&limit=2&limit=3') as Record<string, unknown>, lists), { code: 'request.validation_failed' });
    assert.doesNotThrow(() => assertSingleValuedQuery(parse('tag=a&limit=2') as Record<string, unknown>, NO_QUERY_LISTS));
  });

  it('hands a list given once to the schema as an array, without touching the original', () => {
    const query = parse('tag=a&limit=2') as Record<string, unknown>;
    const listed = withListValues(query, new Set(['tag', 'absent']));
    assert.deepEqual({ ...listed }, { tag: ['a'], limit: '2' });
    assert.equal(query['tag'], 'a');
    const already = parse('tag=a&tag=b') as Record<string, unknown>;
    assert.equal(withListValues(already, new Set(['tag'])), already, 'nothing to change: the same object');
  });

  it('agrees with a count of the names on any query string', () => {
    const name = fc.constantFrom('a', 'b', 'limit', 'tag', 'c%20d');
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.string({ maxLength: 4 })), { maxLength: 8 }), fc.subarray(['a', 'b', 'limit', 'tag']), (pairs, lists) => {
        const text = pairs.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&');
        const counts = new Map<string, number>();
        for (const [key] of pairs) counts.set(decodeURIComponent(key), (counts.get(decodeURIComponent(key)) ?? 0) + 1);
        const shouldRefuse = [...counts].some(([key, count]) => count > 1 && !lists.includes(key));
        const query = parse(text) as Record<string, unknown>;
        let refused = false;
        try {
          assertSingleValuedQuery(query, rules(lists));
        } catch {
          refused = true;
        }
        assert.equal(refused, shouldRefuse, text);
      }),
      { numRuns: 300 },
    );
  });
});
