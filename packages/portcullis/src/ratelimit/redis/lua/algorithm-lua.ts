/**
 * What each algorithm contributes to its Redis script: the fields of its state (named like the
 * `LimitState` fields and held in Lua locals of the same names), the spec values it reads, and
 * two blocks of Lua statements that mirror the JavaScript step and refund line for line, so both
 * compute the same doubles in the same order and give bit-identical decisions. The blocks are
 * pasted into the script body rather than wrapped in functions: a `local function` is a new
 * closure on every EVALSHA, and the script's cost on the Redis thread is what limits throughput.
 */
import type { NormalisedLimit } from '../../types.js';

export interface SpecValue {
  /** The Lua local it is held in (a constant of the limiter's script, see limiter-script.ts). */
  readonly name: string;
  /** Its value, computed once per limiter in JavaScript (products of integers below 2^53 are exact in both). */
  readonly of: (spec: NormalisedLimit) => number;
}

export interface AlgorithmLua {
  /** State fields, packed in this order after the common ones and read into these Lua locals. */
  readonly fields: readonly string[];
  /** True when the state also owns the sliding-log sorted set, passed as KEYS[2]. */
  readonly usesLog: boolean;
  /**
   * Set for the algorithms whose blocks only compare and subtract times (token bucket, GCRA), so a
   * new key's first cost-1 decision is the same at any `now` and the script answers it with
   * constants (fresh-first-decision.ts). Lists the state fields that hold times, which that state
   * stores relative to its expiry; `scaled` when the field counts 1/timeScale ms, not ms.
   */
  readonly firstDecisionTimes?: readonly { readonly field: string; readonly scaled: boolean }[];
  /** The spec values the blocks read, as Lua locals set from constants at the top of the script. */
  readonly specValues: readonly SpecValue[];
  /**
   * Lua statements deciding `cost` at `now`: they assign the declared locals `allowed`,
   * `remaining`, `resetAfterMs` and `retryAfterMs` and update the state locals. `cost` is a number,
   * `costText` the same cost as the caller wrote it. They may raise
   * `now` to a time the state has already seen (a clock that stepped back).
   */
  readonly step: string;
  /** Lua statements giving back `cost` at `now`: they update the state and assign `freshIn`, the ms until it is fresh. */
  readonly giveBack: string;
}
