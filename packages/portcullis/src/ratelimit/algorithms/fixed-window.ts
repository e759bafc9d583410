/**
 * Fixed window: windows aligned to multiples of `windowMs` since the epoch (or UTC calendar
 * months with `calendar: 'month'`); at most `limit` units are admitted in each. State: `a` =
 * start of the counted window, `b` = units admitted in it.
 */
import type { NormalisedLimit } from '../types.js';
import type { LimitState, StepResult } from './limit-state.js';

/** Start of the UTC calendar month holding `now`, and of the next one. */
export function monthWindow(now: number): [number, number] {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  return [Date.UTC(year, month, 1), Date.UTC(year, month + 1, 1)];
}

function windowOf(spec: NormalisedLimit, now: number): [number, number] {
  if (spec.calendar === 'month') return monthWindow(now);
  const start = now - (now % spec.windowMs);
  return [start, start + spec.windowMs];
}

export function stepFixedWindow(state: LimitState, spec: NormalisedLimit, cost: number, now: number, out: StepResult, windowStart: number): void {
  let start: number;
  let end: number;
  if (spec.calendar === undefined) {
    // The common case: the limiter's window, no remainder and no array per decision.
    start = windowStart;
    end = start + spec.windowMs;
  } else {
    [start, end] = monthWindow(now);
  }
  if (state.a !== start) {
    state.a = start;
    state.b = 0;
  }
  const untilEnd = end - now;
  out.allowed = state.b + cost <= spec.limit;
  if (out.allowed) state.b += cost;
  out.remaining = spec.limit - state.b;
  out.resetAfterMs = state.b > 0 ? untilEnd : 0;
  out.retryAfterMs = out.allowed ? 0 : untilEnd;
}

export function refundFixedWindow(state: LimitState, spec: NormalisedLimit, cost: number, now: number): number {
  const [start, end] = windowOf(spec, now);
  if (state.a === start) state.b = Math.max(0, state.b - cost);
  return state.b > 0 && state.a === start ? end - now : 0;
}
