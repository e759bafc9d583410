/**
 * The Redis limiter: the same decisions as the memory limiter (same algorithms, penalties,
 * refunds and expiry, in exact integer arithmetic), shared by every process that uses the same
 * Redis and prefix, one EVALSHA per decision. Time is the Redis server's clock, so processes with
 * drifting clocks still agree; `callerClock` exists so tests and simulations can replay a
 * sequence deterministically. Every key written expires when its state is fresh again.
 */
import { PortcullisError } from '../../errors/index.js';
import { checkCost, normaliseLimit } from '../limit-spec.js';
import type { LimitSpec, NormalisedLimit, RateLimitDecision, RateLimiter } from '../types.js';
import { decisionFromReply, replyPacking, type ReplyPacking } from './decision-reply.js';
import { limiterScript } from './lua/limiter-script.js';
import { checkPrefix, limiterKeys, stateKey } from './redis-keys.js';
import { ScriptRunner, type RedisScriptClient } from './script-client.js';

export interface RedisLimiterOptions {
  /** A connected client; a node-redis v5 client fits as it is. */
  readonly client: RedisScriptClient;
  /**
   * Namespace of this limiter's keys, e.g. `pc:rl:login:`. Give every limiter its own: two specs
   * sharing a prefix would read each other's state. Must not contain `{` or `}`. A user key `k`
   * is stored under `${prefix}{k}:s2` (`:c2` for fixed-window on the server clock, plus `:l2`
   * for sliding-log), with `%`, `{`, `}` in `k` escaped so the Redis Cluster hash tag is always
   * exactly `k` (see redis-keys.ts).
   */
  readonly prefix: string;
  /**
   * Tests and simulations only: decide at the `now` passed to `decide`/`refund` (or `clock()`)
   * instead of the Redis server's clock. Keys are then kept `callerClockKeepMs` longer than their
   * state lives, since Redis expires them on its own clock; stale state is still ignored.
   */
  readonly callerClock?: boolean;
  /** With `callerClock`: the clock used when no `now` is given; default `Date.now`. */
  readonly clock?: () => number;
  /** With `callerClock`: extra time to keep keys; default 60 s. */
  readonly callerClockKeepMs?: number;
}

const ignoreReply = (): void => undefined;
/** A decision of cost 1 on the server clock, the common call, sends no arguments at all. */
const NO_ARGUMENTS: readonly string[] = Object.freeze([]);
const REFUND = '1';
const DECIDE = '0';

function invalid(detail: string): PortcullisError {
  return new PortcullisError('config.invalid', { detail: `rate limit: ${detail}` });
}

export class RedisRateLimiter implements RateLimiter {
  readonly spec: NormalisedLimit;
  readonly prefix: string;
  private readonly runner: ScriptRunner;
  private readonly packing: ReplyPacking;
  private readonly keyCount: 1 | 2;
  private readonly suffix: string;
  private readonly callerClock: boolean;
  private readonly clock: () => number;
  private latest = 0;
  private readonly toDecision = (reply: unknown): RateLimitDecision => decisionFromReply(reply, this.spec.limit, this.packing);

  constructor(spec: LimitSpec, options: RedisLimiterOptions) {
    this.spec = normaliseLimit(spec);
    const client = options?.client;
    if (typeof client?.evalSha !== 'function' || typeof client.eval !== 'function' || typeof client.scriptLoad !== 'function') {
      throw invalid('the Redis limiter needs a client with evalSha, eval and scriptLoad (node-redis v5)');
    }
    this.prefix = checkPrefix(options.prefix);
    this.callerClock = options.callerClock === true;
    this.clock = options.clock ?? Date.now;
    const keepMs = options.callerClockKeepMs ?? 60_000;
    if (!Number.isSafeInteger(keepMs) || keepMs < 0) throw invalid('callerClockKeepMs must be a non-negative integer');
    const script = limiterScript(this.spec, this.callerClock, keepMs);
    this.keyCount = script.keyCount;
    this.suffix = script.stateSuffix;
    this.runner = new ScriptRunner(client, script);
    this.packing = replyPacking(this.spec);
  }

  /** Spends `cost` units of `key`'s quota if they are there; `now` is ignored unless `callerClock`. */
  decide(key: string, cost = 1, now?: number): Promise<RateLimitDecision> {
    // Not async: an async function and an await would add two promises to every decision.
    try {
      const args = this.callerClock ? this.callerClockArguments(cost, DECIDE, now) : cost === 1 ? NO_ARGUMENTS : [String(checkCost(cost))];
      return this.runner.run(this.keyCount === 1 ? stateKey(this.prefix, key, this.suffix) : this.keys(key), args, this.toDecision);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Gives back units spent by an earlier admitted decision; `now` is ignored unless `callerClock`. */
  refund(key: string, cost = 1, now?: number): Promise<void> {
    try {
      const args = this.callerClock ? this.callerClockArguments(cost, REFUND, now) : [String(checkCost(cost)), REFUND];
      return this.runner.run(this.keyCount === 1 ? stateKey(this.prefix, key, this.suffix) : this.keys(key), args, ignoreReply);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The Redis keys that hold `key`'s state (for tests and operators). */
  keys(key: string): string[] {
    return limiterKeys(this.prefix, key, this.keyCount, this.suffix);
  }

  private callerClockArguments(cost: number, mode: string, now: number | undefined): string[] {
    return [String(checkCost(cost)), mode, String(this.monotonic(now))];
  }

  private monotonic(now: number | undefined): number {
    // As in the memory limiter: a clock stepping back must not reopen a window already counted.
    const at = now ?? this.clock();
    if (!Number.isSafeInteger(at) || at < 0) throw invalid('now must be a non-negative integer of milliseconds');
    if (at > this.latest) this.latest = at;
    return this.latest;
  }
}

/**
 * @example
 * import { createClient } from 'redis';
 * const client = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
 * const limiter = createRedisLimiter({ algorithm: 'gcra', limit: 100, windowMs: 60_000 }, { client, prefix: 'rl:api:' });
 * const decision = await limiter.decide('ip4:203.0.113.7');
 */
export function createRedisLimiter(spec: LimitSpec, options: RedisLimiterOptions): RedisRateLimiter {
  return new RedisRateLimiter(spec, options);
}
