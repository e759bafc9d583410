/**
 * Fail modes for a limiter whose state lives elsewhere (Redis). Every store call is bounded by a
 * timeout; a failure or timeout switches the policy to its chosen mode: `closed` refuses with 503
 * and Retry-After, `open` admits, `local` decides with an in-process limiter of the same spec.
 * While degraded the store is not asked again until `probeAfterMs` has passed, and then by one
 * request at a time, so a dead store costs neither a timeout per request nor a stampede when it
 * returns. The switch and the recovery are each reported once. A store error is never a 500.
 */
import { PortcullisError } from '../errors/index.js';
import { retryAfterSeconds } from './limit-fields.js';
import { createMemoryLimiter } from './memory-limiter.js';
import type { NormalisedLimit, RateLimitDecision, RateLimiter } from './types.js';

export type FailMode = 'closed' | 'open' | 'local';

export interface StoreStateEvent {
  readonly event: 'ratelimit.store_degraded' | 'ratelimit.store_recovered';
  readonly policy: string;
  readonly failMode: FailMode;
  /** The failure's code or name only; store errors can carry connection strings. */
  readonly reason?: string;
}

export interface StoreGuardOptions {
  readonly policy: string;
  readonly failMode: FailMode;
  /** Longest wait for one store decision. Default 250 ms. */
  readonly timeoutMs?: number;
  /** How long to stay degraded before probing the store again. Default 1 s. */
  readonly probeAfterMs?: number;
  /** Keys the `local` fallback may hold. Default 100,000. */
  readonly fallbackMaxKeys?: number;
  readonly onStateChange?: (event: StoreStateEvent) => void;
}

export interface GuardedDecision extends RateLimitDecision {
  /** Where the decision came from: the store, the local fallback, or fail-open (nothing counted). */
  readonly source: 'store' | 'fallback' | 'open';
}

class StoreTimeoutError extends Error {
  override readonly name = 'StoreTimeoutError';
}

function describeFailure(error: unknown): string {
  if (error instanceof StoreTimeoutError) return 'timeout';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : 'error';
}

export class StoreGuard {
  readonly spec: NormalisedLimit;
  private readonly store: RateLimiter;
  private readonly options: StoreGuardOptions;
  private readonly timeoutMs: number;
  private readonly probeAfterMs: number;
  private readonly fallback: RateLimiter | undefined;
  private readonly openDecision: GuardedDecision;
  private readonly unavailable: PortcullisError;
  private degradedUntil = 0;
  private degraded = false;
  private probing = false;

  constructor(store: RateLimiter, options: StoreGuardOptions) {
    this.store = store;
    this.spec = store.spec;
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? 250;
    this.probeAfterMs = options.probeAfterMs ?? 1_000;
    this.fallback = options.failMode === 'local'
      ? createMemoryLimiter(store.spec, { maxKeys: options.fallbackMaxKeys ?? 100_000 })
      : undefined;
    this.openDecision = Object.freeze({
      allowed: true,
      limit: store.spec.limit,
      remaining: store.spec.limit,
      resetAfterMs: 0,
      retryAfterMs: 0,
      blocked: false,
      source: 'open' as const,
    });
    this.unavailable = new PortcullisError('ratelimit.unavailable', {
      headers: { 'retry-after': retryAfterSeconds(this.probeAfterMs) },
    });
  }

  /** True while the store is considered down. */
  get isDegraded(): boolean {
    return this.degraded;
  }

  async decide(key: string, cost = 1): Promise<GuardedDecision> {
    if (this.degraded && (this.probing || Date.now() < this.degradedUntil)) return this.failOver(key, cost);
    const probe = this.degraded;
    if (probe) this.probing = true;
    try {
      const decision = await this.withTimeout(this.store.decide(key, cost));
      if (this.degraded) this.recover();
      return { ...decision, source: 'store' };
    } catch (error) {
      this.degrade(error);
      return this.failOver(key, cost);
    } finally {
      if (probe) this.probing = false;
    }
  }

  async refund(key: string, cost = 1): Promise<void> {
    if (this.degraded) {
      if (this.fallback !== undefined) await this.fallback.refund(key, cost);
      return;
    }
    try {
      await this.withTimeout(this.store.refund(key, cost));
    } catch (error) {
      // A lost refund only makes the limit stricter; it is worth a state change, not a failure.
      this.degrade(error);
    }
  }

  private async failOver(key: string, cost: number): Promise<GuardedDecision> {
    if (this.fallback !== undefined) return { ...(await this.fallback.decide(key, cost)), source: 'fallback' };
    if (this.options.failMode === 'open') return this.openDecision;
    throw this.unavailable;
  }

  private degrade(error: unknown): void {
    this.degradedUntil = Date.now() + this.probeAfterMs;
    if (this.degraded) return;
    this.degraded = true;
    this.options.onStateChange?.({
      event: 'ratelimit.store_degraded',
      policy: this.options.policy,
      failMode: this.options.failMode,
      reason: describeFailure(error),
    });
  }

  private recover(): void {
    this.degraded = false;
    this.options.onStateChange?.({ event: 'ratelimit.store_recovered', policy: this.options.policy, failMode: this.options.failMode });
  }

  private withTimeout<T>(work: T | Promise<T>): Promise<T> {
    if (!(work instanceof Promise)) return Promise.resolve(work);
    // If the timeout wins, the store's late rejection must not surface as unhandled.
    work.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreTimeoutError()), this.timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}
