/** Sliding window counter in Lua, mirroring algorithms/sliding-counter.ts operation for operation. */
import type { AlgorithmLua } from './algorithm-lua.js';

/** Moves the counts to the window starting at `start` (the roll of algorithms/sliding-counter.ts). */
const roll = `
  if a ~= start then
    if a == start - windowMs then c = b else c = 0 end
    b = 0
    a = start
  end`;

/** Assigns `name` the ms until the weighted count is back to zero. */
const resetAfter = (name: string): string => `
  ${name} = 0
  if b > 0 then
    ${name} = a + 2 * windowMs - now
  elseif c > 0 then
    ${name} = a + windowMs - now
  end`;

export const slidingCounterLua: AlgorithmLua = {
  fields: ['a', 'b', 'c'],
  usesLog: false,
  specValues: [
    { name: 'limit', of: (spec) => spec.limit },
    { name: 'windowMs', of: (spec) => spec.windowMs },
    { name: 'capacity', of: (spec) => spec.limit * spec.windowMs },
  ],
  step: `
  if a > now then now = a end
  local start = now - math.fmod(now, windowMs)
${roll}
  local elapsed = now - start
  local weightedUse = c * (windowMs - elapsed) + b * windowMs
  allowed = weightedUse + cost * windowMs <= capacity
  retryAfterMs = 0
  if allowed then
    b = b + cost
    remaining = math.floor((capacity - weightedUse - cost * windowMs) / windowMs)
    if remaining < 0 then remaining = 0 end
  else
    remaining = math.floor((capacity - weightedUse) / windowMs)
    if remaining < 0 then remaining = 0 end
    if cost > limit then
      retryAfterMs = a + 2 * windowMs - now
    elseif b + cost > limit then
      local elapsedNeeded = windowMs - math.floor(((limit - cost) * windowMs) / b)
      retryAfterMs = a + windowMs + elapsedNeeded - now
    else
      local elapsedNeeded = windowMs - math.floor(((limit - b - cost) * windowMs) / c)
      if elapsedNeeded > windowMs then elapsedNeeded = windowMs end
      retryAfterMs = a + elapsedNeeded - now
    end
  end
${resetAfter('resetAfterMs')}
`,
  giveBack: `
  if a > now then now = a end
  local start = now - math.fmod(now, windowMs)
${roll}
  local fromCurrent = cost
  if b < fromCurrent then fromCurrent = b end
  b = b - fromCurrent
  c = c - (cost - fromCurrent)
  if c < 0 then c = 0 end
${resetAfter('freshIn')}
`,
};
