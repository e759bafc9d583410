/**
 * Turns a limiter script's reply into a decision, allocating only the decision. The script packs
 * the decision into one integer whenever it fits below 2^53, because a table reply costs the Redis
 * thread more than the rest of a refusal (measured ~1.3 us of ~5 us): an admitted decision as
 * `-1 - (remaining + R * resetAfterMs)`, a refused one as
 * `blocked + 2 * (remaining + R * (resetAfterMs + T * retryAfterMs))`, with the bases R and T of
 * `replyPacking`. Otherwise it replies `{outcome, remaining, resetAfterMs, retryAfterMs}`, outcome
 * 0 refused, 1 allowed, 2 blocked by a penalty. A reply of any other shape means the store is not
 * what we think it is: reported as unavailable.
 */
import { PortcullisError } from '../../errors/index.js';
import type { NormalisedLimit, RateLimitDecision } from '../types.js';

const TWO_53 = 2 ** 53;

export interface ReplyPacking {
  /** R: one more than the largest `remaining` (the limit, or a bucket's burst). */
  readonly remainingBase: number;
  /** Admitted decisions with `resetAfterMs` below this pack: R * this < 2^53. */
  readonly admittedResetBase: number;
  /** T: refusals with both times below this pack: 2 * R * T * T <= 2^53. */
  readonly refusedTimeBase: number;
}

export function replyPacking(spec: NormalisedLimit): ReplyPacking {
  const remainingBase = Math.max(spec.limit, spec.burst) + 1;
  let refusedTimeBase = Math.floor(Math.sqrt(TWO_53 / (2 * remainingBase)));
  while (2n * BigInt(remainingBase) * BigInt(refusedTimeBase) ** 2n > BigInt(TWO_53)) refusedTimeBase -= 1;
  return { remainingBase, admittedResetBase: Math.floor((TWO_53 - 1) / remainingBase), refusedTimeBase };
}

function unexpected(): PortcullisError {
  return new PortcullisError('storage.unavailable', { detail: 'rate limit: unexpected reply from the Redis limiter script' });
}

function integer(value: unknown): number {
  if (typeof value === 'number') return value;
  // Values above 2^53 come as exact decimal strings (see limiter-script.ts), and a client may map integers to strings.
  if (typeof value === 'string') {
    const parsed = Number(value);
    if (Number.isInteger(parsed)) return parsed;
  }
  throw unexpected();
}

function unpacked(packed: number, limit: number, packing: ReplyPacking): RateLimitDecision {
  if (!Number.isSafeInteger(packed)) throw unexpected();
  const base = packing.remainingBase;
  if (packed < 0) {
    const rest = -1 - packed;
    const remaining = rest % base;
    return { allowed: true, limit, remaining, resetAfterMs: (rest - remaining) / base, retryAfterMs: 0, blocked: false };
  }
  const blocked = packed % 2;
  let rest = (packed - blocked) / 2;
  const remaining = rest % base;
  rest = (rest - remaining) / base;
  const resetAfterMs = rest % packing.refusedTimeBase;
  return { allowed: false, limit, remaining, resetAfterMs, retryAfterMs: (rest - resetAfterMs) / packing.refusedTimeBase, blocked: blocked === 1 };
}

export function decisionFromReply(reply: unknown, limit: number, packing: ReplyPacking): RateLimitDecision {
  if (typeof reply === 'number') return unpacked(reply, limit, packing);
  if (typeof reply === 'string') return unpacked(integer(reply), limit, packing);
  if (!Array.isArray(reply) || reply.length !== 4) throw unexpected();
  const outcome: unknown = reply[0];
  return {
    allowed: outcome === 1,
    limit,
    remaining: integer(reply[1]),
    resetAfterMs: integer(reply[2]),
    retryAfterMs: integer(reply[3]),
    blocked: outcome === 2,
  };
}
