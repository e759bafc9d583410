import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { createMemoryLimiter } from '../memory-limiter.js';
import { createRedisLimiter } from './redis-limiter.js';
import { redisForTests, type TestRedisClient } from './redis-for-tests.test-helpers.js';

// Fixed window on the server clock runs as a plain counter (lua/fixed-window-counter.ts), which the
// caller-clock parity suite cannot reach: it is checked here against the memory limiter inside one
// window of the Redis server's clock, where decisions depend on the units counted only.

const redis = await redisForTests();
const WINDOW_MS = 3_600_000;

async function serverNow(client: TestRedisClient): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** A server time well inside a window: waits out an edge less than `marginMs` away. */
async function insideWindow(client: TestRedisClient, marginMs: number): Promise<number> {
  let now = await serverNow(client);
  const left = WINDOW_MS - (now % WINDOW_MS);
  if (left < marginMs) {
    await sleep(left + 20);
    now = await serverNow(client);
  }
  return now;
}

interface Step {
  readonly act: 'decide' | 'refund';
  readonly key: 'a' | 'b';
  readonly cost: number;
}

const stepArb = (limit: number): fc.Arbitrary<Step> =>
  fc.record({
    act: fc.oneof({ weight: 4, arbitrary: fc.constant('decide' as const) }, { weight: 1, arbitrary: fc.constant('refund' as const) }),
    key: fc.oneof({ weight: 4, arbitrary: fc.constant('a' as const) }, { weight: 1, arbitrary: fc.constant('b' as const) }),
    cost: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 2, max: limit + 2 }) }),
  });

describe('Redis fixed-window counter (server clock)', { skip: redis === undefined && 'Redis unreachable' }, () => {
  after(() => redis?.close());

  it('admits, refuses, refunds and reports remaining exactly as the memory limiter within a window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }).chain((limit) => fc.tuple(fc.constant(limit), fc.array(stepArb(limit), { minLength: 1, maxLength: 60 }))),
        async ([limit, steps]) => {
          const spec = { algorithm: 'fixed-window' as const, limit, windowMs: WINDOW_MS };
          const store = createRedisLimiter(spec, { client: redis!.client, prefix: redis!.prefix('counter') });
          const memory = createMemoryLimiter(spec);
          const at = await insideWindow(redis!.client, 30_000);
          const windowEnd = at - (at % WINDOW_MS) + WINDOW_MS;
          for (const [index, step] of steps.entries()) {
            const where = `step ${index}: ${step.act}(${step.key}, ${step.cost}) with limit ${limit}`;
            if (step.act === 'refund') {
              memory.refund(step.key, step.cost, at);
              await store.refund(step.key, step.cost);
              continue;
            }
            const expected = memory.decide(step.key, step.cost, at);
            const actual = await store.decide(step.key, step.cost);
            assert.equal(actual.allowed, expected.allowed, where);
            assert.equal(actual.remaining, expected.remaining, where);
            assert.equal(actual.blocked, false, where);
            // Times follow the server clock: the end of this window, seen a little later.
            const untilEnd = windowEnd - (await serverNow(redis!.client));
            for (const [name, ms, wanted] of [
              ['resetAfterMs', actual.resetAfterMs, expected.resetAfterMs],
              ['retryAfterMs', actual.retryAfterMs, expected.retryAfterMs],
            ] as const) {
              if (wanted === 0) assert.equal(ms, 0, `${name}: ${where}`);
              else assert.ok(ms >= untilEnd && ms <= windowEnd - at, `${name} ${ms} outside ${untilEnd}..${windowEnd - at}: ${where}`);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps no key for a look at a fresh key, and none after a full refund', async () => {
    const limiter = createRedisLimiter({ algorithm: 'fixed-window', limit: 5, windowMs: WINDOW_MS }, { client: redis!.client, prefix: redis!.prefix('counter-fresh') });
    await insideWindow(redis!.client, 10_000);
    assert.equal((await limiter.decide('k', 0)).remaining, 5);
    assert.equal(await redis!.client.exists(limiter.keys('k')), 0);
    await limiter.decide('k', 3);
    await limiter.decide('k', 1);
    await limiter.decide('k', 9);
    await limiter.refund('k', 4);
    assert.equal(await redis!.client.exists(limiter.keys('k')), 0);
    assert.equal((await limiter.decide('k', 5)).remaining, 0);
  });

  it('replaces a value that is not its counter, of any type, without failing', async () => {
    const limiter = createRedisLimiter({ algorithm: 'fixed-window', limit: 5, windowMs: WINDOW_MS }, { client: redis!.client, prefix: redis!.prefix('counter-foreign') });
    await insideWindow(redis!.client, 10_000);
    const [key] = limiter.keys('k') as [string];
    for (const plant of [
      () => redis!.client.set(key, 'not a counter', { PX: 60_000 }),
      () => redis!.client.set(key, '1e3', { PX: 60_000 }),
      () => redis!.client.set(key, '-4', { PX: 60_000 }),
      () => redis!.client.set(key, '2'),
      () => redis!.client.hSet(key, 'a', '1'),
    ]) {
      await redis!.client.del(key);
      await plant();
      const first = await limiter.decide('k');
      assert.equal(first.allowed, true);
      assert.equal(first.remaining, 4, `after ${plant.toString()}`);
      assert.equal((await limiter.decide('k', 2)).remaining, 2);
      const ttl = await redis!.client.pTTL(key);
      assert.ok(ttl > 0 && ttl <= WINDOW_MS, `PTTL ${ttl}`);
    }
  });

  it('ends its window exactly at the window edge of the server clock', async () => {
    const windowMs = 400;
    const limiter = createRedisLimiter({ algorithm: 'fixed-window', limit: 2, windowMs }, { client: redis!.client, prefix: redis!.prefix('counter-edge') });
    for (let round = 0; round < 5; round += 1) {
      const now = await serverNow(redis!.client);
      // Start just after an edge, so the whole round stays inside one window.
      await sleep(windowMs - (now % windowMs) + 5);
      const first = await limiter.decide('k');
      const second = await limiter.decide('k');
      const before = await serverNow(redis!.client);
      const refused = await limiter.decide('k');
      const afterwards = await serverNow(redis!.client);
      assert.deepEqual([first.allowed, second.allowed, refused.allowed], [true, true, false], `round ${round}`);
      // The refusal was decided between `before` and `afterwards`; its wait ends on a window edge.
      const edge = afterwards + refused.retryAfterMs - ((afterwards + refused.retryAfterMs) % windowMs);
      assert.ok(edge >= before + refused.retryAfterMs, `no window edge in ${before + refused.retryAfterMs}..${afterwards + refused.retryAfterMs}`);
      assert.equal(refused.resetAfterMs, refused.retryAfterMs);
      // Waited on the server's clock: a Node timer may fire a millisecond early against it.
      await sleep(refused.retryAfterMs);
      while ((await serverNow(redis!.client)) < afterwards + refused.retryAfterMs) await sleep(1);
      assert.equal((await limiter.decide('k')).allowed, true, `round ${round}: a new window`);
    }
  });
});
