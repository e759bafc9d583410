/**
 * Penalties for repeat offenders, on a memory record: a refusal counts a violation (the count
 * restarts once `decayMs` has passed since the last refusal); from the `after`-th violation on the
 * key is blocked for `blockMs * 2^(violations - after)`, capped at `maxBlockMs`. The Redis scripts
 * implement the same rule.
 */
import type { LimitState } from './algorithms/index.js';
import type { PenaltySpec } from './types.js';

/** Counts one refusal at `now`; returns the block it earns in milliseconds (0 for none). */
export function recordViolation(state: LimitState, penalty: PenaltySpec, now: number): number {
  if (state.violations > 0 && now >= state.lastViolationAt + penalty.decayMs) state.violations = 0;
  state.violations += 1;
  state.lastViolationAt = now;
  if (state.violations < penalty.after) return 0;
  const doublings = Math.min(state.violations - penalty.after, 40);
  const blockMs = Math.min(penalty.maxBlockMs, penalty.blockMs * 2 ** doublings);
  state.blockedUntil = now + blockMs;
  return blockMs;
}

/** When the penalty part of a record can be forgotten. */
export function penaltyExpiresAt(state: LimitState, penalty: PenaltySpec): number {
  const decayEnd = state.violations > 0 ? state.lastViolationAt + penalty.decayMs : 0;
  return Math.max(decayEnd, state.blockedUntil);
}
