/**
 * The first decision on a new key, worked out once per limiter instead of on every call.
 *
 * Token bucket and GCRA only compare and subtract times, so a cost-1 decision on a key that does
 * not exist ends the same way at any `now`: the same state relative to `now`, the same TTL, the
 * same reply. The script answers it with the GET that found no key, one SET of a constant with a
 * relative TTL (PX) and a constant reply: no TIME, no arithmetic, no struct.pack. That is the
 * common case wherever keys are many (each new client, each bucket that refilled and expired),
 * and it was the costliest one next to a plain counter, TIME alone being ~9k of ~47k instructions
 * on the Redis thread (bench/ratelimit/instructions.ts).
 *
 * Exactness is kept by where the times go: the constant state stores its time fields relative to
 * its own expiry `e` (layout FIRST_DECISION_LAYOUT), and PX sets that expiry exactly: `e` is the
 * decision's instant plus the TTL, on the server's clock. The next decision reads `e` back with
 * PEXPIRETIME (absolute, no clock involved) and the server's `now` from PTTL, turns the fields
 * back into absolute times and goes on as for any live key; its write stores the ordinary layout.
 * (A frame that only moved with PTTL and PX would drift: PTTL and a later PX each read the clock,
 * and a millisecond tick between them shifts the frame by 1 ms, measured at ~0.7% of writes on
 * Redis 7.0.)
 *
 * The outcome is computed with the memory limiter's own step (algorithms/), which the Lua mirrors
 * operation for operation; redis-limiter-store.test.ts checks the constants against the script's
 * general path for many specs.
 */
import { algorithms, LimitState, type StepResult } from '../../algorithms/index.js';
import type { NormalisedLimit } from '../../types.js';
import type { ReplyPacking } from '../decision-reply.js';
import type { AlgorithmLua } from './algorithm-lua.js';

/** Layout bytes of first-decision states are this much higher than the ordinary server-clock ones. */
export const FIRST_DECISION_LAYOUT = 32;

export interface FreshFirstDecision {
  /** The state to store, as Lua source: a string literal of the packed bytes. */
  readonly stateLiteral: string;
  /** The key's TTL in ms: when the state is fresh again. */
  readonly ttlMs: number;
  /** The packed integer reply. */
  readonly reply: number;
}

/** Bytes as a Lua string literal: three-digit decimal escapes, so no byte can run into the next. */
function luaBytes(bytes: Buffer): string {
  let literal = "'";
  for (const byte of bytes) literal += `\\${String(byte).padStart(3, '0')}`;
  return `${literal}'`;
}

/**
 * The constant first decision of cost 1 on a new key, or undefined when the algorithm has none or
 * it does not reduce to constants the reply can carry (a refusal, a table reply) or the state is
 * fresh at once (nothing to store): the script then takes its general path. `format` is the
 * ordinary layout byte and `stateNames` the fields after `e`, as the script packs them.
 */
export function freshFirstDecision(spec: NormalisedLimit, lua: AlgorithmLua, format: number, stateNames: readonly string[], packing: ReplyPacking): FreshFirstDecision | undefined {
  const times = lua.firstDecisionTimes;
  if (times === undefined) return undefined;
  const state = new LimitState();
  const out: StepResult = { allowed: false, remaining: 0, resetAfterMs: 0, retryAfterMs: 0 };
  // Decided at now = 0: relative to `now` the outcome is the same at any time (see the header).
  algorithms[spec.algorithm].step(state, spec, 1, 0, out, 0);
  const { allowed, remaining, resetAfterMs, retryAfterMs } = out;
  if (!allowed || retryAfterMs !== 0 || resetAfterMs <= 0) return undefined;
  if (!(remaining >= 0 && remaining < packing.remainingBase && resetAfterMs < packing.admittedResetBase)) return undefined;
  // An admission counts no violation: the penalty fields stay zero (absolute: "never").
  const fields: Record<string, number> = { violations: 0, since: 0, blockedUntil: 0, a: state.a, b: state.b, c: state.c };
  for (const { field, scaled } of times) {
    const value = fields[field];
    if (value === undefined) throw new RangeError(`fresh first decision: no state field ${field}`);
    // Relative to e = now + resetAfterMs, with now = 0.
    fields[field] = value - resetAfterMs * (scaled ? spec.timeScale : 1);
  }
  const bytes = Buffer.alloc(1 + 8 * (stateNames.length + 1));
  bytes.writeUInt8(format + FIRST_DECISION_LAYOUT, 0);
  // `e` itself is not stored: it is the key's expiry, read back with PEXPIRETIME.
  bytes.writeDoubleLE(0, 1);
  stateNames.forEach((name, index) => {
    const value = fields[name];
    if (value === undefined) throw new RangeError(`fresh first decision: no value for state field ${name}`);
    bytes.writeDoubleLE(value, 1 + 8 * (index + 1));
  });
  return { stateLiteral: luaBytes(bytes), ttlMs: resetAfterMs, reply: -1 - (remaining + packing.remainingBase * resetAfterMs) };
}

/**
 * Lua that turns a first-decision state just unpacked into absolute times, given `e` (its
 * expiry) in the local `e`.
 */
export function firstDecisionToAbsolute(lua: AlgorithmLua): string {
  return (lua.firstDecisionTimes ?? []).map(({ field, scaled }) => `      ${field} = ${field} + e${scaled ? ' * timeScale' : ''}`).join('\n');
}
