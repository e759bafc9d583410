/**
 * GCRA in Lua, mirroring algorithms/gcra.ts operation for operation. The TAT is stored in units
 * of 1/timeScale ms; limit-spec.ts keeps it below 2^53, so it is exact as a double.
 */
import type { AlgorithmLua } from './algorithm-lua.js';

export const gcraLua: AlgorithmLua = {
  fields: ['a'],
  usesLog: false,
  // `a`, the TAT, counts 1/timeScale ms.
  firstDecisionTimes: [{ field: 'a', scaled: true }],
  specValues: [
    { name: 'timeScale', of: (spec) => spec.timeScale },
    { name: 'interval', of: (spec) => spec.unitScale },
    { name: 'tolerance', of: (spec) => spec.burst * spec.unitScale },
  ],
  step: `
  local scaledNow = now * timeScale
  local tat = scaledNow
  if a > scaledNow then tat = a end
  local nextTat = tat + cost * interval
  allowed = nextTat - scaledNow <= tolerance
  local heldUntil = tat
  retryAfterMs = 0
  if allowed then
    heldUntil = nextTat
    a = nextTat
  else
    retryAfterMs = math.ceil((nextTat - tolerance - scaledNow) / timeScale)
  end
  remaining = math.floor((tolerance - (heldUntil - scaledNow)) / interval)
  resetAfterMs = math.ceil((heldUntil - scaledNow) / timeScale)
`,
  giveBack: `
  local scaledNow = now * timeScale
  a = a - cost * interval
  if a < scaledNow then a = scaledNow end
  freshIn = math.ceil((a - scaledNow) / timeScale)
`,
};
