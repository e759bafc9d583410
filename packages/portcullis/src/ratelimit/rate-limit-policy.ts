/**
 * A named rate-limit policy: a limit spec, where its counters live, what to do when that store
 * fails, and whether to slow requests down before refusing them. The policy decides for a key;
 * which key a request is counted under, and how a refusal is answered, is the adapter's job.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PortcullisError } from '../errors/index.js';
import { formatPolicyItem, assertPolicyName } from './limit-fields.js';
import { createMemoryLimiter, emptyDecision, type MemoryRateLimiter, type MutableDecision } from './memory-limiter.js';
import { StoreGuard, type FailMode, type StoreStateEvent } from './store-guard.js';
import type { LimitSpec, NormalisedLimit, RateLimitDecision, RateLimiter } from './types.js';

export interface SlowDownOptions {
  /**
   * A request over the limit waits for its slot instead of being refused, as long as the total
   * wait stays within this; beyond it, it is refused as usual. Waiting requests hold a connection.
   */
  readonly maxDelayMs: number;
}

export interface RateLimitPolicyOptions {
  /** Sent as the policy name in `RateLimit-Policy` and `RateLimit`; a-z, 0-9, `_.-`. */
  readonly name: string;
  readonly limit: LimitSpec;
  /**
   * Builds the limiter that holds the counters, e.g. `(spec) => createRedisLimiter(spec, {...})`.
   * Default: in this process's memory.
   */
  readonly store?: (spec: LimitSpec) => RateLimiter;
  /** When the store fails or times out: `closed` (503), `open` (admit) or `local` (default). */
  readonly failMode?: FailMode;
  /** Longest wait for one store decision. Default 250 ms. */
  readonly storeTimeoutMs?: number;
  /** How long a failed store is left alone before it is tried again. Default 1 s. */
  readonly probeAfterMs?: number;
  /** Keys held in memory (by the memory limiter or the local fallback). Default 100,000. */
  readonly maxKeys?: number;
  readonly slowDown?: SlowDownOptions;
  /**
   * Told once when the store fails and once when it recovers, and once each time the memory
   * limiter fills up with live keys. Adapters add their own listener (a log line) too.
   */
  readonly onStoreStateChange?: (event: RateLimitPolicyEvent) => void;
}

export type RateLimitPolicyEvent = StoreStateEvent | { readonly event: 'ratelimit.memory_full'; readonly policy: string };

export type PolicyDecision = RateLimitDecision & { readonly source?: 'store' | 'fallback' | 'open' };

const FAIL_MODES: readonly FailMode[] = ['closed', 'open', 'local'];

export class RateLimitPolicy {
  readonly name: string;
  readonly spec: NormalisedLimit;
  /** This policy's item of the `RateLimit-Policy` field, computed once. */
  readonly policyItem: string;
  readonly failMode: FailMode;
  private readonly memory: MemoryRateLimiter | undefined;
  private readonly scratch: MutableDecision = emptyDecision();
  private readonly guard: StoreGuard | undefined;
  private readonly maxDelayMs: number;
  private readonly listeners = new Set<(event: RateLimitPolicyEvent) => void>();

  constructor(options: RateLimitPolicyOptions) {
    this.name = assertPolicyName(options.name);
    this.failMode = options.failMode ?? 'local';
    if (!FAIL_MODES.includes(this.failMode)) {
      throw new PortcullisError('config.invalid', { detail: 'rate limit: failMode must be closed, open or local' });
    }
    const maxDelayMs = options.slowDown?.maxDelayMs ?? 0;
    if (!Number.isInteger(maxDelayMs) || maxDelayMs < 0 || maxDelayMs > 60_000) {
      throw new PortcullisError('config.invalid', { detail: 'rate limit: slowDown.maxDelayMs must be an integer from 0 to 60000' });
    }
    this.maxDelayMs = maxDelayMs;
    if (options.onStoreStateChange !== undefined) this.listeners.add(options.onStoreStateChange);
    const emit = (event: RateLimitPolicyEvent): void => {
      for (const listener of this.listeners) listener(event);
    };
    if (options.store === undefined) {
      const policy = this.name;
      this.memory = createMemoryLimiter(options.limit, {
        ...(options.maxKeys === undefined ? {} : { maxKeys: options.maxKeys }),
        onFull: () => emit({ event: 'ratelimit.memory_full', policy }),
      });
      this.spec = this.memory.spec;
    } else {
      const store = options.store(options.limit);
      this.guard = new StoreGuard(store, {
        policy: this.name,
        failMode: this.failMode,
        ...(options.storeTimeoutMs === undefined ? {} : { timeoutMs: options.storeTimeoutMs }),
        ...(options.probeAfterMs === undefined ? {} : { probeAfterMs: options.probeAfterMs }),
        ...(options.maxKeys === undefined ? {} : { fallbackMaxKeys: options.maxKeys }),
        onStateChange: emit,
      });
      this.spec = store.spec;
    }
    this.policyItem = formatPolicyItem(this.name, this.spec.limit, this.spec.windowMs);
  }

  /** Adds a listener for store failure, recovery and memory-full events. */
  addListener(listener: (event: RateLimitPolicyEvent) => void): void {
    this.listeners.add(listener);
  }

  /** True while a store-backed policy is running on its fail mode. */
  get isDegraded(): boolean {
    return this.guard?.isDegraded ?? false;
  }

  /**
   * Spends `cost` units of `key`'s quota. Memory policies answer synchronously. Throws
   * `ratelimit.unavailable` only for a `closed` policy whose store is down.
   */
  check(key: string, cost = 1): PolicyDecision | Promise<PolicyDecision> {
    const decision = this.memory !== undefined ? this.memory.decide(key, cost) : this.guard!.decide(key, cost);
    if (this.maxDelayMs === 0) return decision;
    return decision instanceof Promise ? decision.then((first) => this.slowDown(key, cost, first)) : this.slowDown(key, cost, decision);
  }

  /**
   * `check` for adapters that read the decision at once, before anything else can run: a memory
   * policy without slow-down answers in an object reused by the next call, allocating nothing.
   */
  checkTransient(key: string, cost = 1): PolicyDecision | Promise<PolicyDecision> {
    if (this.memory !== undefined && this.maxDelayMs === 0) return this.memory.decideInto(this.scratch, key, cost);
    return this.check(key, cost);
  }

  /** Gives back units of an admitted decision (skip-successful). Never throws. */
  refund(key: string, cost = 1): void | Promise<void> {
    if (this.memory !== undefined) return this.memory.refund(key, cost) as void;
    return this.guard!.refund(key, cost);
  }

  private async slowDown(key: string, cost: number, first: PolicyDecision): Promise<PolicyDecision> {
    let decision = first;
    let waited = 0;
    // Wait for the slot the limiter names, then ask again: the limit itself is never exceeded.
    while (!decision.allowed && !decision.blocked && decision.retryAfterMs > 0 && waited + decision.retryAfterMs <= this.maxDelayMs) {
      await sleep(decision.retryAfterMs);
      waited += decision.retryAfterMs;
      const next = this.memory !== undefined ? this.memory.decide(key, cost) : this.guard!.decide(key, cost);
      decision = next instanceof Promise ? await next : next;
    }
    return decision;
  }
}

/**
 * @example
 * const general = createRateLimitPolicy({ name: 'api', limit: { algorithm: 'gcra', limit: 300, windowMs: 60_000 } });
 */
export function createRateLimitPolicy(options: RateLimitPolicyOptions): RateLimitPolicy {
  return new RateLimitPolicy(options);
}

export type { StoreStateEvent, FailMode };
