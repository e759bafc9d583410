/**
 * Fixed window: windows aligned to multiples of `windowMs` since the epoch; at most `limit` units
 * are admitted in each. State: `a` = start of the counted window, `b` = units admitted in it.
 */
import type { NormalisedLimit } from '../types.js';
import type { LimitState, StepResult } from './limit-state.js';

export function stepFixedWindow(state: LimitState, spec: NormalisedLimit, cost: number, now: number, out: StepResult): void {
  const windowMs = spec.windowMs;
  const start = now - (now % windowMs);
  if (state.a !== start) {
    state.a = start;
    state.b = 0;
  }
  const untilEnd = start + windowMs - now;
  out.allowed = state.b + cost <= spec.limit;
  if (out.allowed) state.b += cost;
  out.remaining = spec.limit - state.b;
  out.resetAfterMs = state.b > 0 ? untilEnd : 0;
  out.retryAfterMs = out.allowed ? 0 : untilEnd;
}

export function refundFixedWindow(state: LimitState, spec: NormalisedLimit, cost: number, now: number): number {
  if (state.a === now - (now % spec.windowMs)) state.b = Math.max(0, state.b - cost);
  return state.b > 0 ? state.a + spec.windowMs - now : 0;
}
