/**
 * Token bucket: holds up to `burst` tokens and refills `limit` tokens per `windowMs`; a request
 * takes `cost` tokens or is refused. Tokens are counted in units of 1/unitScale so the refill per
 * millisecond (`timeScale` units) is an integer. State: `a` = units missing from a full bucket
 * (0 = full, so the zero record is a fresh bucket), `b` = when `a` was computed.
 */
import type { NormalisedLimit } from '../types.js';
import { ceilDiv, type LimitState, type StepResult } from './limit-state.js';

function refill(state: LimitState, spec: NormalisedLimit, now: number): void {
  if (state.a > 0 && now > state.b) {
    const refilled = (now - state.b) * spec.timeScale;
    state.a = refilled >= state.a ? 0 : state.a - refilled;
  }
  state.b = now;
}

export function stepTokenBucket(state: LimitState, spec: NormalisedLimit, cost: number, now: number, out: StepResult): void {
  refill(state, spec, now);
  const capacity = spec.burst * spec.unitScale;
  const needed = cost * spec.unitScale;
  out.allowed = state.a + needed <= capacity;
  if (out.allowed) {
    state.a += needed;
    out.retryAfterMs = 0;
  } else {
    out.retryAfterMs = ceilDiv(state.a + needed - capacity, spec.timeScale);
  }
  out.remaining = Math.floor((capacity - state.a) / spec.unitScale);
  out.resetAfterMs = ceilDiv(state.a, spec.timeScale);
}

export function refundTokenBucket(state: LimitState, spec: NormalisedLimit, cost: number, now: number): number {
  refill(state, spec, now);
  state.a = Math.max(0, state.a - cost * spec.unitScale);
  return ceilDiv(state.a, spec.timeScale);
}
