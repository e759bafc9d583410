/** Token bucket in Lua, mirroring algorithms/token-bucket.ts operation for operation. */
import type { AlgorithmLua } from './algorithm-lua.js';

export const tokenBucketLua: AlgorithmLua = {
  fields: ['a', 'b'],
  usesLog: false,
  source: `
local function refill()
  if a > 0 and now > b then
    local refilled = (now - b) * timeScale
    if refilled >= a then a = 0 else a = a - refilled end
  end
  b = now
end

local function step()
  if b > now then now = b end
  refill()
  local capacity = burst * unitScale
  local needed = cost * unitScale
  local allowed = a + needed <= capacity
  local retryAfterMs = 0
  if allowed then
    a = a + needed
  else
    retryAfterMs = math.ceil((a + needed - capacity) / timeScale)
  end
  return allowed, math.floor((capacity - a) / unitScale), math.ceil(a / timeScale), retryAfterMs
end

local function giveBack()
  if b > now then now = b end
  refill()
  a = math.max(0, a - cost * unitScale)
  return math.ceil(a / timeScale)
end
`,
};
