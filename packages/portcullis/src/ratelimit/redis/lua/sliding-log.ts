/**
 * Sliding window log in Lua, with the semantics of algorithms/sliding-log.ts. The log is a sorted
 * set (KEYS[2]) scored by admission time whose members are `id:cost`; the state keeps the running
 * sum `b`, the oldest and newest times `a` and `c`, and the last id `n`, so a decision touches only
 * the entries that expire, the few a refusal must wait for and the few a refund gives back: never
 * the whole log. Each entry holds at least one unit, which bounds how many entries a wait or a
 * refund can need, and lets a refusal short by one unit wait for the oldest entry, at `a`, without
 * reading the log at all (the usual refusal of cost 1 on a full log).
 */
import type { AlgorithmLua } from './algorithm-lua.js';

/** Assigns `name` the units held by the log member in `member`. */
const costOf = (name: string, member: string): string => `${name} = tonumber(string.sub(${member}, string.find(${member}, ':', 1, true) + 1))`;

const dropExpired = `
  if c > now then now = c end
  if b > 0 and a + windowMs <= now then
    local cutoff = now - windowMs
    local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff)
    for i = 1, #expired do
      local held
      ${costOf('held', 'expired[i]')}
      b = b - held
    end
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    if oldest[2] == nil then b = 0 else a = tonumber(oldest[2]) end
  end
  if b <= 0 then
    a = 0
    b = 0
    c = 0
  end`;

export const slidingLogLua: AlgorithmLua = {
  fields: ['a', 'b', 'c', 'n'],
  usesLog: true,
  specValues: [
    { name: 'limit', of: (spec) => spec.limit },
    { name: 'windowMs', of: (spec) => spec.windowMs },
  ],
  step: `${dropExpired}
  allowed = b + cost <= limit
  retryAfterMs = 0
  if allowed then
    if cost > 0 then
      n = n + 1
      -- costText is the cost as the caller wrote it: no number formatting here.
      redis.call('ZADD', KEYS[2], now, n .. ':' .. costText)
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
    elseif needed == 1 then
      releaseAt = a + windowMs
    else
      local from = 0
      while needed > 0 do
        local count = needed
        if count > 128 then count = 128 end
        local page = redis.call('ZRANGE', KEYS[2], from, from + count - 1, 'WITHSCORES')
        if #page == 0 then break end
        for i = 1, #page, 2 do
          local held
          ${costOf('held', 'page[i]')}
          needed = needed - held
          releaseAt = tonumber(page[i + 1]) + windowMs
          if needed <= 0 then break end
        end
        from = from + count
      end
    end
    retryAfterMs = releaseAt - now
  end
  remaining = limit - b
  resetAfterMs = 0
  if b > 0 then resetAfterMs = c + windowMs - now end
`,
  giveBack: `${dropExpired}
  local left = cost
  while left > 0 and b > 0 do
    local take = left
    if take > 128 then take = 128 end
    local page = redis.call('ZRANGE', KEYS[2], -take, -1, 'WITHSCORES')
    if #page == 0 then
      b = 0
      break
    end
    for i = #page - 1, 1, -2 do
      local member = page[i]
      local colon = string.find(member, ':', 1, true)
      local held = tonumber(string.sub(member, colon + 1))
      redis.call('ZREM', KEYS[2], member)
      if held <= left then
        b = b - held
        left = left - held
      else
        redis.call('ZADD', KEYS[2], page[i + 1], string.sub(member, 1, colon) .. (held - left))
        b = b - left
        left = 0
      end
      if left == 0 then break end
    end
  end
  freshIn = 0
  if b <= 0 then
    a = 0
    b = 0
    c = 0
  else
    if cost > 0 then
      local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
      if newest[2] ~= nil then c = tonumber(newest[2]) end
    end
    freshIn = c + windowMs - now
  end
`,
};
