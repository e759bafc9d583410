/** Sliding window counter in Lua, mirroring algorithms/sliding-counter.ts operation for operation. */
import type { AlgorithmLua } from './algorithm-lua.js';

export const slidingCounterLua: AlgorithmLua = {
  fields: ['a', 'b', 'c'],
  usesLog: false,
  source: `
local function roll(start)
  if a == start then return end
  if a == start - windowMs then c = b else c = 0 end
  b = 0
  a = start
end

local function resetAfter()
  if b > 0 then return a + 2 * windowMs - now end
  if c > 0 then return a + windowMs - now end
  return 0
end

local function retryAfter()
  local start = a
  if cost > limit then return start + 2 * windowMs - now end
  if b + cost > limit then
    local elapsedNeeded = windowMs - math.floor(((limit - cost) * windowMs) / b)
    return start + windowMs + elapsedNeeded - now
  end
  local elapsedNeeded = windowMs - math.floor(((limit - b - cost) * windowMs) / c)
  return start + math.min(elapsedNeeded, windowMs) - now
end

local function step()
  if a > now then now = a end
  local start = now - math.fmod(now, windowMs)
  roll(start)
  local elapsed = now - start
  local capacity = limit * windowMs
  local weightedUse = c * (windowMs - elapsed) + b * windowMs
  local allowed = weightedUse + cost * windowMs <= capacity
  local remaining
  local retryAfterMs = 0
  if allowed then
    b = b + cost
    remaining = math.max(0, math.floor((capacity - weightedUse - cost * windowMs) / windowMs))
  else
    remaining = math.max(0, math.floor((capacity - weightedUse) / windowMs))
    retryAfterMs = retryAfter()
  end
  return allowed, remaining, resetAfter(), retryAfterMs
end

local function giveBack()
  if a > now then now = a end
  roll(now - math.fmod(now, windowMs))
  local fromCurrent = math.min(b, cost)
  b = b - fromCurrent
  c = math.max(0, c - (cost - fromCurrent))
  return resetAfter()
end
`,
};
