/**
 * Builds the one Lua script per algorithm that both decides (mode 'd') and refunds (mode 'r'):
 * argument parsing and the clock, the state load, the algorithm, the penalty rule, and the write
 * with its expiry. A decision is one EVALSHA and reads the clock from Redis (`TIME`; scripts are
 * replicated by their effects, so a non-deterministic read before writes is allowed), unless the
 * caller passes `now`. The spec travels in ARGV, so five scripts serve every limit.
 *
 * State lives in a hash (KEYS[1]; `e` = when the state is fresh again, `v`/`s`/`u` = penalty
 * violations, last violation, blocked until, then the algorithm's fields). A state past `e` is
 * treated as fresh even if Redis still holds it: Redis expires keys on its own clock, which a
 * caller clock does not follow.
 */
import { createHash } from 'node:crypto';
import type { AlgorithmName, NormalisedLimit } from '../../types.js';
import type { AlgorithmLua } from './algorithm-lua.js';
import { fixedWindowLua } from './fixed-window.js';
import { gcraLua } from './gcra.js';
import { penaltyLua } from './penalty.js';
import { slidingCounterLua } from './sliding-counter.js';
import { slidingLogLua } from './sliding-log.js';
import { tokenBucketLua } from './token-bucket.js';

export interface LimiterScript {
  readonly algorithm: AlgorithmName;
  readonly source: string;
  /** SHA-1 of `source`, the name EVALSHA knows it by. */
  readonly sha: string;
  /** 2 when the algorithm also keeps a sorted set. */
  readonly keyCount: 1 | 2;
}

const algorithmLua: Readonly<Record<AlgorithmName, AlgorithmLua>> = {
  'fixed-window': fixedWindowLua,
  'sliding-log': slidingLogLua,
  'sliding-counter': slidingCounterLua,
  'token-bucket': tokenBucketLua,
  gcra: gcraLua,
};

/** ARGV slots the caller fills per call; the rest of the arguments are fixed per limiter. */
export const ARG_NOW = 0;
export const ARG_MODE = 1;
export const ARG_COST = 2;

const head = `
local now = tonumber(ARGV[1])
if now == nil then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local refunding = ARGV[2] == 'r'
local cost = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local windowMs = tonumber(ARGV[5])
local burst = tonumber(ARGV[6])
local timeScale = tonumber(ARGV[7])
local unitScale = tonumber(ARGV[8])
local penaltyAfter = tonumber(ARGV[9])
local penaltyBlockMs = tonumber(ARGV[10])
local penaltyMaxBlockMs = tonumber(ARGV[11])
local penaltyDecayMs = tonumber(ARGV[12])
local keepMs = tonumber(ARGV[13])
local calendarMonth = ARGV[14] == 'month'
`;

/**
 * The fixed part of ARGV for a spec; slots ARG_NOW (empty for the server clock), ARG_MODE and
 * ARG_COST are placeholders. `keepMs` is added to every TTL (0 unless the caller owns the clock).
 */
export function scriptArguments(spec: NormalisedLimit, keepMs: number): string[] {
  const penalty = spec.penalty;
  return [
    '',
    'd',
    '1',
    String(spec.limit),
    String(spec.windowMs),
    String(spec.burst),
    String(spec.timeScale),
    String(spec.unitScale),
    String(penalty?.after ?? 0),
    String(penalty?.blockMs ?? 0),
    String(penalty?.maxBlockMs ?? 0),
    String(penalty?.decayMs ?? 0),
    String(keepMs),
    spec.calendar ?? '',
  ];
}

function stateLoad(fields: readonly string[]): string {
  const names = fields.map((field) => `'${field}'`).join(', ');
  const reads = fields.map((field, index) => `  ${field} = tonumber(stored[${index + 5}]) or 0`).join('\n');
  return `
local stored = redis.call('HMGET', KEYS[1], 'e', 'v', 's', 'u', ${names})
local violations, since, blockedUntil = 0, 0, 0
local ${fields.join(', ')} = ${fields.map(() => '0').join(', ')}
local fresh = (tonumber(stored[1]) or 0) <= now
if not fresh then
  violations = tonumber(stored[2]) or 0
  since = tonumber(stored[3]) or 0
  blockedUntil = tonumber(stored[4]) or 0
${reads}
end
`;
}

function persist(fields: readonly string[]): string {
  const pairs = fields.map((field) => `'${field}', ${field}`).join(', ');
  return `
local function persist(freshAt)
  local ttl = freshAt - now
  if ttl <= 0 then
    redis.call('DEL', unpack(KEYS))
    return
  end
  if penaltyAfter > 0 then
    redis.call('HSET', KEYS[1], 'e', freshAt, ${pairs}, 'v', violations, 's', since, 'u', blockedUntil)
  else
    redis.call('HSET', KEYS[1], 'e', freshAt, ${pairs})
  end
  -- Capped so the argument stays a plain integer; only absurd specs last 285,000 years.
  ttl = math.min(ttl + keepMs, 9007199254740991)
  for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
end
`;
}

// Redis turns a Lua number into an integer reply through a 64-bit cast and node-redis parses
// integers digit by digit, so above 2^53 a value travels as its exact decimal string instead.
const flow = `
local function exact(value)
  if value > 9007199254740991 then return string.format('%.0f', value) end
  return value
end

if refunding then
  if fresh then return nil end
  local freshAt = now + giveBack()
  if penaltyAfter > 0 then freshAt = math.max(freshAt, penaltyExpiresAt()) end
  persist(freshAt)
  return nil
end

if fresh and #KEYS > 1 then redis.call('DEL', KEYS[2]) end
if penaltyAfter > 0 and blockedUntil > now then
  local blockedFor = blockedUntil - now
  return {2, 0, blockedFor, blockedFor}
end
local allowed, remaining, resetAfterMs, retryAfterMs = step()
local outcome = 0
if allowed then outcome = 1 end
local freshAt = now + resetAfterMs
if penaltyAfter > 0 then
  if not allowed and cost > 0 then
    local blockMs = recordViolation()
    if blockMs > 0 then
      outcome = 2
      retryAfterMs = math.max(retryAfterMs, blockMs)
    end
  end
  freshAt = math.max(freshAt, penaltyExpiresAt())
end
persist(freshAt)
return {outcome, exact(remaining), exact(resetAfterMs), exact(retryAfterMs)}
`;

function buildScript(algorithm: AlgorithmName): LimiterScript {
  const lua = algorithmLua[algorithm];
  const source = [head, stateLoad(lua.fields), lua.source, penaltyLua, persist(lua.fields), flow].join('');
  return Object.freeze({
    algorithm,
    source,
    sha: createHash('sha1').update(source).digest('hex'),
    keyCount: lua.usesLog ? 2 : 1,
  });
}

const built = new Map<AlgorithmName, LimiterScript>();

/** The script for `algorithm`, built once per process. */
export function limiterScript(algorithm: AlgorithmName): LimiterScript {
  let script = built.get(algorithm);
  if (script === undefined) {
    script = buildScript(algorithm);
    built.set(algorithm, script);
  }
  return script;
}
