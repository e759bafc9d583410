/**
 * GCRA in Lua, mirroring algorithms/gcra.ts operation for operation. The TAT is stored in units
 * of 1/timeScale ms; limit-spec.ts keeps it below 2^53, so it survives the trip through a string.
 */
import type { AlgorithmLua } from './algorithm-lua.js';

export const gcraLua: AlgorithmLua = {
  fields: ['a'],
  usesLog: false,
  source: `
local function step()
  local scaledNow = now * timeScale
  local interval = unitScale
  local tolerance = burst * interval
  local tat = scaledNow
  if a > scaledNow then tat = a end
  local nextTat = tat + cost * interval
  local allowed = nextTat - scaledNow <= tolerance
  local heldUntil = tat
  local retryAfterMs = 0
  if allowed then
    heldUntil = nextTat
    a = nextTat
  else
    retryAfterMs = math.ceil((nextTat - tolerance - scaledNow) / timeScale)
  end
  return allowed, math.floor((tolerance - (heldUntil - scaledNow)) / interval), math.ceil((heldUntil - scaledNow) / timeScale), retryAfterMs
end

local function giveBack()
  local scaledNow = now * timeScale
  a = math.max(scaledNow, a - cost * unitScale)
  return math.ceil((a - scaledNow) / timeScale)
end
`,
};
