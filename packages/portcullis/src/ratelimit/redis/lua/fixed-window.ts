/**
 * Fixed window in Lua, mirroring algorithms/fixed-window.ts, including UTC calendar months.
 * `math.fmod` is C's fmod, the same operation as JavaScript's `%` (Lua's own `%` floors, which
 * differs for large or negative values). Redis Lua has no date library, so the month is found
 * from the day number with Howard Hinnant's civil-from-days, in whole-number arithmetic.
 */
import type { AlgorithmLua } from './algorithm-lua.js';

const DAY_MS = 86_400_000;

/** Assigns the locals `start` and `finish`: the window holding `now`. */
const windowOfNow = `
  if calendarMonth == 1 then
    local days = math.floor(now / ${DAY_MS})
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
    start = (days - day + 1) * ${DAY_MS}
    finish = start + length * ${DAY_MS}
  else
    start = now - math.fmod(now, windowMs)
    finish = start + windowMs
  end`;

export const fixedWindowLua: AlgorithmLua = {
  fields: ['a', 'b'],
  usesLog: false,
  specValues: [
    { name: 'limit', of: (spec) => spec.limit },
    { name: 'windowMs', of: (spec) => spec.windowMs },
    { name: 'calendarMonth', of: (spec) => (spec.calendar === 'month' ? 1 : 0) },
  ],
  step: `
  if a > now then now = a end
  local start, finish
${windowOfNow}
  if a ~= start then
    a = start
    b = 0
  end
  local untilEnd = finish - now
  allowed = b + cost <= limit
  if allowed then b = b + cost end
  remaining = limit - b
  resetAfterMs = 0
  if b > 0 then resetAfterMs = untilEnd end
  retryAfterMs = 0
  if not allowed then retryAfterMs = untilEnd end
`,
  giveBack: `
  if a > now then now = a end
  local start, finish
${windowOfNow}
  freshIn = 0
  if a == start then
    b = b - cost
    if b < 0 then b = 0 end
    if b > 0 then freshIn = finish - now end
  end
`,
};
