/**
 * Builds the Lua script of one limiter, which both decides and refunds: the clock, the state
 * load, the algorithm, the penalty, and the write with its expiry. A decision is one EVALSHA on
 * the Redis server's clock, unless the limiter was made with a caller clock.
 *
 * Its shape comes from what the script costs the Redis thread, which limits throughput. Counted
 * with callgrind on Redis 7.0 (bench/ratelimit/instructions.ts; an empty EVALSHA with one key
 * is ~11k instructions), a read such as GET or PTTL costs ~3k more (arguments to Redis objects,
 * command lookup, ACL, the reply back to Lua), a write ~6.5k, TIME ~9k once its two strings are
 * parsed as numbers, struct.pack and struct.unpack ~2k each, a table reply ~6k more than an
 * integer, and each ARGV string a Lua string, a table slot and usually a number parse:
 * - The spec is baked into the source as constants, so a limiter's script is its own (one
 *   SCRIPT LOAD per limiter; Redis keeps each until SCRIPT FLUSH, so specs come from
 *   configuration, never from requests). A decision of cost 1 sends no ARGV at all; otherwise
 *   ARGV[1] is the cost as text, ARGV[2] is '1' for a refund, and ARGV[3], with a caller clock
 *   only, is `now`.
 * - The state is one string (KEYS[1]): a layout byte, then doubles: `e` (when the state is fresh
 *   again), `violations`, `since`, `blockedUntil` in the penalty variant, then the algorithm's
 *   fields. One GET reads it; one SET writes it with its expiry, and only if something changed.
 * - The clock: on the server clock a live key expires exactly at its `e` (written with PXAT and
 *   kept with KEEPTTL), so `e - PTTL` is the server's own millisecond clock (`mstime()`, the very
 *   value TIME gives in milliseconds), read with an integer reply instead of TIME's two strings.
 *   TIME is only asked when there is no live state to measure against (a new key, an expired or
 *   foreign one). Caller-clock states carry another layout byte (their TTL is relative), so a
 *   server-clock script never measures against one.
 * - Token bucket and GCRA answer a new key's cost-1 decision with constants computed here: one
 *   GET that finds nothing, one SET, no TIME (fresh-first-decision.ts; that state has its own
 *   layout byte and is read back through PEXPIRETIME, so Redis 7.0 or later is required).
 * - Specs without a penalty run a variant that neither reads nor stores the penalty fields.
 * - A fixed window on the server clock without penalty or calendar months is a plain counter
 *   instead (fixed-window-counter.ts): PTTL and INCRBY per decision, no state to decode.
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
import { FIRST_DECISION_LAYOUT, firstDecisionToAbsolute, freshFirstDecision, type FreshFirstDecision } from './fresh-first-decision.js';
import { fixedWindowCounterSource } from './fixed-window-counter.js';
import { gcraLua } from './gcra.js';
import { keepForPenalty, penaltyFields, penaltySpecValues, recordViolation } from './penalty.js';
import { slidingCounterLua } from './sliding-counter.js';
import { slidingLogLua } from './sliding-log.js';
import { MAX_EXACT, reply, scriptPreamble, serverTime } from './script-parts.js';
import { tokenBucketLua } from './token-bucket.js';

export interface LimiterScript {
  readonly algorithm: AlgorithmName;
  readonly withPenalty: boolean;
  readonly callerClock: boolean;
  readonly source: string;
  /** SHA-1 of `source`, the name EVALSHA knows it by. */
  readonly sha: string;
  /** 2 when the algorithm also keeps a sorted set. */
  readonly keyCount: 1 | 2;
  /** The state key's suffix (see ../redis-keys.ts): `:c2` for the fixed-window counter, else `:s2`. */
  readonly stateSuffix: ':s2' | ':c2';
}

const algorithmLua: Readonly<Record<AlgorithmName, AlgorithmLua>> = {
  'fixed-window': fixedWindowLua,
  'sliding-log': slidingLogLua,
  'sliding-counter': slidingCounterLua,
  'token-bucket': tokenBucketLua,
  gcra: gcraLua,
};

/** Layout bytes of caller-clock states are this much higher than their server-clock twins'. */
const CALLER_CLOCK_LAYOUT = 16;

const sha1 = (source: string): string => createHash('sha1').update(source).digest('hex');

function zeros(count: number): string {
  return Array.from({ length: count }, () => '0').join(', ');
}

/** The names the state fields' values as loaded are kept under, to tell whether a write changes anything. */
const loaded = (name: string): string => `${name}0`;

/**
 * The write: the state is gone when fresh, else stored with `e = freshAt` and a TTL to match.
 * `stored` is the value read (false if none), `e` its expiry if it was still live (else 0). On the
 * server clock the key expires at `e` itself (PXAT), so a write that keeps `e` keeps the TTL
 * (KEEPTTL), one that changes nothing is skipped, and `e - PTTL` stays the server's clock. With a
 * caller clock the TTL is relative and refreshed on every write.
 */
function persist(layout: string, format: number, stateNames: readonly string[], usesLog: boolean, callerClock: boolean): string {
  const packed = `struct.pack(${layout}, ${format}, freshAt, ${stateNames.join(', ')})`;
  const gone = `
if freshAt <= now then
  if stored then redis.call('DEL', ${usesLog ? 'KEYS[1], KEYS[2]' : 'KEYS[1]'}) end`;
  if (callerClock) {
    return `${gone}
else
  -- Capped so the argument stays a plain integer; only absurd specs last 285,000 years.
  local ttl = freshAt - now + keepMs
  if ttl > ${MAX_EXACT} then ttl = ${MAX_EXACT} end
  redis.call('SET', KEYS[1], ${packed}, 'PX', ttl)${usesLog ? "\n  redis.call('PEXPIRE', KEYS[2], ttl)" : ''}
end
`;
  }
  const changed = stateNames.map((name) => `${name} ~= ${loaded(name)}`).join(' or ');
  const setAt = `redis.call('SET', KEYS[1], ${packed}, 'PXAT', freshAt)${usesLog ? "\n  redis.call('PEXPIREAT', KEYS[2], freshAt)" : ''}`;
  return `${gone}
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

const blockedReply = `
if blockedUntil > now then
  local blockedFor = blockedUntil - now
  if blockedFor < refusedTimeBase then return 1 + 2 * remainingBase * (blockedFor + refusedTimeBase * blockedFor) end
  return {2, 0, blockedFor, blockedFor}
end
`;

/**
 * Loads the state into `e` and the state locals, and sets `now`. A state that is absent, of
 * another layout, or no longer live reads as all zeros (fresh).
 */
function load(layout: string, format: number, length: number, all: string, fields: number, callerClock: boolean, first?: { readonly decision: FreshFirstDecision; readonly toAbsolute: string }): string {
  if (callerClock) {
    return `
local now = ARGV[3] + 0
local stored = redis.call('GET', KEYS[1])
local ${all} = ${zeros(fields)}
if stored and #stored == ${length} then
  local format
  format, ${all} = struct.unpack(${layout}, stored)
  if format ~= ${format} or e <= now then ${all} = ${zeros(fields)} end
end`;
  }
  return `
local now
local stored = redis.call('GET', KEYS[1])${
    first === undefined
      ? ''
      : `
if not stored and not ARGV[1] then
  -- A new key, cost 1: the same outcome at any time (fresh-first-decision.ts).
  redis.call('SET', KEYS[1], ${first.decision.stateLiteral}, 'PX', ${first.decision.ttlMs})
  return ${first.decision.reply}
end`
  }
local ${all} = ${zeros(fields)}
if stored and #stored == ${length} then
  local format
  format, ${all} = struct.unpack(${layout}, stored)
  if format == ${format} then
    -- The key expires at e (PXAT), so its PTTL measures the server's clock against e.
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl > 0 then now = e - ttl end${
      first === undefined
        ? ''
        : `
  elseif format == ${format + FIRST_DECISION_LAYOUT} then
    -- Written by the first-decision shortcut: e is the key's expiry, the times are relative to it.
    e = redis.call('PEXPIRETIME', KEYS[1])
    local ttl = redis.call('PTTL', KEYS[1])
    if e > 0 and ttl > 0 then
      now = e - ttl
${first.toAbsolute}
    end`
    }
  end
end
if not now then${serverTime}
  ${all} = ${zeros(fields)}
end`;
}

/** Builds the script of one limiter: its algorithm, penalty, clock and spec values. */
export interface LimiterScriptOptions {
  /**
   * Answer a cost-1 decision on a new key with precomputed constants (fresh-first-decision.ts)
   * where the algorithm allows it. Default true; false only so tests can compare both paths.
   */
  readonly freshShortcut?: boolean;
}

export function limiterScript(spec: NormalisedLimit, callerClock: boolean, keepMs: number, options: LimiterScriptOptions = {}): LimiterScript {
  const { algorithm } = spec;
  const withPenalty = spec.penalty !== undefined;
  if (algorithm === 'fixed-window' && !withPenalty && spec.calendar === undefined && !callerClock) {
    const source = fixedWindowCounterSource(spec, replyPacking(spec));
    return Object.freeze({ algorithm, withPenalty, callerClock, source, sha: sha1(source), keyCount: 1, stateSuffix: ':c2' });
  }
  const lua = algorithmLua[algorithm];
  const packing = replyPacking(spec);
  const constants: [string, number][] = [
    ['remainingBase', packing.remainingBase],
    ['admittedResetBase', packing.admittedResetBase],
    ['refusedTimeBase', packing.refusedTimeBase],
    ...(callerClock ? [['keepMs', keepMs] as [string, number]] : []),
    ...[...lua.specValues, ...(withPenalty ? penaltySpecValues : [])].map((value: SpecValue): [string, number] => [value.name, value.of(spec)]),
  ];
  const stateNames = withPenalty ? [...penaltyFields, ...lua.fields] : lua.fields;
  // The first byte names the layout, so a key left by another algorithm, variant or clock under the same prefix reads as fresh.
  const format = ALGORITHM_NAMES.indexOf(algorithm) * 2 + (withPenalty ? 2 : 1) + (callerClock ? CALLER_CLOCK_LAYOUT : 0);
  const layout = `'<B${'d'.repeat(stateNames.length + 1)}'`;
  const length = 1 + 8 * (stateNames.length + 1);
  const all = ['e', ...stateNames].join(', ');
  const write = persist(layout, format, stateNames, lua.usesLog, callerClock);
  const decision = callerClock || options.freshShortcut === false ? undefined : freshFirstDecision(spec, lua, format, stateNames, packing);
  const first = decision === undefined ? undefined : { decision, toAbsolute: firstDecisionToAbsolute(lua) };
  const source = `${scriptPreamble(constants)}
${load(layout, format, length, all, stateNames.length + 1, callerClock, first)}
local ${stateNames.map(loaded).join(', ')} = ${stateNames.join(', ')}

if refunding then
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
    callerClock,
    source,
    sha: sha1(source),
    keyCount: lua.usesLog ? 2 : 1,
    stateSuffix: ':s2',
  });
}
