/**
 * Sliding window log in Lua, with the semantics of algorithms/sliding-log.ts. The log is a sorted
 * set (KEYS[2]) scored by admission time whose members are `id:cost`; the hash keeps the running
 * sum `b` and the oldest and newest times `a` and `c`, so a decision touches only the entries that
 * expire, the few a refusal must wait for and the few a refund gives back: never the whole log.
 * Each entry holds at least one unit, which bounds how many entries a wait or a refund can need.
 */
import type { AlgorithmLua } from './algorithm-lua.js';

export const slidingLogLua: AlgorithmLua = {
  fields: ['a', 'b', 'c', 'n'],
  usesLog: true,
  source: `
local function costOf(member)
  return tonumber(string.sub(member, string.find(member, ':', 1, true) + 1))
end

local function dropExpired()
  if b > 0 and a + windowMs <= now then
    local cutoff = now - windowMs
    local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff)
    for i = 1, #expired do b = b - costOf(expired[i]) end
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    if oldest[2] == nil then b = 0 else a = tonumber(oldest[2]) end
  end
  if b <= 0 then
    a = 0
    b = 0
    c = 0
  end
end

local function step()
  if c > now then now = c end
  dropExpired()
  local allowed = b + cost <= limit
  local retryAfterMs = 0
  if allowed then
    if cost > 0 then
      n = n + 1
      redis.call('ZADD', KEYS[2], now, n .. ':' .. cost)
      if b == 0 then a = now end
      b = b + cost
      c = now
    end
  else
    local needed = b + cost - limit
    -- A cost above the limit never fits: the hint is when the log is empty (a window from now if it is).
    local releaseAt = now + windowMs
    if needed > b then
      if b > 0 then releaseAt = c + windowMs end
    else
      local from = 0
      while needed > 0 do
        local count = math.min(needed, 128)
        local page = redis.call('ZRANGE', KEYS[2], from, from + count - 1, 'WITHSCORES')
        if #page == 0 then break end
        for i = 1, #page, 2 do
          needed = needed - costOf(page[i])
          releaseAt = tonumber(page[i + 1]) + windowMs
          if needed <= 0 then break end
        end
        from = from + count
      end
    end
    retryAfterMs = releaseAt - now
  end
  local resetAfterMs = 0
  if b > 0 then resetAfterMs = c + windowMs - now end
  return allowed, limit - b, resetAfterMs, retryAfterMs
end

local function giveBack()
  if c > now then now = c end
  dropExpired()
  local left = cost
  while left > 0 and b > 0 do
    local page = redis.call('ZRANGE', KEYS[2], -math.min(left, 128), -1, 'WITHSCORES')
    if #page == 0 then
      b = 0
      break
    end
    for i = #page - 1, 1, -2 do
      local member = page[i]
      local held = costOf(member)
      redis.call('ZREM', KEYS[2], member)
      if held <= left then
        b = b - held
        left = left - held
      else
        local id = string.sub(member, 1, string.find(member, ':', 1, true))
        redis.call('ZADD', KEYS[2], page[i + 1], id .. (held - left))
        b = b - left
        left = 0
      end
      if left == 0 then break end
    end
  end
  if b <= 0 then
    a = 0
    b = 0
    c = 0
    return 0
  end
  if cost > 0 then
    local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
    if newest[2] ~= nil then c = tonumber(newest[2]) end
  end
  return c + windowMs - now
end
`,
};
