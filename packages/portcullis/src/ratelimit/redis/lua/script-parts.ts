/**
 * Pieces every limiter script shares: the server clock, the packed integer reply and the way spec
 * values become Lua constants.
 */
import { PortcullisError } from '../../../errors/index.js';

/** 2^53 - 1: integers up to here are exact as doubles and as node-redis parses them. */
export const MAX_EXACT = '9007199254740991';

/** A spec value as a Lua numeric literal: spec values are integers below 2^53, which Lua reads back exactly. */
export function luaNumber(value: number, name: string): string {
  if (!Number.isSafeInteger(value)) throw new PortcullisError('config.invalid', { detail: `rate limit: ${name} ${value} is not an exact integer` });
  return String(value);
}

/**
 * The top of every limiter script: the spec values as Lua constants, then the call's cost and
 * whether it is a refund. A decision of cost 1 sends no ARGV at all; otherwise ARGV[1] is the cost
 * as text and ARGV[2] is '1' for a refund.
 */
export function scriptPreamble(constants: readonly (readonly [string, number])[]): string {
  return `${constants.map(([name, value]) => `local ${name} = ${luaNumber(value, name)}`).join('\n')}
local cost, refunding, costText = 1, false, '1'
if ARGV[1] then
  costText = ARGV[1]
  cost = costText + 0
  refunding = ARGV[2] == '1'
end`;
}

/** The reply: one integer when the decision packs below 2^53 (see ../decision-reply.ts), else a table. */
export const reply = `
if outcome == 1 then
  if retryAfterMs == 0 and remaining >= 0 and remaining < remainingBase and resetAfterMs >= 0 and resetAfterMs < admittedResetBase then
    return -1 - (remaining + remainingBase * resetAfterMs)
  end
elseif remaining >= 0 and remaining < remainingBase and resetAfterMs >= 0 and resetAfterMs < refusedTimeBase and retryAfterMs >= 0 and retryAfterMs < refusedTimeBase then
  return outcome / 2 + 2 * (remaining + remainingBase * (resetAfterMs + refusedTimeBase * retryAfterMs))
end
-- Redis turns a Lua number into an integer reply through a 64-bit cast and node-redis parses
-- integers digit by digit, so above 2^53 a value travels as its exact decimal string instead.
if remaining > ${MAX_EXACT} then remaining = string.format('%.0f', remaining) end
if resetAfterMs > ${MAX_EXACT} then resetAfterMs = string.format('%.0f', resetAfterMs) end
if retryAfterMs > ${MAX_EXACT} then retryAfterMs = string.format('%.0f', retryAfterMs) end
return {outcome, remaining, resetAfterMs, retryAfterMs}
`;

/** TIME as milliseconds, the way Redis's own mstime() rounds (down). */
export const serverTime = `
  local time = redis.call('TIME')
  local micros = time[2] + 0
  now = time[1] * 1000 + (micros - micros % 1000) / 1000`;
