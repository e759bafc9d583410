/**
 * What each algorithm contributes to its Redis script: the hash fields of its state (named like
 * the `LimitState` fields and held in Lua locals of the same names) and two Lua functions that
 * mirror the JavaScript step and refund line for line, so both compute the same doubles in the
 * same order and give bit-identical decisions.
 */

export interface AlgorithmLua {
  /** State fields, stored in the state hash under these names and read into these Lua locals. */
  readonly fields: readonly string[];
  /** True when the state also owns the sliding-log sorted set, passed as KEYS[2]. */
  readonly usesLog: boolean;
  /**
   * Lua defining `step()`, returning allowed, remaining, resetAfterMs, retryAfterMs, and
   * `giveBack()`, returning milliseconds until the state is fresh. Both read `now`, `cost`, the
   * spec locals and the state locals as upvalues, and update the state locals.
   */
  readonly source: string;
}
