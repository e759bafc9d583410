/**
 * Turns a limiter script's reply, `{outcome, remaining, resetAfterMs, retryAfterMs}` with outcome
 * 0 refused, 1 allowed, 2 blocked by a penalty, into a decision, allocating only the decision.
 * A reply of any other shape means the store is not what we think it is: reported as unavailable.
 */
import { PortcullisError } from '../../errors/index.js';
import type { RateLimitDecision } from '../types.js';

function unexpected(): PortcullisError {
  return new PortcullisError('storage.unavailable', { detail: 'rate limit: unexpected reply from the Redis limiter script' });
}

function integer(value: unknown): number {
  if (typeof value === 'number') return value;
  // Values above 2^53 come as exact decimal strings (see limiter-script.ts).
  if (typeof value === 'string') {
    const parsed = Number(value);
    if (Number.isInteger(parsed)) return parsed;
  }
  throw unexpected();
}

export function decisionFromReply(reply: unknown, limit: number): RateLimitDecision {
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
