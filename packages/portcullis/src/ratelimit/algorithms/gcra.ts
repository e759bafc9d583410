/**
 * GCRA, the leaky bucket as a meter: each unit pushes a theoretical arrival time (TAT) forward by
 * the emission interval `windowMs / limit`; a request is admitted while its TAT stays within
 * `burst` intervals of now. Time is counted in units of 1/timeScale ms so the interval
 * (`unitScale` units) is an integer. State: `a` = TAT in those units (0 = fresh).
 */
import type { NormalisedLimit } from '../types.js';
import { ceilDiv, type LimitState, type StepResult } from './limit-state.js';

export function stepGcra(state: LimitState, spec: NormalisedLimit, cost: number, now: number, out: StepResult): void {
  const timeScale = spec.timeScale;
  const scaledNow = now * timeScale;
  const interval = spec.unitScale;
  const tolerance = spec.burst * interval;
  const tat = state.a > scaledNow ? state.a : scaledNow;
  const nextTat = tat + cost * interval;
  let heldFor: number;
  if (nextTat - scaledNow <= tolerance) {
    state.a = nextTat;
    heldFor = nextTat - scaledNow;
    out.allowed = true;
    out.retryAfterMs = 0;
  } else {
    heldFor = tat - scaledNow;
    out.allowed = false;
    out.retryAfterMs = ceilDiv(nextTat - tolerance - scaledNow, timeScale);
  }
  // Divisions are the costly part; an interval or scale of 1 (common) needs none.
  out.remaining = interval === 1 ? tolerance - heldFor : Math.floor((tolerance - heldFor) / interval);
  out.resetAfterMs = timeScale === 1 ? heldFor : ceilDiv(heldFor, timeScale);
}

export function refundGcra(state: LimitState, spec: NormalisedLimit, cost: number, now: number): number {
  const scaledNow = now * spec.timeScale;
  state.a = Math.max(scaledNow, state.a - cost * spec.unitScale);
  return ceilDiv(state.a - scaledNow, spec.timeScale);
}
