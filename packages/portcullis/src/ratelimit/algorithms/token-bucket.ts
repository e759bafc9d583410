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
  // Divisions are the slow part (tens of cycles each): a scale of 1 (common) or an empty bucket needs none.
  const timeScale = spec.timeScale;
  if (out.allowed) {
    state.a += needed;
    out.retryAfterMs = 0;
  } else {
    const short = state.a + needed - capacity;
    out.retryAfterMs = timeScale === 1 ? short : ceilDiv(short, timeScale);
  }
  const room = capacity - state.a;
  out.remaining = room < spec.unitScale ? 0 : Math.floor(room / spec.unitScale);
  out.resetAfterMs = timeScale === 1 ? state.a : ceilDiv(state.a, timeScale);
}

export function refundTokenBucket(state: LimitState, spec: NormalisedLimit, cost: number, now: number): number {
  refill(state, spec, now);
  state.a = Math.max(0, state.a - cost * spec.unitScale);
  return ceilDiv(state.a, spec.timeScale);
}
