/**
 * Fixed window in Lua, mirroring algorithms/fixed-window.ts, including UTC calendar months.
 * `math.fmod` is C's fmod, the same operation as JavaScript's `%` (Lua's own `%` floors, which
 * differs for large or negative values). Redis Lua has no date library, so the month is found
 * from the day number with Howard Hinnant's civil-from-days, in whole-number arithmetic.
 */
import type { AlgorithmLua } from './algorithm-lua.js';

export const fixedWindowLua: AlgorithmLua = {
  fields: ['a', 'b'],
  usesLog: false,
  source: `
local DAY_MS = 86400000

local function monthWindow()
  local days = math.floor(now / DAY_MS)
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local day = doy - math.floor((153 * mp + 2) / 5) + 1
  local month = mp + 3
  local year = yoe + era * 400
  if month > 12 then
    month = month - 12
    year = year + 1
  end
  local length = 31
  if month == 4 or month == 6 or month == 9 or month == 11 then
    length = 30
  elseif month == 2 then
    length = 28
    if (math.fmod(year, 4) == 0 and math.fmod(year, 100) ~= 0) or math.fmod(year, 400) == 0 then length = 29 end
  end
  local start = (days - day + 1) * DAY_MS
  return start, start + length * DAY_MS
end

local function windowOf()
  if calendarMonth then return monthWindow() end
  local start = now - math.fmod(now, windowMs)
  return start, start + windowMs
end

local function step()
  if a > now then now = a end
  local start, finish = windowOf()
  if a ~= start then
    a = start
    b = 0
  end
  local untilEnd = finish - now
  local allowed = b + cost <= limit
  if allowed then b = b + cost end
  local resetAfterMs = 0
  if b > 0 then resetAfterMs = untilEnd end
  local retryAfterMs = 0
  if not allowed then retryAfterMs = untilEnd end
  return allowed, limit - b, resetAfterMs, retryAfterMs
end

local function giveBack()
  if a > now then now = a end
  local start, finish = windowOf()
  if a == start then b = math.max(0, b - cost) end
  if b > 0 and a == start then return finish - now end
  return 0
end
`,
};
