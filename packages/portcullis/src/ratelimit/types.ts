/**
 * The shapes every rate limiter shares. A limiter is bound to one limit spec and answers
 * `decide(key, cost, now)`; memory limiters answer synchronously (no promise on the hot path),
 * Redis limiters asynchronously and with the Redis server's clock instead of `now`.
 */

export type AlgorithmName = 'fixed-window' | 'sliding-log' | 'sliding-counter' | 'token-bucket' | 'gcra';

export const ALGORITHM_NAMES: readonly AlgorithmName[] = [
  'fixed-window',
  'sliding-log',
  'sliding-counter',
  'token-bucket',
  'gcra',
];

/** Blocks a key that keeps hitting its limit, for a time that doubles with each repeat. */
export interface PenaltySpec {
  /** Refusals, counted within `decayMs`, before the first block. */
  readonly after: number;
  /** Length of the first block; each further refusal while counted doubles it. */
  readonly blockMs: number;
  /** The longest block. */
  readonly maxBlockMs: number;
  /** Refusals older than this are forgotten (the count restarts). */
  readonly decayMs: number;
}

export interface LimitSpec {
  readonly algorithm: AlgorithmName;
  /** Quota units admitted per window (the `q` of `RateLimit-Policy`). */
  readonly limit: number;
  /** The window in milliseconds (the `w` of `RateLimit-Policy`, sent in seconds). */
  readonly windowMs: number;
  /** token-bucket and gcra only: units that may be spent at once; defaults to `limit`. */
  readonly burst?: number;
  readonly penalty?: PenaltySpec;
  /**
   * fixed-window only: windows are UTC calendar months instead of `windowMs` multiples
   * (`windowMs` is then only what `RateLimit-Policy` announces). See `monthlyQuota`.
   */
  readonly calendar?: 'month';
}

/** A spec checked and reduced to the integers the algorithms compute with. */
export interface NormalisedLimit {
  readonly algorithm: AlgorithmName;
  readonly limit: number;
  readonly windowMs: number;
  readonly burst: number;
  /**
   * limit / gcd(limit, windowMs) and windowMs / gcd(limit, windowMs): token-bucket keeps tokens in
   * units of 1/`unitScale`, gcra keeps time in units of 1/`timeScale` ms, so both stay exact integers.
   */
  readonly timeScale: number;
  readonly unitScale: number;
  readonly penalty: PenaltySpec | undefined;
  readonly calendar: 'month' | undefined;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** The quota of the policy, for headers. */
  readonly limit: number;
  /** Units left after this decision. */
  readonly remaining: number;
  /** Milliseconds until the key's quota is whole again (its state can be forgotten then). */
  readonly resetAfterMs: number;
  /** 0 when allowed; otherwise milliseconds until the same cost could be admitted. */
  readonly retryAfterMs: number;
  /** True when the refusal comes from a penalty block rather than the limit itself. */
  readonly blocked: boolean;
}

export interface RateLimiter {
  readonly spec: NormalisedLimit;
  /** Spends `cost` units of `key`'s quota if they are there; a cost of 0 only looks. */
  decide(key: string, cost?: number, now?: number): RateLimitDecision | Promise<RateLimitDecision>;
  /** Gives back units spent by an earlier admitted decision (skip-successful). */
  refund(key: string, cost?: number, now?: number): void | Promise<void>;
}
