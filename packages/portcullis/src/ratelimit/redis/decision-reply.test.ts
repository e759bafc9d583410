import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normaliseLimit } from '../limit-spec.js';
import type { AlgorithmName, RateLimitDecision } from '../types.js';
import { decisionFromReply, replyPacking, type ReplyPacking } from './decision-reply.js';

const TWO_53 = 2n ** 53n;

/** The Lua encoder of lua/limiter-script.ts, in BigInt so an inexact step would show. */
function packed(decision: RateLimitDecision, packing: ReplyPacking): bigint | undefined {
  const base = BigInt(packing.remainingBase);
  const { remaining, resetAfterMs, retryAfterMs } = decision;
  if (remaining < 0 || remaining >= packing.remainingBase || resetAfterMs < 0) return undefined;
  if (decision.allowed) {
    if (retryAfterMs !== 0 || resetAfterMs >= packing.admittedResetBase) return undefined;
    return -1n - (BigInt(remaining) + base * BigInt(resetAfterMs));
  }
  if (resetAfterMs >= packing.refusedTimeBase || retryAfterMs < 0 || retryAfterMs >= packing.refusedTimeBase) return undefined;
  const time = BigInt(packing.refusedTimeBase);
  return (decision.blocked ? 1n : 0n) + 2n * (BigInt(remaining) + base * (BigInt(resetAfterMs) + time * BigInt(retryAfterMs)));
}

const specArb = fc
  .record({
    // The bases depend on the limit and the burst only; token-bucket stands for both buckets.
    algorithm: fc.constantFrom<AlgorithmName>('fixed-window', 'sliding-counter', 'token-bucket'),
    limit: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 1_000_000_000 })),
    burst: fc.option(fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 1_000_000_000 })), { nil: undefined }),
  })
  .map(({ algorithm, limit, burst }) => {
    return normaliseLimit({ algorithm, limit, windowMs: 1_000_000, ...(algorithm === 'token-bucket' && burst !== undefined ? { burst } : {}) });
  });

describe('decision replies packed into one integer', () => {
  it('chooses bases whose largest packed value stays an exact integer, and no smaller than they could be', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const packing = replyPacking(spec);
        const base = BigInt(packing.remainingBase);
        assert.equal(packing.remainingBase, Math.max(spec.limit, spec.burst) + 1);
        assert.ok(base * BigInt(packing.admittedResetBase) < TWO_53);
        assert.ok(base * BigInt(packing.admittedResetBase + 1) >= TWO_53);
        const time = BigInt(packing.refusedTimeBase);
        assert.ok(2n * base * time * time <= TWO_53);
        assert.ok(2n * base * (time + 1n) * (time + 1n) > TWO_53);
      }),
    );
  });

  it('decodes every decision that packs into exactly that decision', () => {
    fc.assert(
      fc.property(
        specArb,
        fc.constantFrom('allowed', 'refused', 'blocked'),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (spec, outcome, r, s, t) => {
          const packing = replyPacking(spec);
          // Values anywhere in range, the largest ones included.
          const scaled = (unit: number, bound: number): number => Math.min(bound - 1, Math.floor(unit * bound));
          const timeBound = outcome === 'allowed' ? packing.admittedResetBase : packing.refusedTimeBase;
          const expected: RateLimitDecision = {
            allowed: outcome === 'allowed',
            limit: spec.limit,
            remaining: scaled(r, packing.remainingBase),
            resetAfterMs: scaled(s, timeBound),
            retryAfterMs: outcome === 'allowed' ? 0 : scaled(t, packing.refusedTimeBase),
            blocked: outcome === 'blocked',
          };
          const reply = packed(expected, packing);
          assert.ok(reply !== undefined && reply >= -(TWO_53 - 1n) && reply <= TWO_53 - 1n, `packs: ${String(reply)}`);
          assert.deepStrictEqual(decisionFromReply(Number(reply), spec.limit, packing), expected);
          // A client that maps integers to strings gets the same decision.
          assert.deepStrictEqual(decisionFromReply(String(reply), spec.limit, packing), expected);
        },
      ),
    );
  });

  it('reads the table reply the script falls back to, and refuses anything else', () => {
    const spec = normaliseLimit({ algorithm: 'gcra', limit: 10, windowMs: 1000 });
    const packing = replyPacking(spec);
    assert.deepStrictEqual(decisionFromReply([2, 0, '9007199254740992', 5], 10, packing), {
      allowed: false,
      limit: 10,
      remaining: 0,
      resetAfterMs: 9007199254740992,
      retryAfterMs: 5,
      blocked: true,
    });
    for (const reply of [null, 1.5, '1.5', 2 ** 53, [1, 2, 3], [1, 2, 3, 'x']]) {
      assert.throws(() => decisionFromReply(reply, 10, packing), { code: 'storage.unavailable' }, JSON.stringify(reply));
    }
  });
});
