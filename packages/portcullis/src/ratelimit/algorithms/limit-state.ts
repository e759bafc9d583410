/**
 * The mutable record one key's limit lives in, shared by the five algorithms so the memory store
 * keeps one object shape (monomorphic property access on the hot path). All-zero is the fresh
 * state for every algorithm; what each field means is documented by the algorithm that uses it.
 */
export class LimitState {
  a = 0;
  b = 0;
  c = 0;
  /** sliding-log only: flat [timestamp, cost, timestamp, cost, ...], oldest first from `a`. */
  log: number[] | undefined = undefined;
  /** When the whole record returns to the fresh state and may be dropped. */
  expiresAt = 0;
  /** Penalties: refusals counted, the time of the last one, and the end of the current block. */
  violations = 0;
  lastViolationAt = 0;
  blockedUntil = 0;

  reset(): void {
    this.a = 0;
    this.b = 0;
    this.c = 0;
    this.log = undefined;
    this.expiresAt = 0;
    this.violations = 0;
    this.lastViolationAt = 0;
    this.blockedUntil = 0;
  }
}

/** What one algorithm step reports; the limiter adds the penalty and builds the decision. */
export interface StepResult {
  allowed: boolean;
  remaining: number;
  resetAfterMs: number;
  retryAfterMs: number;
}

export function ceilDiv(numerator: number, denominator: number): number {
  return Math.ceil(numerator / denominator);
}
