/**
 * Sliding window log: a request admitted at `t` holds its cost until `t + windowMs`; a request is
 * admitted when the units held at `now` plus its cost fit in `limit`. Exact, and memory grows with
 * the limit (one log entry per admitted request). State: `log` = [t, cost, ...], `a` = index of the
 * oldest live entry, `b` = units held.
 */
import type { NormalisedLimit } from '../types.js';
import type { LimitState, StepResult } from './limit-state.js';

function dropExpired(state: LimitState, log: number[], now: number, windowMs: number): void {
  let head = state.a;
  while (head < log.length && (log[head] as number) + windowMs <= now) {
    state.b -= log[head + 1] as number;
    head += 2;
  }
  if (head >= log.length) {
    log.length = 0;
    head = 0;
  } else if (head >= 64 && head * 2 >= log.length) {
    log.splice(0, head);
    head = 0;
  }
  state.a = head;
}

function heldUntil(state: LimitState, log: number[], windowMs: number, now: number): number {
  return state.b > 0 ? (log[log.length - 2] as number) + windowMs - now : 0;
}

export function stepSlidingLog(state: LimitState, spec: NormalisedLimit, cost: number, now: number, out: StepResult): void {
  const windowMs = spec.windowMs;
  const log = (state.log ??= []);
  dropExpired(state, log, now, windowMs);
  out.allowed = state.b + cost <= spec.limit;
  if (out.allowed) {
    if (cost > 0) {
      log.push(now, cost);
      state.b += cost;
    }
    out.retryAfterMs = 0;
  } else {
    // Wait for the oldest entries whose release frees enough units for this cost.
    let needed = state.b + cost - spec.limit;
    let index = state.a;
    // A cost above the limit never fits: the hint is when the log is empty (a window from now if it is).
    let releaseAt = now + windowMs;
    while (needed > 0 && index < log.length) {
      needed -= log[index + 1] as number;
      releaseAt = (log[index] as number) + windowMs;
      index += 2;
    }
    out.retryAfterMs = releaseAt - now;
  }
  out.remaining = spec.limit - state.b;
  out.resetAfterMs = heldUntil(state, log, windowMs, now);
}

export function refundSlidingLog(state: LimitState, spec: NormalisedLimit, cost: number, now: number): number {
  const log = (state.log ??= []);
  dropExpired(state, log, now, spec.windowMs);
  let left = cost;
  while (left > 0 && log.length > state.a) {
    const last = log.length - 1;
    const held = log[last] as number;
    if (held <= left) {
      log.length -= 2;
      state.b -= held;
      left -= held;
    } else {
      log[last] = held - left;
      state.b -= left;
      left = 0;
    }
  }
  if (log.length <= state.a) {
    log.length = 0;
    state.a = 0;
  }
  return heldUntil(state, log, spec.windowMs, now);
}
