import { PortcullisError } from '../errors/index.js';

/**
 * Per-account lockout (A2) as pure arithmetic over a small record the caller stores: after
 * `threshold` consecutive failures the account is locked for `baseDelayMs`, doubling with each
 * further failure up to `maxDelayMs`. The cap is what keeps an attacker from turning lockout into
 * a permanent denial: no single failure locks for longer than the cap, attempts during a lock are
 * refused without counting, and the owner's password reset (or an admin) clears the record.
 * Failures are forgotten after `forgetAfterMs` without one. Keyed by the normalised account name
 * whether or not it exists, so a lockout reveals nothing about which accounts are registered.
 */

export interface LockoutPolicy {
  /** Consecutive failures before the first lock. Default 5. */
  readonly threshold: number;
  /** First lock. Default 30 s. */
  readonly baseDelayMs: number;
  /** Longest lock. Default 15 min. */
  readonly maxDelayMs: number;
  /** Quiet time after which failures are forgotten. Default 24 h. */
  readonly forgetAfterMs: number;
}

export const DEFAULT_LOCKOUT_POLICY: LockoutPolicy = Object.freeze({
  threshold: 5,
  baseDelayMs: 30_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
});

export interface LockoutRecord {
  readonly failures: number;
  /** Epoch ms; undefined when not locked. */
  readonly lockedUntil: number | undefined;
  readonly lastFailureAt: number;
}

/**
 * Checks and completes a lockout policy; throws `config.invalid` on a nonsensical one.
 *
 * @example
 * const policy = lockoutPolicy({ threshold: 10 });
 */
export function lockoutPolicy(options: Partial<LockoutPolicy> = {}): LockoutPolicy {
  const policy = { ...DEFAULT_LOCKOUT_POLICY, ...options };
  const whole = (value: number, min: number) => Number.isSafeInteger(value) && value >= min;
  if (!whole(policy.threshold, 1) || !whole(policy.baseDelayMs, 1) || !whole(policy.forgetAfterMs, 1) || !whole(policy.maxDelayMs, policy.baseDelayMs)) {
    throw new PortcullisError('config.invalid', {
      detail: 'lockout: threshold, baseDelayMs and forgetAfterMs must be positive integers, and maxDelayMs at least baseDelayMs',
    });
  }
  return Object.freeze(policy);
}

/**
 * How long the account stays locked at `now`, in ms (0 when it is not locked).
 *
 * @example
 * const wait = lockoutRemainingMs(record, Date.now());
 * if (wait > 0) throw accountLocked(wait);
 */
export function lockoutRemainingMs(record: LockoutRecord | undefined, now: number): number {
  if (record?.lockedUntil === undefined) return 0;
  return Math.max(0, record.lockedUntil - now);
}

/**
 * The record after one more failed attempt at `now`. Attempts refused during a lock must not be
 * passed here: they are not failures, or an attacker could lengthen the lock at will.
 *
 * @example
 * await store.save(account, lockoutAfterFailure(await store.load(account), Date.now(), policy));
 */
export function lockoutAfterFailure(previous: LockoutRecord | undefined, now: number, policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY): LockoutRecord {
  const stale = previous === undefined || now - previous.lastFailureAt >= policy.forgetAfterMs;
  const failures = (stale ? 0 : previous.failures) + 1;
  if (failures < policy.threshold) return { failures, lockedUntil: undefined, lastFailureAt: now };
  // 2^steps overflows nothing that matters: past ~40 steps the cap has long taken over.
  const steps = Math.min(failures - policy.threshold, 40);
  const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** steps);
  return { failures, lockedUntil: now + delay, lastFailureAt: now };
}
