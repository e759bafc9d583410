/**
 * Fixed window on the Redis server's clock, without penalty or calendar months, as a plain
 * counter: the key (`:c2`) holds an integer and expires exactly at its window's end (PXAT), so
 * its PTTL is the time left in the window and a live key needs no clock at all. A decision of
 * cost 1 is PTTL and INCRBY, whether it admits or refuses (TIME and SET when no window is live):
 * no state to decode or encode, no number formatting, an integer reply.
 *
 * Decisions are exactly those of algorithms/fixed-window.ts (at most `limit` units admitted per
 * window aligned to multiples of `windowMs`; refusals count nothing; refunds give units back),
 * with the units admitted read as `min(stored, limit)`: INCRBY adds before it knows the outcome,
 * and a refusal leaves `stored` above `limit` only when the units admitted already were `limit`
 * (then every later decision of the window is refused too, as it must be); a refusal that came
 * with units still free (a cost above what is left) is taken back at once. Refunds and
 * cost-0 looks read the counter with GET.
 *
 * Window edges are exact: a key whose window ends within the millisecond reads PTTL 0 and is
 * replaced by a new window. A live window further ahead than `windowMs` (the clock stepped back)
 * is counted as if it were now, as the memory limiter raises `now`. A value that is not a counter
 * (written by something else) is overwritten by a new window.
 */
import type { NormalisedLimit } from '../../types.js';
import type { ReplyPacking } from '../decision-reply.js';
import { reply, scriptPreamble, serverTime } from './script-parts.js';

export function fixedWindowCounterSource(spec: NormalisedLimit, packing: ReplyPacking): string {
  const constants: [string, number][] = [
    ['limit', spec.limit],
    ['windowMs', spec.windowMs],
    ['remainingBase', packing.remainingBase],
    ['admittedResetBase', packing.admittedResetBase],
    ['refusedTimeBase', packing.refusedTimeBase],
  ];
  return `${scriptPreamble(constants)}
-- untilEnd: ms left in the live window (0: none); counted: the units it admitted.
local untilEnd = redis.call('PTTL', KEYS[1])
if untilEnd > windowMs then untilEnd = windowMs end
local counted = 0
if untilEnd > 0 and (refunding or cost == 0) then
  counted = tonumber(redis.pcall('GET', KEYS[1]))
  if not counted or counted < 0 then untilEnd, counted = 0, 0 end
  if counted > limit then counted = limit end
end

if refunding then
  if untilEnd > 0 and cost > 0 and counted > 0 then
    if counted <= cost then
      redis.call('DEL', KEYS[1])
    else
      redis.call('SET', KEYS[1], counted - cost, 'KEEPTTL')
    end
  end
  return nil
end

local outcome, retryAfterMs = 1, 0
if untilEnd > 0 and cost > 0 then
  local stored = redis.pcall('INCRBY', KEYS[1], costText)
  if type(stored) ~= 'number' or stored < cost then
    -- Not a counter (an error reply, or a negative value): a new window replaces it.
    untilEnd = 0
  else
    counted = stored - cost
    if stored <= limit then
      counted = stored
    elseif counted < limit then
      -- Refused with units still free (a cost above what is left): take it back.
      redis.call('DECRBY', KEYS[1], costText)
      outcome = 0
    else
      counted = limit
      outcome = 0
    end
  end
end
if untilEnd <= 0 then
  -- No live window (a new key, one that expires this millisecond, or not a counter): start one.
  if cost == 0 then return -1 - limit end
  local now${serverTime}
  untilEnd = windowMs - math.fmod(now, windowMs)
  if cost <= limit then
    redis.call('SET', KEYS[1], costText, 'PXAT', now + untilEnd)
    counted = cost
  else
    outcome = 0
  end
end
local remaining, resetAfterMs = limit - counted, 0
if counted > 0 then resetAfterMs = untilEnd end
if outcome == 0 then retryAfterMs = untilEnd end
${reply}`;
}
