import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createMemoryLimiter } from '../memory-limiter.js';
import { normaliseLimit } from '../limit-spec.js';
import { ALGORITHM_NAMES, type AlgorithmName, type LimitSpec } from '../types.js';
import { createRedisLimiter } from './redis-limiter.js';
import { redisForTests } from './redis-for-tests.test-helpers.js';

const redis = await redisForTests();
/** Property runs per algorithm and penalty setting; raise PARITY_RUNS for a longer soak. */
const RUNS = Number(process.env.PARITY_RUNS ?? 150);

type Advance =
  | { readonly by: 'ms'; readonly ms: number }
  | { readonly by: 'fraction'; readonly perMille: number }
  | { readonly by: 'edge'; readonly offset: -1 | 0 | 1 }
  | { readonly by: 'windows'; readonly count: number };

interface Step {
  readonly refund: boolean;
  readonly key: string;
  readonly cost: number;
  readonly advance: Advance;
}

function isValid(spec: LimitSpec): boolean {
  try {
    normaliseLimit(spec);
    return true;
  } catch {
    return false;
  }
}

const penaltyArb = fc
  .record({ after: fc.integer({ min: 1, max: 3 }), blockMs: fc.integer({ min: 1, max: 3000 }), extra: fc.integer({ min: 0, max: 10_000 }), decayMs: fc.integer({ min: 1, max: 10_000 }) })
  .map(({ after, blockMs, extra, decayMs }) => ({ after, blockMs, maxBlockMs: blockMs + extra, decayMs }));

function smallSpec(algorithm: AlgorithmName, withPenalty: boolean): fc.Arbitrary<LimitSpec> {
  const hasBurst = algorithm === 'token-bucket' || algorithm === 'gcra';
  return fc
    .record({
      limit: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 9, max: 120 })),
      windowMs: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 21, max: 5000 }), fc.constantFrom(1000, 60_000)),
      burst: hasBurst ? fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }) : fc.constant(undefined),
      penalty: withPenalty ? penaltyArb : fc.constant(undefined),
    })
    .map(({ limit, windowMs, burst, penalty }) => ({ algorithm, limit, windowMs, ...(burst === undefined ? {} : { burst }), ...(penalty === undefined ? {} : { penalty }) }))
    .filter(isValid);
}

/** Limits near the bounds limit-spec.ts allows, where inexact arithmetic would show. */
function largeSpec(algorithm: AlgorithmName): fc.Arbitrary<LimitSpec> {
  const hasBurst = algorithm === 'token-bucket' || algorithm === 'gcra';
  return fc
    .record({
      limit: fc.oneof(fc.integer({ min: 1, max: 1_000_000_000 }), fc.integer({ min: 1, max: 5000 })),
      windowMs: fc.oneof(fc.integer({ min: 1, max: 366 * 24 * 3600 * 1000 }), fc.integer({ min: 1, max: 100_000 })),
      burst: hasBurst ? fc.option(fc.integer({ min: 1, max: 1_000_000_000 }), { nil: undefined }) : fc.constant(undefined),
    })
    .map(({ limit, windowMs, burst }) => ({ algorithm, limit, windowMs, ...(burst === undefined ? {} : { burst }) }))
    .filter(isValid);
}

const advanceArb: fc.Arbitrary<Advance> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 3 }).map((ms) => ({ by: 'ms' as const, ms })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 4000 }).map((ms) => ({ by: 'ms' as const, ms })) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 1000 }).map((perMille) => ({ by: 'fraction' as const, perMille })) },
  { weight: 2, arbitrary: fc.constantFrom(-1, 0, 1).map((offset) => ({ by: 'edge' as const, offset: offset as -1 | 0 | 1 })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((count) => ({ by: 'windows' as const, count })) },
);

function stepsArb(costArb: fc.Arbitrary<number>): fc.Arbitrary<Step[]> {
  const stepArb = fc.record({
    refund: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    key: fc.oneof({ weight: 6, arbitrary: fc.constant('a') }, { weight: 1, arbitrary: fc.constantFrom('b', '{c}') }),
    cost: costArb,
    advance: advanceArb,
  });
  return fc.array(stepArb, { minLength: 1, maxLength: 150 });
}

const smallCost = fc.oneof(
  { weight: 4, arbitrary: fc.constant(1) },
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.integer({ min: 2, max: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 5, max: 200 }) },
);

const largeCost = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 1_000_000_000 }) },
);

const startArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }));
const lateStartArb = fc.integer({ min: 3_900_000_000_000, max: 3_990_000_000_000 });

function advanced(now: number, advance: Advance, windowMs: number): number {
  switch (advance.by) {
    case 'ms':
      return now + advance.ms;
    case 'fraction':
      return now + Math.floor((windowMs * advance.perMille) / 1000);
    case 'edge':
      return Math.max(now, now + (windowMs - (now % windowMs)) + advance.offset);
    case 'windows':
      return now + advance.count * windowMs;
  }
}

async function replay(spec: LimitSpec, start: number, steps: Step[]): Promise<void> {
  const memory = createMemoryLimiter(spec);
  const store = createRedisLimiter(spec, { client: redis!.client, prefix: redis!.prefix('parity'), callerClock: true });
  let now = start;
  for (const [index, step] of steps.entries()) {
    now = advanced(now, step.advance, spec.windowMs);
    const where = `step ${index} at ${now}: ${step.refund ? 'refund' : 'decide'}(${step.key}, ${step.cost})`;
    if (step.refund) {
      memory.refund(step.key, step.cost, now);
      await store.refund(step.key, step.cost, now);
    } else {
      const expected = memory.decide(step.key, step.cost, now);
      const actual = await store.decide(step.key, step.cost, now);
      assert.deepStrictEqual(actual, expected, where);
    }
  }
}

describe('Redis limiter: the same decisions as the memory limiter', { skip: redis === undefined && 'Redis unreachable' }, () => {
  after(() => redis?.close());

  for (const algorithm of ALGORITHM_NAMES) {
    for (const withPenalty of [false, true]) {
      it(`${algorithm}${withPenalty ? ' with a penalty' : ''}: random decide/refund sequences with window edges, cost 0 and cost > limit`, async () => {
        await fc.assert(
          fc.asyncProperty(smallSpec(algorithm, withPenalty), startArb, stepsArb(smallCost), (spec, start, steps) => replay(spec, start, steps)),
          { numRuns: RUNS },
        );
      });
    }

    it(`${algorithm}: limits, costs and clocks near the bounds stay exact`, async () => {
      await fc.assert(
        fc.asyncProperty(largeSpec(algorithm), lateStartArb, stepsArb(largeCost), (spec, start, steps) => replay(spec, start, steps)),
        { numRuns: 25 },
      );
    });
  }

  const decide = (cost: number, ms: number): Step => ({ refund: false, key: 'k', cost, advance: { by: 'ms', ms } });
  const refund = (cost: number, ms: number): Step => ({ refund: true, key: 'k', cost, advance: { by: 'ms', ms } });
  const toEdge = (cost: number, offset: -1 | 0 | 1): Step => ({ refund: false, key: 'k', cost, advance: { by: 'edge', offset } });
  /** Partial refunds of multi-unit entries, expiry of some entries only, waits that span several entries, blocks that double. */
  const handPicked: Step[] = [
    decide(3, 0),
    decide(2, 100),
    refund(1, 10),
    decide(4, 10),
    decide(1, 0),
    toEdge(2, -1),
    toEdge(1, 0),
    decide(3, 1),
    refund(2, 1),
    decide(2, 400),
    decide(5, 1),
    decide(5, 1),
    decide(40, 1),
    decide(1, 300),
    refund(3, 0),
    decide(1, 0),
    decide(0, 2000),
    decide(2, 950),
    decide(2, 60),
    refund(1, 0),
    decide(3, 0),
  ];

  const DAY_MS = 86_400_000;
  const monthly = (limit: number, penalty?: LimitSpec['penalty']): LimitSpec => ({
    algorithm: 'fixed-window',
    limit,
    windowMs: 31 * DAY_MS,
    calendar: 'month',
    ...(penalty === undefined ? {} : { penalty }),
  });

  it('fixed-window by UTC calendar month: random sequences around month ends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.option(penaltyArb, { nil: undefined }),
        fc.integer({ min: 1970, max: 2095 }),
        fc.integer({ min: 0, max: 11 }),
        fc.integer({ min: -5000, max: 5000 }),
        stepsArb(smallCost),
        (limit, penalty, year, month, offset, steps) => replay(monthly(limit, penalty), Math.max(0, Date.UTC(year, month, 1) + offset), steps),
      ),
      { numRuns: RUNS },
    );
  });

  it('fixed-window by UTC calendar month: every month edge from 1970 to 2100', async () => {
    const memory = createMemoryLimiter(monthly(2));
    const store = createRedisLimiter(monthly(2), { client: redis!.client, prefix: redis!.prefix('months'), callerClock: true });
    for (let year = 1970; year <= 2100; year += 1) {
      for (let month = 0; month < 12; month += 1) {
        for (const at of [Date.UTC(year, month, 1) - 1, Date.UTC(year, month, 1)]) {
          if (at < 0) continue;
          assert.deepStrictEqual(await store.decide('k', 1, at), memory.decide('k', 1, at), `${year}-${month + 1} at ${at}`);
        }
      }
    }
  });

  it('sliding-log: waits and refunds that span many pages of the log', async () => {
    const steps: Step[] = [
      ...Array.from({ length: 700 }, (_, index) => decide(1 + (index % 2), 1)),
      decide(400, 1),
      refund(300, 1),
      decide(600, 1),
      decide(1500, 1),
      refund(450, 0),
      decide(2, 59_000),
      decide(700, 1),
      decide(1, 400),
      refund(2000, 1),
      decide(1000, 1),
    ];
    await replay({ algorithm: 'sliding-log', limit: 1000, windowMs: 60_000 }, 1_700_000_000_000, steps);
  });

  for (const algorithm of ALGORITHM_NAMES) {
    it(`${algorithm}: agrees on a hand-picked sequence, with and without a penalty`, async () => {
      const penalty = { after: 2, blockMs: 50, maxBlockMs: 400, decayMs: 10_000 };
      for (const windowMs of [1000, 997]) {
        await replay({ algorithm, limit: 5, windowMs }, 1_700_000_000_500, handPicked);
        await replay({ algorithm, limit: 5, windowMs, penalty }, 1_700_000_000_500, handPicked);
      }
    });
  }
});
