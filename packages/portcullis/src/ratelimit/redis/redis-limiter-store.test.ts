import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RESP_TYPES } from 'redis';
import fc from 'fast-check';
import { ALGORITHM_NAMES, type AlgorithmName } from '../types.js';
import { createRedisLimiter } from './redis-limiter.js';
import { hashTagOf } from './redis-keys.js';
import type { RedisScriptClient } from './script-client.js';
import { redisForTests, type TestRedisClient } from './redis-for-tests.test-helpers.js';
import { limiterScript } from './lua/limiter-script.js';
import { FIRST_DECISION_LAYOUT } from './lua/fresh-first-decision.js';
import { normaliseLimit } from '../limit-spec.js';

const redis = await redisForTests();

/** The client the limiter sees, exposing only the commands it may use, and counting them. */
function countingClient(client: TestRedisClient) {
  const seen = { evalSha: 0, noScript: 0, eval: 0, scriptLoad: 0, keys: [] as string[][] };
  const wrapped: RedisScriptClient = {
    evalSha(sha1, options) {
      seen.evalSha += 1;
      seen.keys.push(options.keys);
      return client.evalSha(sha1, options).catch((error: unknown) => {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) seen.noScript += 1;
        throw error;
      });
    },
    eval(script, options) {
      seen.eval += 1;
      return client.eval(script, options);
    },
    scriptLoad(script) {
      seen.scriptLoad += 1;
      return client.scriptLoad(script);
    },
  };
  return { seen, client: wrapped };
}

/**
 * A node-redis standalone client as the limiter sees it, counting raw commands: the limiter must
 * send its scripts through `sendCommand` and never call `evalSha` or `eval`.
 */
function countingRawClient(client: TestRedisClient) {
  const seen = { evalSha: 0, noScript: 0, eval: 0, scriptLoad: 0, other: 0 };
  const refuse = (): Promise<unknown> => Promise.reject(new Error('the raw path must not call evalSha or eval'));
  const wrapped = {
    get isOpen(): boolean {
      return client.isOpen;
    },
    sendCommand(args: Array<string | Buffer>, options?: undefined) {
      const command = String(args[0]);
      if (command === 'EVALSHA') seen.evalSha += 1;
      else if (command === 'EVAL') seen.eval += 1;
      else seen.other += 1;
      return client.sendCommand(args, options).catch((error: unknown) => {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) seen.noScript += 1;
        throw error;
      });
    },
    evalSha: refuse,
    eval: refuse,
    scriptLoad(script: string) {
      seen.scriptLoad += 1;
      return client.scriptLoad(script);
    },
  };
  return { seen, client: wrapped as RedisScriptClient };
}

/** Redis Cluster's rule: the part between the first `{` and the first `}` after it, if not empty. */
function clusterHashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}

async function serverNow(client: TestRedisClient): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describe('Redis limiter: keys, expiry, clock, scripts', { skip: redis === undefined && 'Redis unreachable' }, () => {
  after(() => redis?.close());

  it('recovers from SCRIPT FLUSH (NOSCRIPT) and keeps counting', async () => {
    for (const algorithm of ALGORITHM_NAMES) {
      const counted = countingClient(redis!.client);
      const limiter = createRedisLimiter({ algorithm, limit: 1000, windowMs: 60_000 }, { client: counted.client, prefix: redis!.prefix('noscript') });
      let spent = 0;
      assert.equal((await limiter.decide('k')).remaining, 1000 - (spent += 1));
      // Other suites on this server may load the same script again between our flush and our
      // call; flush until our own calls have met NOSCRIPT twice.
      for (let attempt = 0; attempt < 50 && counted.seen.noScript < 2; attempt += 1) {
        await redis!.client.scriptFlush();
        assert.equal((await limiter.decide('k')).remaining, 1000 - (spent += 1), algorithm);
        await redis!.client.scriptFlush();
        await limiter.refund('k');
        spent -= 1;
      }
      assert.ok(counted.seen.noScript >= 2, `${algorithm}: EVALSHA met NOSCRIPT`);
      assert.equal(counted.seen.eval, counted.seen.noScript, `${algorithm}: each NOSCRIPT answered by one EVAL`);
      assert.equal(counted.seen.scriptLoad, 1, `${algorithm}: SCRIPT LOAD on first use only`);
      assert.equal((await limiter.decide('k')).remaining, 1000 - (spent += 1), algorithm);
    }
  });

  it('keeps every key of one user key inside one hash tag, whatever braces the user key holds', async () => {
    const userKeys = ['ip4:203.0.113.7', '', '{', '}', '{}', 'a{b}c', '}{', '%', '%7B', '%7D', '%25', 'x}y{z', 'ip6:2001:db8::/64'];
    const tags = new Set<string>();
    for (const algorithm of ALGORITHM_NAMES) {
      const counted = countingClient(redis!.client);
      const prefix = redis!.prefix('tags');
      const limiter = createRedisLimiter({ algorithm, limit: 2, windowMs: 60_000 }, { client: counted.client, prefix });
      for (const key of userKeys) {
        await limiter.decide(key);
        await limiter.refund(key, 0);
      }
      assert.equal(counted.seen.keys.length, userKeys.length * 2);
      for (const [index, keys] of counted.seen.keys.entries()) {
        const userKey = userKeys[Math.floor(index / 2)] as string;
        assert.equal(keys.length, algorithm === 'sliding-log' ? 2 : 1);
        for (const key of keys) {
          assert.ok(key.startsWith(`${prefix}{`), key);
          assert.equal(key.split('{').length, 2, `one opening brace in ${key}`);
          assert.equal(key.split('}').length, 2, `one closing brace in ${key}`);
          assert.equal(clusterHashTag(key), hashTagOf(userKey), key);
        }
        if (algorithm === 'fixed-window') tags.add(hashTagOf(userKey));
      }
      // Every key the scripts created for this limiter sits under one of those tags.
      const stored = await redis!.client.keys(`${prefix}*`);
      assert.ok(stored.length >= userKeys.length, algorithm);
      for (const key of stored) assert.ok(userKeys.some((userKey) => clusterHashTag(key) === hashTagOf(userKey)), key);
      // Escaping is injective: each user key was counted on its own.
      for (const key of userKeys) assert.equal((await limiter.decide(key)).remaining, 0, `${algorithm} ${JSON.stringify(key)}`);
    }
    assert.equal(tags.size, userKeys.length);
  });

  it('reads a state another algorithm, variant or writer left under the same key as fresh, without failing', async () => {
    const prefix = redis!.prefix('layout');
    const at = 1_700_000_000_000;
    const spec = { limit: 1000, windowMs: 1000 };
    const options = { client: redis!.client, prefix, callerClock: true };
    // fixed-window and token-bucket states have the same length: read as a bucket, this window
    // start and count would be 2 units missing at `at + 1`, so 997 would remain instead of 999.
    await createRedisLimiter({ algorithm: 'fixed-window', ...spec }, options).decide('k', 3, at);
    const bucket = createRedisLimiter({ algorithm: 'token-bucket', ...spec }, options);
    assert.equal((await bucket.decide('k', 1, at + 1)).remaining, 999);
    const withPenalty = createRedisLimiter({ algorithm: 'token-bucket', ...spec, penalty: { after: 1, blockMs: 1000, maxBlockMs: 1000, decayMs: 1000 } }, options);
    assert.equal((await withPenalty.decide('k', 1, at + 2)).remaining, 999);
    await redis!.client.set(bucket.keys('k')[0] as string, 'not a limiter state');
    assert.equal((await bucket.decide('k', 1, at + 3)).remaining, 999);
    assert.equal((await bucket.decide('k', 1, at + 3)).remaining, 998, 'and counts on from there');
  });

  it('refuses a key prefix with a brace', () => {
    for (const prefix of ['rl:{x}:', 'rl{', 'rl}']) {
      assert.throws(() => createRedisLimiter({ algorithm: 'gcra', limit: 1, windowMs: 1000 }, { client: redis!.client, prefix }), { code: 'config.invalid' });
    }
  });

  for (const algorithm of ALGORITHM_NAMES) {
    it(`${algorithm}: every key written gets a TTL no longer than its state lives, and disappears after it`, async () => {
      const limiter = createRedisLimiter({ algorithm, limit: 3, windowMs: 300 }, { client: redis!.client, prefix: redis!.prefix('ttl') });
      await limiter.decide('k', 2);
      const keys = limiter.keys('k');
      // A second admission (the write may keep the TTL) and a refusal (it may write nothing).
      for (const decision of [await limiter.decide('k', 1), await limiter.decide('k', 5)]) {
        for (const key of keys) {
          const ttl = await redis!.client.pTTL(key);
          // A window edge just before the refusal leaves a fresh state, and no key.
          const expected = decision.resetAfterMs === 0 ? ttl === -2 : ttl > 0 && ttl <= decision.resetAfterMs;
          assert.ok(expected, `${key}: PTTL ${ttl}, state fresh in ${decision.resetAfterMs} ms`);
        }
      }
      const last = await limiter.decide('k', 0);
      await sleep(last.resetAfterMs + 50);
      assert.equal(await redis!.client.exists(keys), 0);
    });

    it(`${algorithm}: a penalty keeps the key as long as the offence is remembered, and no longer`, async () => {
      const penalty = { after: 2, blockMs: 100, maxBlockMs: 100, decayMs: 700 };
      const limiter = createRedisLimiter({ algorithm, limit: 1, windowMs: 200, penalty }, { client: redis!.client, prefix: redis!.prefix('penalty-ttl') });
      await limiter.decide('k');
      await limiter.decide('k');
      const blocked = await limiter.decide('k');
      assert.equal(blocked.blocked, true);
      const [stateKey] = limiter.keys('k') as [string];
      const ttl = await redis!.client.pTTL(stateKey);
      assert.ok(ttl > 500 && ttl <= 700, `PTTL ${ttl}`);
      await sleep(400);
      assert.equal(await redis!.client.exists(stateKey), 1, 'the window is over but the violations still count');
      await sleep(400);
      assert.equal(await redis!.client.exists(limiter.keys('k')), 0);
    });

    it(`${algorithm}: a decision that leaves the state fresh, or a full refund, leaves no key behind`, async () => {
      const limiter = createRedisLimiter({ algorithm, limit: 3, windowMs: 60_000 }, { client: redis!.client, prefix: redis!.prefix('fresh') });
      await limiter.decide('look', 0);
      assert.equal(await redis!.client.exists(limiter.keys('look')), 0, 'cost 0 on a fresh key');
      await limiter.decide('k', 2);
      assert.ok((await redis!.client.exists(limiter.keys('k'))) >= 1);
      await limiter.refund('k', 2);
      assert.equal(await redis!.client.exists(limiter.keys('k')), 0);
    });
  }

  async function storedTime(algorithm: AlgorithmName, callerClock: boolean, now: number): Promise<number> {
    const limiter = createRedisLimiter({ algorithm, limit: 5, windowMs: 60_000 }, { client: redis!.client, prefix: redis!.prefix('clock'), callerClock });
    // Cost 2: a new key's cost-1 decision takes the first-decision shortcut, which stores relative times (tested below).
    await limiter.decide('k', 2, now);
    // The state is a layout byte and little-endian doubles: `e`, then token-bucket's `a` and `b`, the time of its last refill.
    const stored = await redis!.client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(limiter.keys('k')[0] as string);
    assert.ok(stored instanceof Buffer && stored.length === 1 + 3 * 8, 'a layout byte and three doubles');
    return stored.readDoubleLE(1 + 2 * 8);
  }

  it("decides on the Redis server's clock, ignoring the caller's `now`", async () => {
    const before = await serverNow(redis!.client);
    const stored = await storedTime('token-bucket', false, 12_345);
    const afterwards = await serverNow(redis!.client);
    assert.ok(stored >= before && stored <= afterwards, `stored ${stored}, server clock ${before}..${afterwards}`);
  });

  it("reads the Redis server's clock from a live key's PTTL as exactly as from TIME", async () => {
    const limiter = createRedisLimiter({ algorithm: 'token-bucket', limit: 10, windowMs: 60_000 }, { client: redis!.client, prefix: redis!.prefix('pttl-clock') });
    const [key] = limiter.keys('k') as [string];
    const raw = redis!.client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    await limiter.decide('k');
    // The first decision took the shortcut (its own layout byte, times relative to the expiry):
    // round 0 below reads that state back through PEXPIRETIME and must land on the same clock.
    const first = await raw.get(key);
    assert.ok(first instanceof Buffer && first[0]! >= FIRST_DECISION_LAYOUT, 'the first decision took the shortcut');
    for (let round = 0; round < 5; round += 1) {
      await sleep(7);
      const before = await serverNow(redis!.client);
      assert.equal((await limiter.decide('k')).allowed, true);
      const afterwards = await serverNow(redis!.client);
      const stored = await raw.get(key);
      assert.ok(stored instanceof Buffer && stored.length === 1 + 3 * 8);
      // e, then the bucket's missing units and the time of its last refill: that time is this decision's `now`.
      const at = stored.readDoubleLE(1 + 2 * 8);
      assert.ok(at >= before && at <= afterwards, `round ${round}: decided at ${at}, server clock ${before}..${afterwards}`);
      assert.equal(await redis!.client.pExpireTime(key), stored.readDoubleLE(1), 'the key expires exactly at e');
    }
  });

  it("answers a new key's first cost-1 decision with constants: the same reply and state as the script's general path", async () => {
    const raw = redis!.client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const penalty = fc.option(fc.record({ after: fc.integer({ min: 1, max: 3 }), blockMs: fc.integer({ min: 1, max: 3000 }), maxBlockMs: fc.constant(3000), decayMs: fc.integer({ min: 1, max: 10_000 }) }), { nil: undefined });
    const specs = fc.record({
      algorithm: fc.constantFrom('token-bucket' as const, 'gcra' as const),
      limit: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 11, max: 1_000_000_000 })),
      windowMs: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(60_000, 3_600_000, 1_000_000)),
      burstFactor: fc.constantFrom(0, 1, 3),
      penalty,
    });
    let shortcuts = 0;
    let statesCompared = 0;
    await fc.assert(
      fc.asyncProperty(specs, async ({ algorithm, limit, windowMs, burstFactor, penalty: withPenalty }) => {
        let spec;
        try {
          spec = normaliseLimit({ algorithm, limit, windowMs, ...(burstFactor === 0 ? {} : { burst: limit * burstFactor }), ...(withPenalty === undefined ? {} : { penalty: withPenalty }) });
        } catch {
          return; // a spec the library refuses (e.g. a gcra rate it cannot keep exact)
        }
        const shortcut = limiterScript(spec, false, 0);
        const general = limiterScript(spec, false, 0, { freshShortcut: false });
        if (shortcut.source === general.source) return;
        shortcuts += 1;
        const [fast, slow] = [`${redis!.prefix('fresh-first')}:${shortcuts}:fast`, `${redis!.prefix('fresh-first')}:${shortcuts}:slow`];
        const fastReply = await redis!.client.eval(shortcut.source, { keys: [fast] });
        const slowReply = await redis!.client.eval(general.source, { keys: [slow] });
        // The reply carries remaining and resetAfterMs, the TTL.
        assert.deepEqual(fastReply, slowReply, 'the reply');
        // A state that lives a few ms may be gone before it is read.
        const [fastState, slowState, fastExpiry, slowExpiry] = await Promise.all([raw.get(fast), raw.get(slow), redis!.client.pExpireTime(fast), redis!.client.pExpireTime(slow)]);
        if (fastState instanceof Buffer && slowState instanceof Buffer && fastExpiry > 0 && slowExpiry > 0) {
          assert.equal(fastState[0], slowState[0]! + FIRST_DECISION_LAYOUT, 'the layout byte');
          const doubles = (state: Buffer) => Array.from({ length: (state.length - 1) / 8 }, (_, index) => state.readDoubleLE(1 + index * 8));
          const [, ...fastFields] = doubles(fastState);
          const [slowE, ...slowFields] = doubles(slowState) as [number, ...number[]];
          assert.equal(slowE, slowExpiry, 'the general path: the key expires at e');
          // The general path's times, made relative to its e, are the shortcut's fields.
          const names = [...(spec.penalty === undefined ? [] : ['violations', 'since', 'blockedUntil']), ...(algorithm === 'gcra' ? ['a'] : ['a', 'b'])];
          const relative = slowFields.map((value, index) => {
            const name = names[index];
            if (algorithm === 'gcra' && name === 'a') return value - slowE * spec.timeScale;
            if (algorithm === 'token-bucket' && name === 'b') return value - slowE;
            return value;
          });
          assert.deepEqual(fastFields, relative, 'the stored state');
          statesCompared += 1;
        }
        await redis!.client.del([fast, slow]);
      }),
      { numRuns: 200 },
    );
    assert.ok(shortcuts >= 100 && statesCompared >= 50, `only ${shortcuts} specs took the shortcut, ${statesCompared} states compared`);
  });

  it('continues a key the shortcut started exactly like any other: the same decisions as a key started on the general path', async () => {
    for (const algorithm of ['token-bucket', 'gcra'] as const) {
      const spec = { algorithm, limit: 3, windowMs: 600 };
      const fast = createRedisLimiter(spec, { client: redis!.client, prefix: redis!.prefix('continue-fast') });
      const slow = createRedisLimiter(spec, { client: redis!.client, prefix: redis!.prefix('continue-slow') });
      // A new key's cost-1 decision takes the shortcut; any other cost takes the general path
      // (TIME), so the other key gets its first unit as 2 taken and 1 given back.
      const a = await fast.decide('k');
      const b = await slow.decide('k', 2);
      await slow.refund('k', 1);
      assert.equal(a.allowed && b.allowed, true, algorithm);
      const next = await Promise.all([fast.decide('k', 2), slow.decide('k', 2)]);
      assert.deepEqual(next.map((d) => [d.allowed, d.remaining]), [[true, 0], [true, 0]], algorithm);
      const refused = await Promise.all([fast.decide('k'), slow.decide('k')]);
      assert.deepEqual(refused.map((d) => d.allowed), [false, false], algorithm);
      assert.ok(Math.abs(refused[0]!.retryAfterMs - refused[1]!.retryAfterMs) <= 5, `${algorithm}: retry after ${refused[0]!.retryAfterMs} vs ${refused[1]!.retryAfterMs}`);
      // Once fresh again, both keys are gone.
      await sleep(Math.max(refused[0]!.resetAfterMs, refused[1]!.resetAfterMs) + 50);
      assert.equal(await redis!.client.exists([...fast.keys('k'), ...slow.keys('k')]), 0, algorithm);
    }
  });

  it('decides at the given `now` with callerClock, for tests and simulations', async () => {
    assert.equal(await storedTime('token-bucket', true, 1_234_567), 1_234_567);
  });

  it('does not reopen a counted window when the clock steps back (a failover to a lagging replica)', async () => {
    for (const algorithm of ALGORITHM_NAMES) {
      const spec = { algorithm, limit: 1, windowMs: 1000 };
      const prefix = redis!.prefix('step-back');
      // Two callers on one prefix, each with its own (monotonic) clock, stand in for a Redis clock that jumped back.
      const ahead = createRedisLimiter(spec, { client: redis!.client, prefix, callerClock: true });
      const behind = createRedisLimiter(spec, { client: redis!.client, prefix, callerClock: true });
      assert.equal((await ahead.decide('k', 1, 1_700_000_010_500)).allowed, true, algorithm);
      assert.equal((await behind.decide('k', 1, 1_700_000_009_500)).allowed, false, algorithm);
      // Nor does the step back count as time that refills or expires anything later on.
      assert.equal((await ahead.decide('k', 1, 1_700_000_010_600)).allowed, false, algorithm);
    }
  });

  it('makes exactly one round trip (one EVALSHA) per decision and per refund', async () => {
    for (const algorithm of ALGORITHM_NAMES) {
      const counted = countingClient(redis!.client);
      const limiter = createRedisLimiter(
        { algorithm, limit: 10, windowMs: 60_000, penalty: { after: 2, blockMs: 1000, maxBlockMs: 8000, decayMs: 60_000 } },
        { client: counted.client, prefix: redis!.prefix('trips') },
      );
      const decisions = 40;
      for (let index = 0; index < decisions; index += 1) await limiter.decide(`k${index % 3}`, (index % 4) + 1);
      await limiter.refund('k0', 2);
      assert.equal(counted.seen.scriptLoad, 1, `${algorithm}: one SCRIPT LOAD, on first use`);
      // A NOSCRIPT (another suite flushing) would add an EVAL; without one, each call is one EVALSHA.
      assert.equal(counted.seen.evalSha, decisions + 1, algorithm);
      assert.equal(counted.seen.eval, counted.seen.noScript, algorithm);
    }
  });

  it('sends the script as a raw command to a node-redis client: one EVALSHA per call, NOSCRIPT answered by one EVAL', async () => {
    for (const algorithm of ALGORITHM_NAMES) {
      const counted = countingRawClient(redis!.client);
      const limiter = createRedisLimiter(
        { algorithm, limit: 1000, windowMs: 60_000, penalty: { after: 2, blockMs: 1000, maxBlockMs: 8000, decayMs: 60_000 } },
        { client: counted.client, prefix: redis!.prefix('raw') },
      );
      let spent = 0;
      for (let index = 0; index < 10; index += 1) assert.equal((await limiter.decide('k')).remaining, 1000 - (spent += 1), algorithm);
      await limiter.refund('k');
      spent -= 1;
      assert.equal(counted.seen.evalSha, 11, algorithm);
      // Other suites may load the same script between our flush and our call; flush until ours met NOSCRIPT.
      for (let attempt = 0; attempt < 50 && counted.seen.noScript < 1; attempt += 1) {
        await redis!.client.scriptFlush();
        assert.equal((await limiter.decide('k')).remaining, 1000 - (spent += 1), algorithm);
      }
      assert.ok(counted.seen.noScript >= 1, `${algorithm}: EVALSHA met NOSCRIPT`);
      assert.equal(counted.seen.eval, counted.seen.noScript, `${algorithm}: each NOSCRIPT answered by one EVAL`);
      assert.equal(counted.seen.scriptLoad, 1, algorithm);
      assert.equal(counted.seen.other, 0, algorithm);
    }
    // node-redis's own client is recognised as such: with evalSha and eval refusing, decisions still work.
    const refuse = (): Promise<unknown> => Promise.reject(new Error('the raw path must not call evalSha or eval'));
    const real = Object.create(redis!.client, { evalSha: { value: refuse }, eval: { value: refuse } }) as RedisScriptClient;
    const limiter = createRedisLimiter({ algorithm: 'gcra', limit: 5, windowMs: 60_000 }, { client: real, prefix: redis!.prefix('raw-real') });
    assert.equal((await limiter.decide('k')).remaining, 4);
  });

  it('counts EVALSHA, never EVAL, in the server statistics', async () => {
    const stats = async () => {
      const info = await redis!.client.info('commandstats');
      const calls = (command: string) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
      return { evalsha: calls('evalsha'), eval: calls('eval') };
    };
    const limiter = createRedisLimiter({ algorithm: 'sliding-log', limit: 10, windowMs: 60_000 }, { client: redis!.client, prefix: redis!.prefix('stats') });
    await limiter.decide('warm');
    const before = await stats();
    for (let index = 0; index < 25; index += 1) await limiter.decide('k');
    const afterwards = await stats();
    // Other suites may share this server, so only a lower bound is certain.
    assert.ok(afterwards.evalsha - before.evalsha >= 25);
  });

  it('rejects, without swallowing, when Redis fails', async () => {
    const client = await redis!.connect();
    const limiter = createRedisLimiter({ algorithm: 'gcra', limit: 5, windowMs: 1000 }, { client, prefix: redis!.prefix('closed') });
    assert.equal((await limiter.decide('k')).allowed, true);
    client.destroy();
    await assert.rejects(limiter.decide('k'), /client is closed/);
    await assert.rejects(limiter.refund('k'), /client is closed/);
  });

  it('rejects invalid costs and caller times with a coded error', async () => {
    const limiter = createRedisLimiter({ algorithm: 'fixed-window', limit: 5, windowMs: 1000 }, { client: redis!.client, prefix: redis!.prefix('invalid'), callerClock: true });
    await assert.rejects(limiter.decide('k', -1, 1000), { code: 'config.invalid' });
    await assert.rejects(limiter.decide('k', 1.5, 1000), { code: 'config.invalid' });
    await assert.rejects(limiter.decide('k', 1, -5), { code: 'config.invalid' });
    await assert.rejects(limiter.refund('k', 1, Number.NaN), { code: 'config.invalid' });
  });
});
