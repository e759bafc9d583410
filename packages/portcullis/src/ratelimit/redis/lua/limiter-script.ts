/**
 * Builds the Lua script for one algorithm, with or without the penalty rule, that both decides
 * and refunds: the clock, the state load, the algorithm, the penalty, and the write with its
 * expiry. A decision is one EVALSHA and reads the clock from Redis (`TIME`; scripts are
 * replicated by their effects, so a non-deterministic read before writes is allowed), unless the
 * caller passes `now`. The spec travels in ARGV, so ten scripts serve every limit.
 *
 * Its shape comes from what the script costs the Redis thread, which limits throughput (measured
 * on Redis 7.0: the EVALSHA itself ~1 us, TIME ~0.9 us, a GET ~0.3 us, a write ~1.2 us plus
 * ~0.8 us when it moves the expiry, a table reply ~1 us more than an integer, ~0.1 us per ARGV
 * string parsed as a number, ~0.3 us per number handed to redis.call; 10-23 us per decision
 * before, with a hash, closures and fourteen text arguments):
 * - ARGV[1] is the spec as little-endian doubles (see specArgument), read by one
 *   `struct.unpack`; ARGV[2] is the cost as text and ARGV[3], with a caller clock only, `now`.
 * - The state is one string (KEYS[1]): a layout byte, then doubles: `e` (when the state is fresh
 *   again), `violations`, `since`, `blockedUntil` in the penalty variant, then the algorithm's
 *   fields. One GET reads it; one SET writes it with its expiry, and only if something changed.
 * - Specs without a penalty run a variant that neither reads nor stores the penalty fields.
 * - The reply is one integer whenever the decision packs into one (see ../decision-reply.ts).
 * - The algorithm's Lua is pasted in: no closures, no string building on the decision path.
 * A state past `e` is treated as fresh even if Redis still holds it: Redis expires keys on its
 * own clock, which a caller clock does not follow.
 */
import { createHash } from 'node:crypto';
import { ALGORITHM_NAMES, type AlgorithmName, type NormalisedLimit } from '../../types.js';
import { replyPacking } from '../decision-reply.js';
import type { AlgorithmLua, SpecValue } from './algorithm-lua.js';
import { fixedWindowLua } from './fixed-window.js';
import { gcraLua } from './gcra.js';
import { keepForPenalty, penaltyFields, penaltySpecValues, recordViolation } from './penalty.js';
import { slidingCounterLua } from './sliding-counter.js';
import { slidingLogLua } from './sliding-log.js';
import { tokenBucketLua } from './token-bucket.js';

export interface LimiterScript {
  readonly algorithm: AlgorithmName;
  readonly withPenalty: boolean;
  readonly source: string;
  /** SHA-1 of `source`, the name EVALSHA knows it by. */
  readonly sha: string;
  /** 2 when the algorithm also keeps a sorted set. */
  readonly keyCount: 1 | 2;
  /** The algorithm's and the penalty's values, packed into ARGV[1] after the common ones. */
  readonly specValues: readonly SpecValue[];
}

const algorithmLua: Readonly<Record<AlgorithmName, AlgorithmLua>> = {
  'fixed-window': fixedWindowLua,
  'sliding-log': slidingLogLua,
  'sliding-counter': slidingCounterLua,
  'token-bucket': tokenBucketLua,
  gcra: gcraLua,
};

/** The values ARGV[1] starts with, whatever the algorithm (see specArgument). */
const HEAD_NAMES = ['refunding', 'keepMs', 'remainingBase', 'admittedResetBase', 'refusedTimeBase'];

/** 2^53 - 1: integers up to here are exact as doubles and as node-redis parses them. */
const MAX_EXACT = '9007199254740991';

function zeros(count: number): string {
  return Array.from({ length: count }, () => '0').join(', ');
}

/** The names the state fields' values as loaded are kept under, to tell whether a write changes anything. */
const loaded = (name: string): string => `${name}0`;

/**
 * The write: the state is gone when fresh, else stored with `e = freshAt` and a TTL to match.
 * `stored` is the value read (false if none), `e` its expiry if it was still live (else 0). On the
 * server clock the key expires at `e` itself (PXAT: `now` and Redis's expiry clock are the same
 * clock), so a write that keeps `e` keeps the TTL (KEEPTTL) and one that changes nothing is
 * skipped. With a caller clock the TTL is relative and refreshed on every write.
 */
function persist(layout: string, format: number, stateNames: readonly string[], usesLog: boolean): string {
  const packed = `struct.pack(${layout}, ${format}, freshAt, ${stateNames.join(', ')})`;
  const changed = stateNames.map((name) => `${name} ~= ${loaded(name)}`).join(' or ');
  const setAt = `redis.call('SET', KEYS[1], ${packed}, 'PXAT', freshAt)${usesLog ? "\n  redis.call('PEXPIREAT', KEYS[2], freshAt)" : ''}`;
  return `
if freshAt <= now then
  if stored then redis.call('DEL', ${usesLog ? 'KEYS[1], KEYS[2]' : 'KEYS[1]'}) end
elseif not serverClock then
  -- Capped so the argument stays a plain integer; only absurd specs last 285,000 years.
  local ttl = freshAt - now + keepMs
  if ttl > ${MAX_EXACT} then ttl = ${MAX_EXACT} end
  redis.call('SET', KEYS[1], ${packed}, 'PX', ttl)${usesLog ? "\n  redis.call('PEXPIRE', KEYS[2], ttl)" : ''}
elseif freshAt ~= e then
  ${setAt}
elseif ${changed} then
  ${
    // A log key created by this call has no TTL yet, so sliding-log sets both.
    usesLog ? setAt : `redis.call('SET', KEYS[1], ${packed}, 'KEEPTTL')`
  }
end
`;
}

/** The reply: one integer when the decision packs below 2^53 (see ../decision-reply.ts), else a table. */
const reply = `
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

const blockedReply = `
if blockedUntil > now then
  local blockedFor = blockedUntil - now
  if blockedFor < refusedTimeBase then return 1 + 2 * remainingBase * (blockedFor + refusedTimeBase * blockedFor) end
  return {2, 0, blockedFor, blockedFor}
end
`;

function buildScript(algorithm: AlgorithmName, withPenalty: boolean): LimiterScript {
  const lua = algorithmLua[algorithm];
  const specValues = withPenalty ? [...lua.specValues, ...penaltySpecValues] : lua.specValues;
  const specNames = [...HEAD_NAMES, ...specValues.map((value) => value.name)];
  const stateNames = withPenalty ? [...penaltyFields, ...lua.fields] : lua.fields;
  // The first byte names the layout, so a key left by another algorithm or variant under the same prefix reads as fresh.
  const format = ALGORITHM_NAMES.indexOf(algorithm) * 2 + (withPenalty ? 2 : 1);
  const layout = `'<B${'d'.repeat(stateNames.length + 1)}'`;
  const length = 1 + 8 * (stateNames.length + 1);
  const all = ['e', ...stateNames].join(', ');
  const write = persist(layout, format, stateNames, lua.usesLog);
  const source = `
local ${specNames.join(', ')} = struct.unpack('<${'d'.repeat(specNames.length)}', ARGV[1])
local cost = ARGV[2] + 0
local now, serverClock
if ARGV[3] then
  now = ARGV[3] + 0
else
  local time = redis.call('TIME')
  local micros = time[2] + 0
  now = time[1] * 1000 + (micros - micros % 1000) / 1000
  serverClock = true
end
local stored = redis.call('GET', KEYS[1])
local ${all} = ${zeros(stateNames.length + 1)}
if stored and #stored == ${length} then
  local format
  format, ${all} = struct.unpack(${layout}, stored)
  if format ~= ${format} or e <= now then ${all} = ${zeros(stateNames.length + 1)} end
end
local ${stateNames.map(loaded).join(', ')} = ${stateNames.join(', ')}

if refunding == 1 then
  if e == 0 then return nil end
  local freshIn
${lua.giveBack}
  local freshAt = now + freshIn
${withPenalty ? keepForPenalty : ''}${write}
  return nil
end
${lua.usesLog ? `if e == 0 then redis.call('DEL', KEYS[2]) end\n` : ''}${withPenalty ? blockedReply : ''}
local allowed, remaining, resetAfterMs, retryAfterMs
${lua.step}
local outcome = 0
if allowed then outcome = 1 end
local freshAt = now + resetAfterMs
${withPenalty ? recordViolation + keepForPenalty : ''}${write}${reply}`;
  return Object.freeze({
    algorithm,
    withPenalty,
    source,
    sha: createHash('sha1').update(source).digest('hex'),
    keyCount: lua.usesLog ? 2 : 1,
    specValues,
  });
}

const built = new Map<string, LimiterScript>();

/** The script for `algorithm` with or without the penalty rule, built once per process. */
export function limiterScript(algorithm: AlgorithmName, withPenalty: boolean): LimiterScript {
  const name = `${algorithm}${withPenalty ? '+penalty' : ''}`;
  let script = built.get(name);
  if (script === undefined) {
    script = buildScript(algorithm, withPenalty);
    built.set(name, script);
  }
  return script;
}

/**
 * ARGV[1] for a spec: the doubles the script unpacks first (`refunding` 0 or 1, `keepMs` added
 * to every TTL and 0 unless the caller owns the clock, the reply's packing bases), then the
 * algorithm's spec values and the penalty's.
 */
export function specArgument(script: LimiterScript, spec: NormalisedLimit, refunding: boolean, keepMs: number): Buffer {
  const packing = replyPacking(spec);
  const values = [
    refunding ? 1 : 0,
    keepMs,
    packing.remainingBase,
    packing.admittedResetBase,
    packing.refusedTimeBase,
    ...script.specValues.map((value) => value.of(spec)),
  ];
  const packed = Buffer.alloc(values.length * 8);
  values.forEach((value, index) => packed.writeDoubleLE(value, index * 8));
  return packed;
}
