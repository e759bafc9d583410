import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { PortcullisError } from '../errors/index.js';
import { createMemoryLimiter, MemoryRateLimiter } from './memory-limiter.js';
import { checkCost, normaliseLimit } from './limit-spec.js';
import type { AlgorithmName, LimitSpec, PenaltySpec, RateLimitDecision } from './types.js';

const ALGORITHMS: readonly AlgorithmName[] = ['fixed-window', 'sliding-log', 'sliding-counter', 'token-bucket', 'gcra'];
const T0 = 1_700_000_000_000;

/** A full collection before reading the heap, so garbage does not blur the measurement. */
function collector(): () => void {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // Without it the young generation is still scavenged; the bound below has room for that.
  }
  return () => undefined;
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function isConfigInvalid(error: unknown): boolean {
  return error instanceof PortcullisError && error.code === 'config.invalid';
}

describe('memory limiter: bounded memory', () => {
  it('holds at most maxKeys records while 1,000,000 distinct keys arrive (window 60 s, none expire)', () => {
    const gc = collector();
    const spec: LimitSpec = { algorithm: 'sliding-log', limit: 100, windowMs: 60_000 };

    // What one held key costs, so the bound below would catch a store that kept every key.
    const base = heapAfterGc(gc);
    const unbounded = createMemoryLimiter(spec, { maxKeys: 20_000 });
    for (let i = 0; i < 20_000; i += 1) unbounded.decide(`calibration:${i}`, 1, T0);
    const perRecord = (heapAfterGc(gc) - base) / unbounded.size;
    assert.equal(unbounded.size, 20_000);
    unbounded.clear();

    let fills = 0;
    const limiter = createMemoryLimiter(spec, { maxKeys: 10_000, onFull: () => (fills += 1) });
    const before = heapAfterGc(gc);
    for (let i = 0; i < 1_000_000; i += 1) {
      limiter.decide(`ip:198.51.${i >>> 8}.${i & 255}`, 1, T0);
      if ((i & 0xffff) === 0) assert.ok(limiter.size <= 10_000, `size ${limiter.size} after ${i} keys`);
    }
    const growth = heapAfterGc(gc) - before;
    assert.equal(limiter.size, 10_000);
    assert.equal(fills, 1);
    assert.ok(growth < 60e6, `heap grew ${(growth / 1e6).toFixed(1)} MB for 1M keys`);
    if (perRecord > 0) assert.ok(perRecord * 1_000_000 > 60e6, `one record measured ${perRecord} bytes: the 60 MB bound would not tell`);
  });

  it('every algorithm keeps size <= maxKeys under 100,000 distinct keys', () => {
    for (const algorithm of ALGORITHMS) {
      let fills = 0;
      const limiter = createMemoryLimiter({ algorithm, limit: 10, windowMs: 60_000 }, { maxKeys: 2_000, onFull: () => (fills += 1) });
      for (let i = 0; i < 100_000; i += 1) {
        limiter.decide(`k${i}`, 1, T0);
        if (i % 997 === 0) assert.ok(limiter.size <= 2_000, algorithm);
      }
      assert.equal(limiter.size, 2_000, algorithm);
      assert.equal(fills, 1, algorithm);
    }
  });
});

describe('memory limiter: at capacity', () => {
  it('a key already limited stays limited while an attacker rotates 100,000 other keys', () => {
    let fills = 0;
    const limiter = createMemoryLimiter({ algorithm: 'fixed-window', limit: 5, windowMs: 60_000 }, { maxKeys: 1_000, onFull: () => (fills += 1) });
    for (let i = 0; i < 5; i += 1) assert.equal(limiter.decide('victim', 1, 0).allowed, true);
    assert.equal(limiter.decide('victim', 1, 0).allowed, false);
    for (let i = 1; i < 1_000; i += 1) limiter.decide(`filler${i}`, 1, 0);
    assert.equal(limiter.size, 1_000);
    assert.equal(fills, 0);

    let attackerAdmitted = 0;
    for (let i = 0; i < 100_000; i += 1) {
      const now = Math.floor(i / 2);
      if (limiter.decide(`attacker${i}`, 1, now).allowed) attackerAdmitted += 1;
      if (i % 1_000 === 0) {
        const victim = limiter.decide('victim', 1, now);
        assert.equal(victim.allowed, false, `victim admitted at ${now}`);
        assert.equal(victim.remaining, 0);
        assert.equal(victim.retryAfterMs, 60_000 - now);
      }
    }
    assert.equal(limiter.size, 1_000);
    assert.equal(fills, 1);
    // Every rotated key shared the one overflow record, and with it one quota of 5.
    assert.equal(attackerAdmitted, 5);
    assert.equal(limiter.decide('victim', 1, 59_999).allowed, false);
    assert.equal(limiter.decide('victim', 1, 60_000).allowed, true);
  });

  it('a key blocked by a penalty stays blocked while other records expire and an attacker rotates keys', () => {
    const penalty: PenaltySpec = { after: 1, blockMs: 200_000, maxBlockMs: 200_000, decayMs: 500 };
    const limiter = createMemoryLimiter({ algorithm: 'fixed-window', limit: 1, windowMs: 500, penalty }, { maxKeys: 1_000 });
    assert.equal(limiter.decide('victim', 1, 0).allowed, true);
    const refused = limiter.decide('victim', 1, 0);
    assert.equal(refused.blocked, true);
    assert.equal(refused.retryAfterMs, 200_000);
    for (let i = 1; i < 1_000; i += 1) limiter.decide(`filler${i}`, 1, 0);
    assert.equal(limiter.size, 1_000);
    let ownRecords = 0;
    for (let now = 0; now < 100_000; now += 1) {
      // Once the fillers expire (500 ms) the sweep makes room and rotated keys get records of their own.
      if (limiter.decide(`attacker${now}`, 1, now).allowed) ownRecords += 1;
      assert.ok(limiter.size <= 1_000);
      if (now % 1_000 === 0) {
        const victim = limiter.decide('victim', 1, now);
        assert.equal(victim.blocked, true, `victim unblocked at ${now}`);
        assert.equal(victim.retryAfterMs, 200_000 - now);
      }
    }
    assert.ok(ownRecords > 99_000, `only ${ownRecords} rotated keys were admitted on records of their own`);
    assert.equal(limiter.decide('victim', 1, 199_999).blocked, true);
    const after = limiter.decide('victim', 1, 200_000);
    assert.equal(after.blocked, false);
    assert.equal(after.allowed, true);
  });

  it('calls onFull once per fill, shares the overflow record, and gives new keys their own records once old ones expire', () => {
    let fills = 0;
    const limiter = createMemoryLimiter({ algorithm: 'fixed-window', limit: 3, windowMs: 1_000 }, { maxKeys: 10, onFull: () => (fills += 1) });
    for (let i = 0; i < 10; i += 1) limiter.decide(`live${i}`, 1, 0);
    assert.equal(fills, 0);
    assert.equal(limiter.decide('newcomer-a', 2, 10).allowed, true);
    assert.equal(fills, 1);
    // A different new key draws on the same overflow record: 1 unit left of 3.
    const b = limiter.decide('newcomer-b', 2, 20);
    assert.equal(b.allowed, false);
    assert.equal(b.remaining, 1);
    assert.equal(limiter.decide('newcomer-c', 1, 30).allowed, true);
    assert.equal(limiter.decide('newcomer-a', 1, 40).allowed, false);
    for (let i = 0; i < 1_000; i += 1) limiter.decide(`rotating${i}`, 1, 50);
    assert.equal(fills, 1);
    assert.equal(limiter.size, 10);

    // At 1000 every record has expired: new keys get records of their own, each with a whole quota.
    assert.equal(limiter.decide('fresh-a', 3, 1_000).allowed, true);
    assert.ok(limiter.size < 10, `size ${limiter.size}`);
    assert.equal(limiter.decide('fresh-b', 3, 1_000).allowed, true);
    assert.equal(limiter.decide('fresh-a', 1, 1_000).allowed, false);
    assert.equal(fills, 1);
    for (let i = 0; i < 20; i += 1) limiter.decide(`refill${i}`, 1, 1_001);
    assert.equal(limiter.size, 10);
    assert.equal(fills, 2);
  });
});

describe('memory limiter: expiry', () => {
  it('the sweep reclaims expired records as new traffic arrives', () => {
    // Sweeping starts at seven eighths of maxKeys (962 here).
    let fills = 0;
    const limiter = createMemoryLimiter({ algorithm: 'fixed-window', limit: 5, windowMs: 1_000 }, { maxKeys: 1_100, onFull: () => (fills += 1) });
    for (let i = 0; i < 1_000; i += 1) limiter.decide(`old${i}`, 1, 0);
    assert.equal(limiter.size, 1_000);
    for (let i = 0; i < 250; i += 1) limiter.decide(`new${i}`, 1, 1_000);
    assert.ok(limiter.size < 1_250, `size ${limiter.size}: nothing was reclaimed`);
    // The sweep keeps cycling through the map: the expired records all make way for new keys, and
    // the store never exceeds its bound.
    for (let i = 250; i < 1_100; i += 1) limiter.decide(`new${i}`, 1, 1_000);
    assert.ok(limiter.size <= 1_100 && limiter.size > 1_000, `size ${limiter.size}`);
    const own = Array.from({ length: 1_100 }, (_, i) => limiter.decide(`new${i}`, 4, 1_000).remaining === 0).filter(Boolean).length;
    assert.ok(own > 1_000, `only ${own} of 1,100 new keys got a record of their own`);
    assert.ok(fills <= 1);
  });

  it('sweeping never changes a decision: many keys in one store decide as each key alone', () => {
    const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
    const penaltyArb = fc.option(fc.constant<PenaltySpec>({ after: 2, blockMs: 7, maxBlockMs: 30, decayMs: 15 }), { nil: undefined });
    const op = fc.record({ dt: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 40 })), cost: fc.integer({ min: 0, max: 4 }), key: fc.constantFrom(...KEYS) });
    fc.assert(
      fc.property(
        fc.constantFrom(...ALGORITHMS),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 20 }),
        penaltyArb,
        fc.array(op, { minLength: 1, maxLength: 120 }),
        (algorithm, limit, windowMs, penalty, ops) => {
          const spec: LimitSpec = penalty === undefined ? { algorithm, limit, windowMs } : { algorithm, limit, windowMs, penalty };
          // As many slots as keys: a missing key always finds room, so no key ever shares the overflow.
          const shared = createMemoryLimiter(spec, { maxKeys: KEYS.length });
          const alone = new Map(KEYS.map((key) => [key, createMemoryLimiter(spec)]));
          let now = T0;
          for (const { dt, cost, key } of ops) {
            now += dt;
            const expected = alone.get(key)?.decide(key, cost, now);
            assert.deepEqual(shared.decide(key, cost, now), expected, `${key} cost ${cost} at +${now - T0}`);
            assert.ok(shared.size <= KEYS.length);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('an expired record behaves exactly as a fresh one, whether reset in place or swept', () => {
    const step = fc.record({ dt: fc.nat({ max: 700 }), cost: fc.integer({ min: 0, max: 8 }), others: fc.nat({ max: 3 }) });
    fc.assert(
      fc.property(
        fc.constantFrom(...ALGORITHMS),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.array(step, { minLength: 1, maxLength: 25 }),
        (algorithm, limit, windowMs, history, follow) => {
          const spec: LimitSpec = { algorithm, limit, windowMs };
          const used = new MemoryRateLimiter(spec);
          let now = T0;
          let last: RateLimitDecision | undefined;
          for (const { dt, cost } of history) {
            now += dt;
            last = used.decide('key', cost, now);
          }
          now += last?.resetAfterMs ?? 0;
          const fresh = new MemoryRateLimiter(spec);
          let other = 0;
          for (const { dt, cost, others } of follow) {
            // Other new keys drive the sweep, which may drop the expired record instead of resetting it.
            for (let i = 0; i < others; i += 1, other += 1) {
              assert.deepEqual(used.decide(`o${other}`, 1, now), fresh.decide(`o${other}`, 1, now));
            }
            assert.deepEqual(used.decide('key', cost, now), fresh.decide('key', cost, now), `cost ${cost} at +${now - T0}`);
            now += dt;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('memory limiter: penalties', () => {
  const penalty: PenaltySpec = { after: 3, blockMs: 1_000, maxBlockMs: 8_000, decayMs: 60_000 };
  // One unit per 100 ms window, so the limit's own retry is always shorter than a block.
  const spec: LimitSpec = { algorithm: 'fixed-window', limit: 1, windowMs: 100, penalty };

  /** Spends the unit of the current window and is refused once; returns the refusal. */
  function offend(limiter: MemoryRateLimiter, now: number): RateLimitDecision {
    limiter.decide('k', 1, now);
    return limiter.decide('k', 1, now);
  }

  function assertBlockedUntil(limiter: MemoryRateLimiter, from: number, until: number): void {
    for (const now of [from, from + 1, Math.floor((from + until) / 2), until - 1]) {
      const d = limiter.decide('k', 1, now);
      assert.deepEqual(d, { allowed: false, limit: 1, remaining: 0, resetAfterMs: until - now, retryAfterMs: until - now, blocked: true }, `at ${now}`);
    }
    // Hammering while blocked is refused without counting: the escalation below stays on schedule.
    for (let i = 0; i < 100; i += 1) assert.equal(limiter.decide('k', 1, until - 1).blocked, true);
  }

  it('blocks from the 3rd refusal for 1000 ms, doubling each refusal up to 8000 ms', () => {
    const limiter = createMemoryLimiter(spec);
    assert.equal(limiter.decide('k', 1, 0).allowed, true);
    const first = limiter.decide('k', 1, 0);
    assert.deepEqual([first.allowed, first.blocked, first.retryAfterMs], [false, false, 100]);
    const second = limiter.decide('k', 1, 1);
    assert.deepEqual([second.allowed, second.blocked, second.retryAfterMs], [false, false, 99]);
    const third = limiter.decide('k', 1, 2);
    assert.deepEqual([third.allowed, third.blocked, third.retryAfterMs], [false, true, 1_000]);
    assertBlockedUntil(limiter, 2, 1_002);
    let now = 1_002;
    for (const blockMs of [2_000, 4_000, 8_000, 8_000, 8_000]) {
      const admitted = limiter.decide('k', 1, now);
      assert.equal(admitted.allowed, true, `not admitted when the block ended at ${now}`);
      const refusal = limiter.decide('k', 1, now);
      assert.deepEqual([refusal.allowed, refusal.blocked, refusal.retryAfterMs], [false, true, blockMs], `refusal at ${now}`);
      assertBlockedUntil(limiter, now, now + blockMs);
      now += blockMs;
    }
  });

  it('decisions refused while blocked spend no quota', () => {
    const limiter = createMemoryLimiter({ algorithm: 'fixed-window', limit: 3, windowMs: 10_000, penalty: { after: 1, blockMs: 1_000, maxBlockMs: 1_000, decayMs: 60_000 } });
    assert.equal(limiter.decide('k', 2, 0).allowed, true);
    const refused = limiter.decide('k', 2, 0);
    assert.deepEqual([refused.allowed, refused.blocked, refused.retryAfterMs], [false, true, 10_000]);
    for (let i = 0; i < 100; i += 1) assert.equal(limiter.decide('k', 1, 500).blocked, true);
    const after = limiter.decide('k', 1, 1_000);
    assert.deepEqual([after.allowed, after.remaining], [true, 0]);
  });

  it('restarts the count after decayMs without refusals', () => {
    const limiter = createMemoryLimiter(spec);
    assert.equal(offend(limiter, 0).blocked, false);
    assert.equal(limiter.decide('k', 1, 0).blocked, false);
    // 60 s later the two refusals are forgotten: two more go unblocked, the third blocks for 1000.
    assert.equal(offend(limiter, 60_000).blocked, false);
    assert.equal(offend(limiter, 60_100).blocked, false);
    const third = offend(limiter, 60_200);
    assert.deepEqual([third.blocked, third.retryAfterMs], [true, 1_000]);

    const within = createMemoryLimiter(spec);
    offend(within, 0);
    within.decide('k', 1, 0);
    const late = offend(within, 59_999);
    assert.deepEqual([late.blocked, late.retryAfterMs], [true, 1_000]);
  });

  // penalty.ts: "the count restarts after decayMs of none", that is after decayMs without refusals.
  it('still counts a refusal that comes within decayMs of the last one, however long ago the first was', () => {
    // Refusals at 0, 0 and 50 000 (the 3rd blocks 1000 ms); one at 61 000 is 11 s after the last: the 4th, 2000 ms.
    const limiter = createMemoryLimiter(spec);
    offend(limiter, 0);
    limiter.decide('k', 1, 0);
    assert.equal(offend(limiter, 50_000).retryAfterMs, 1_000);
    const fourth = offend(limiter, 61_000);
    assert.deepEqual([fourth.blocked, fourth.retryAfterMs], [true, 2_000]);
  });

  it('keeps a key that is refused every time its block ends on the longest block', () => {
    const limiter = createMemoryLimiter(spec);
    let now = 0;
    for (let refusals = 0; now < 200_000; refusals += 1) {
      const refusal = offend(limiter, now);
      const expected = refusals < 2 ? 0 : Math.min(8_000, 1_000 * 2 ** (refusals - 2));
      assert.deepEqual([refusal.blocked, refusal.retryAfterMs], [expected > 0, Math.max(expected, 100)], `refusal ${refusals + 1} at ${now}`);
      now += Math.max(expected, 100);
    }
  });
});

describe('memory limiter: clock stepping backwards', () => {
  it('does not reopen a counted window, for any algorithm', () => {
    for (const algorithm of ALGORITHMS) {
      const limiter = createMemoryLimiter({ algorithm, limit: 4, windowMs: 1_000 });
      assert.equal(limiter.decide('k', 4, 10_500).allowed, true, algorithm);
      for (const back of [1, 500, 501, 1_000, 5_000, 10_500]) {
        const d = limiter.decide('k', 1, 10_500 - back);
        assert.deepEqual([d.allowed, d.remaining], [false, 0], `${algorithm}, ${back} ms back`);
      }
      limiter.refund('k', 4, 9_000);
      assert.equal(limiter.decide('k', 4, 9_000).allowed, true, `${algorithm}: refund stepped back`);
    }
  });

  it('uses the clock option when no time is given, and a clock going back changes nothing', () => {
    let clock = 5_000;
    const limiter = createMemoryLimiter({ algorithm: 'fixed-window', limit: 2, windowMs: 1_000 }, { clock: () => clock });
    assert.equal(limiter.decide('k').allowed, true);
    assert.equal(limiter.decide('k').allowed, true);
    assert.equal(limiter.decide('k').retryAfterMs, 1_000);
    clock = 4_999;
    assert.equal(limiter.decide('k').allowed, false);
    clock = 6_000;
    assert.equal(limiter.decide('k').allowed, true);
  });

  it('any sequence of times decides exactly as the same sequence clamped to its running maximum', () => {
    const penaltyArb = fc.option(
      fc.record({ after: fc.integer({ min: 1, max: 3 }), blockMs: fc.constantFrom(50, 200), maxBlockMs: fc.constant(400), decayMs: fc.constantFrom(100, 1_000) }),
      { nil: undefined },
    );
    const op = fc.record({ dt: fc.integer({ min: -600, max: 400 }), cost: fc.integer({ min: 0, max: 5 }), refund: fc.boolean(), key: fc.constantFrom('a', 'b') });
    fc.assert(
      fc.property(
        fc.constantFrom(...ALGORITHMS),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 400 }),
        penaltyArb,
        fc.array(op, { minLength: 1, maxLength: 40 }),
        (algorithm, limit, windowMs, penalty, ops) => {
          const spec: LimitSpec = penalty === undefined ? { algorithm, limit, windowMs } : { algorithm, limit, windowMs, penalty };
          const wobbly = createMemoryLimiter(spec);
          const steady = createMemoryLimiter(spec);
          let now = 10_000;
          let latest = 0;
          for (const { dt, cost, refund, key } of ops) {
            now = Math.max(0, now + dt);
            latest = Math.max(latest, now);
            if (refund) {
              wobbly.refund(key, cost, now);
              steady.refund(key, cost, latest);
            } else {
              assert.deepEqual(wobbly.decide(key, cost, now), steady.decide(key, cost, latest), `${key} cost ${cost} at ${now} (latest ${latest})`);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('memory limiter: invalid specs and costs', () => {
  const invalidSpecs: [string, LimitSpec][] = [
    ['non-integer limit', { algorithm: 'fixed-window', limit: 2.5, windowMs: 1_000 }],
    ['zero limit', { algorithm: 'sliding-log', limit: 0, windowMs: 1_000 }],
    ['NaN limit', { algorithm: 'token-bucket', limit: Number.NaN, windowMs: 1_000 }],
    ['zero window', { algorithm: 'sliding-counter', limit: 10, windowMs: 0 }],
    ['negative window', { algorithm: 'gcra', limit: 10, windowMs: -1_000 }],
    ['infinite window', { algorithm: 'fixed-window', limit: 10, windowMs: Number.POSITIVE_INFINITY }],
    ['burst on fixed-window', { algorithm: 'fixed-window', limit: 10, windowMs: 1_000, burst: 5 }],
    ['burst on sliding-log', { algorithm: 'sliding-log', limit: 10, windowMs: 1_000, burst: 5 }],
    ['zero burst', { algorithm: 'token-bucket', limit: 10, windowMs: 1_000, burst: 0 }],
    ['gcra ratio that cannot stay exact (7919 per 1000 ms)', { algorithm: 'gcra', limit: 7_919, windowMs: 1_000 }],
    ['unknown algorithm', { algorithm: 'leaky' as AlgorithmName, limit: 10, windowMs: 1_000 }],
    ['sliding-counter limit x window beyond exact arithmetic', { algorithm: 'sliding-counter', limit: 1_000_000_000, windowMs: 31_536_000_000 }],
    ['penalty.maxBlockMs below blockMs', { algorithm: 'gcra', limit: 10, windowMs: 1_000, penalty: { after: 1, blockMs: 1_000, maxBlockMs: 500, decayMs: 1_000 } }],
    ['penalty.after 0', { algorithm: 'gcra', limit: 10, windowMs: 1_000, penalty: { after: 0, blockMs: 1_000, maxBlockMs: 1_000, decayMs: 1_000 } }],
  ];

  for (const [name, spec] of invalidSpecs) {
    it(`refuses ${name} with config.invalid`, () => {
      assert.throws(() => normaliseLimit(spec), isConfigInvalid);
      assert.throws(() => createMemoryLimiter(spec), isConfigInvalid);
    });
  }

  it('accepts the nearby valid specs (the checks are not refusing everything)', () => {
    assert.equal(createMemoryLimiter({ algorithm: 'gcra', limit: 7, windowMs: 1_000 }).spec.timeScale, 7);
    assert.equal(createMemoryLimiter({ algorithm: 'token-bucket', limit: 7_919, windowMs: 1_000, burst: 1 }).spec.burst, 1);
    assert.equal(createMemoryLimiter({ algorithm: 'sliding-counter', limit: 1_000, windowMs: 60_000 }).spec.limit, 1_000);
  });

  it('refuses a negative, fractional, non-finite or oversized cost with config.invalid', () => {
    const limiter = createMemoryLimiter({ algorithm: 'sliding-log', limit: 10, windowMs: 1_000 });
    for (const cost of [-1, 0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e9 + 1]) {
      assert.throws(() => limiter.decide('k', cost, 0), isConfigInvalid, `decide cost ${cost}`);
      assert.throws(() => limiter.refund('k', cost, 0), isConfigInvalid, `refund cost ${cost}`);
      assert.throws(() => checkCost(cost), isConfigInvalid, `checkCost ${cost}`);
    }
    assert.equal(limiter.decide('k', 0, 0).remaining, 10);
    assert.equal(limiter.decide('k', 10, 0).allowed, true);
  });

  it('refuses maxKeys that is not a positive integer', () => {
    for (const maxKeys of [0, -1, 1.5]) {
      assert.throws(() => createMemoryLimiter({ algorithm: 'gcra', limit: 1, windowMs: 1_000 }, { maxKeys }), isConfigInvalid);
    }
  });
});
