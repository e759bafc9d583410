import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ALGORITHM_NAMES } from '../types.js';
import { createRedisLimiter } from './redis-limiter.js';
import { redisForTests, type TestRedisClient } from './redis-for-tests.test-helpers.js';

const redis = await redisForTests();

const LIMIT = 100;
const WINDOW_MS = 60_000;
const CALLS = 1000;

/** Waits out the end of a window-aligned period if it is near, so a burst does not straddle an edge. */
async function awayFromWindowEdge(client: TestRedisClient, windowMs: number, marginMs: number): Promise<void> {
  const [seconds, micros] = await client.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const left = windowMs - (now % windowMs);
  if (left < marginMs) await sleep(left + 20);
}

describe('Redis limiter under concurrency (server clock)', { skip: redis === undefined && 'Redis unreachable' }, () => {
  after(() => redis?.close());

  for (const algorithm of ALGORITHM_NAMES) {
    it(`${algorithm}: ${CALLS} concurrent decisions on one key admit exactly ${LIMIT}`, async () => {
      const limiter = createRedisLimiter({ algorithm, limit: LIMIT, windowMs: WINDOW_MS }, { client: redis!.client, prefix: redis!.prefix(algorithm) });
      // A refill (token-bucket, gcra: one unit per 600 ms) or a window edge during the burst would
      // rightly admit one more; the burst takes a few tens of ms, so keep clear of both.
      await awayFromWindowEdge(redis!.client, WINDOW_MS, 3000);
      const started = Date.now();
      const decisions = await Promise.all(Array.from({ length: CALLS }, () => limiter.decide('hot')));
      const elapsed = Date.now() - started;
      assert.ok(elapsed < WINDOW_MS / LIMIT, `the burst took ${elapsed} ms, long enough for a refill; rerun on a less loaded machine`);
      const admitted = decisions.filter((decision) => decision.allowed);
      assert.equal(admitted.length, LIMIT);
      assert.deepEqual(
        admitted.map((decision) => decision.remaining).sort((a, b) => a - b),
        Array.from({ length: LIMIT }, (_, index) => index),
        'each admitted decision saw a distinct remaining count',
      );
      for (const refused of decisions.filter((decision) => !decision.allowed)) {
        assert.equal(refused.remaining, 0);
        assert.ok(refused.retryAfterMs > 0);
      }
    });
  }
});
