/**
 * Token bucket in Lua, mirroring algorithms/token-bucket.ts operation for operation, except that a
 * refusal leaves the stored state as it was (see the step).
 */
import type { AlgorithmLua } from './algorithm-lua.js';

/** The refill of algorithms/token-bucket.ts, after raising `now` to the last time the bucket saw. */
const refill = `
  if b > now then now = b end
  if a > 0 and now > b then
    local refilled = (now - b) * timeScale
    if refilled >= a then a = 0 else a = a - refilled end
  end
  b = now`;

export const tokenBucketLua: AlgorithmLua = {
  fields: ['a', 'b'],
  usesLog: false,
  // `b` is the time of the last refill; `a` counts units, not time.
  firstDecisionTimes: [{ field: 'b', scaled: false }],
  specValues: [
    { name: 'timeScale', of: (spec) => spec.timeScale },
    { name: 'unitScale', of: (spec) => spec.unitScale },
    { name: 'capacity', of: (spec) => spec.burst * spec.unitScale },
  ],
  step: `${refill}
  local needed = cost * unitScale
  allowed = a + needed <= capacity
  retryAfterMs = 0
  if allowed then
    a = a + needed
  else
    retryAfterMs = math.ceil((a + needed - capacity) / timeScale)
  end
  remaining = math.floor((capacity - a) / unitScale)
  resetAfterMs = math.ceil(a / timeScale)
  -- A refusal spends nothing: the stored (a, b) still describes this very bucket (refilled to now,
  -- it is the same), and e stays now + resetAfterMs, so a refusal writes nothing.
  if not allowed then a, b = a0, b0 end
`,
  giveBack: `${refill}
  a = a - cost * unitScale
  if a < 0 then a = 0 end
  freshIn = math.ceil(a / timeScale)
`,
};
