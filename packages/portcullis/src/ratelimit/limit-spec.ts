/**
 * Checks a limit spec once, at start-up, and reduces it to integers. Every algorithm computes in
 * exact integer arithmetic (no float drift at window edges, identical results in JavaScript and in
 * Redis Lua), so the products it forms must stay below 2^53: this is where that is enforced.
 */
import { PortcullisError } from '../errors/index.js';
import { ALGORITHM_NAMES, type LimitSpec, type NormalisedLimit, type PenaltySpec } from './types.js';

/** Wall-clock milliseconds are below 4e12 until the year 2096; the bound the checks assume. */
const CLOCK_CEILING_MS = 4e12;
const MAX_WINDOW_MS = 366 * 24 * 3600 * 1000;

function invalid(detail: string): PortcullisError {
  return new PortcullisError('config.invalid', { detail: `rate limit: ${detail}` });
}

function positiveInteger(value: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(`${name} must be an integer from 1 to ${max}`);
  }
  return value;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function normalisePenalty(penalty: PenaltySpec | undefined): PenaltySpec | undefined {
  if (penalty === undefined) return undefined;
  const blockMs = positiveInteger(penalty.blockMs, 'penalty.blockMs', MAX_WINDOW_MS);
  const maxBlockMs = positiveInteger(penalty.maxBlockMs, 'penalty.maxBlockMs', MAX_WINDOW_MS);
  if (maxBlockMs < blockMs) throw invalid('penalty.maxBlockMs must be at least penalty.blockMs');
  return Object.freeze({
    after: positiveInteger(penalty.after, 'penalty.after', 1_000_000),
    blockMs,
    maxBlockMs,
    decayMs: positiveInteger(penalty.decayMs, 'penalty.decayMs', MAX_WINDOW_MS),
  });
}

/**
 * @example
 * const spec = normaliseLimit({ algorithm: 'gcra', limit: 100, windowMs: 60_000 });
 */
export function normaliseLimit(spec: LimitSpec): NormalisedLimit {
  if (!ALGORITHM_NAMES.includes(spec.algorithm)) {
    throw invalid(`algorithm must be one of ${ALGORITHM_NAMES.join(', ')}`);
  }
  const limit = positiveInteger(spec.limit, 'limit', 1_000_000_000);
  const windowMs = positiveInteger(spec.windowMs, 'windowMs', MAX_WINDOW_MS);
  const burst = positiveInteger(spec.burst ?? limit, 'burst', 1_000_000_000);
  // A normalised spec (burst = limit) normalises to itself; any other burst needs a bucket.
  if (burst !== limit && spec.algorithm !== 'token-bucket' && spec.algorithm !== 'gcra') {
    throw invalid('burst applies to token-bucket and gcra only');
  }
  if (spec.calendar !== undefined && (spec.calendar !== 'month' || spec.algorithm !== 'fixed-window')) {
    throw invalid("calendar: 'month' applies to fixed-window only");
  }
  const divisor = gcd(limit, windowMs);
  const timeScale = limit / divisor;
  const unitScale = windowMs / divisor;
  if (spec.algorithm === 'sliding-counter' && limit * windowMs > Number.MAX_SAFE_INTEGER / 4) {
    throw invalid('limit x windowMs is too large for exact arithmetic');
  }
  if ((spec.algorithm === 'token-bucket' || spec.algorithm === 'gcra') && burst * unitScale > Number.MAX_SAFE_INTEGER / 4) {
    throw invalid('burst x windowMs is too large for exact arithmetic');
  }
  if (spec.algorithm === 'gcra' && (CLOCK_CEILING_MS + 2 * MAX_WINDOW_MS) * timeScale > Number.MAX_SAFE_INTEGER) {
    // gcra keeps time in units of 1/timeScale ms; a rate like 7 per 1000 ms is fine, 7919 per 1000 is not.
    throw invalid('limit / windowMs does not reduce to a fraction gcra can keep exact; use token-bucket');
  }
  return Object.freeze({
    algorithm: spec.algorithm,
    limit,
    windowMs,
    burst,
    timeScale,
    unitScale,
    penalty: normalisePenalty(spec.penalty),
    calendar: spec.calendar,
  });
}

const DAY_MS = 86_400_000;

/**
 * A quota per UTC day: a fixed window of exactly one day (epoch multiples of a day are UTC midnights).
 *
 * @example
 * createRateLimitPolicy({ name: 'daily', limit: dailyQuota(10_000), store })
 */
export function dailyQuota(limit: number): LimitSpec {
  return { algorithm: 'fixed-window', limit, windowMs: DAY_MS };
}

/** A quota per UTC calendar month; `RateLimit-Policy` announces it as a 31-day window. */
export function monthlyQuota(limit: number): LimitSpec {
  return { algorithm: 'fixed-window', limit, windowMs: 31 * DAY_MS, calendar: 'month' };
}

/** Checks a per-decision cost: a non-negative integer. */
export function checkCost(cost: number): number {
  if (!Number.isInteger(cost) || cost < 0 || cost > 1_000_000_000) {
    throw new PortcullisError('config.invalid', { detail: 'rate limit: cost must be an integer from 0 to 1e9' });
  }
  return cost;
}
