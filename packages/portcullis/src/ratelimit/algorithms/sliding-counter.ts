/**
 * Sliding window counter: fixed windows, with the previous window's count weighted by how much of
 * it still overlaps the sliding window: `prev * (w - elapsed) / w + current + cost <= limit`,
 * compared multiplied through by `w` so it stays exact. State: `a` = start of the current window,
 * `b` = units in it, `c` = units in the window before.
 */
import type { NormalisedLimit } from '../types.js';
import type { LimitState, StepResult } from './limit-state.js';

function roll(state: LimitState, start: number, windowMs: number): void {
  if (state.a === start) return;
  state.c = state.a === start - windowMs ? state.b : 0;
  state.b = 0;
  state.a = start;
}

function resetAfter(state: LimitState, windowMs: number, now: number): number {
  if (state.b > 0) return state.a + 2 * windowMs - now;
  if (state.c > 0) return state.a + windowMs - now;
  return 0;
}

export function stepSlidingCounter(state: LimitState, spec: NormalisedLimit, cost: number, now: number, out: StepResult, windowStart: number): void {
  const windowMs = spec.windowMs;
  const start = windowStart;
  const elapsed = now - start;
  if (state.a !== start) roll(state, start, windowMs);
  const left = spec.limit * windowMs - (state.c * (windowMs - elapsed) + state.b * windowMs);
  const needed = cost * windowMs;
  if (needed <= left) {
    state.b += cost;
    out.allowed = true;
    out.retryAfterMs = 0;
    out.remaining = Math.floor((left - needed) / windowMs);
  } else {
    out.allowed = false;
    // Less than one unit of room (the usual refusal) needs no division.
    out.remaining = left < windowMs ? 0 : Math.floor(left / windowMs);
    out.retryAfterMs = retryAfter(state, spec.limit, windowMs, cost, now);
  }
  out.resetAfterMs = state.b > 0 ? start + 2 * windowMs - now : state.c > 0 ? start + windowMs - now : 0;
}

/** The first instant the weighted count leaves room for `cost`, assuming no other traffic. */
function retryAfter(state: LimitState, limit: number, windowMs: number, cost: number, now: number): number {
  const start = state.a;
  if (cost > limit) return start + 2 * windowMs - now;
  if (state.b + cost > limit) {
    // Not in this window: in the next one the current count becomes the weighted previous.
    const elapsedNeeded = windowMs - Math.floor(((limit - cost) * windowMs) / state.b);
    return start + windowMs + elapsedNeeded - now;
  }
  const elapsedNeeded = windowMs - Math.floor(((limit - state.b - cost) * windowMs) / state.c);
  return start + Math.min(elapsedNeeded, windowMs) - now;
}

export function refundSlidingCounter(state: LimitState, spec: NormalisedLimit, cost: number, now: number): number {
  roll(state, now - (now % spec.windowMs), spec.windowMs);
  const fromCurrent = Math.min(state.b, cost);
  state.b -= fromCurrent;
  state.c = Math.max(0, state.c - (cost - fromCurrent));
  return resetAfter(state, spec.windowMs, now);
}
