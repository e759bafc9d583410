/**
 * Turns per-round measurements into per-variant medians. Medians, not means: on a noisy shared
 * machine one disturbed round should not move the result.
 */
import { requestsPerSecond, type WrkResult } from './wrk.ts';
import { BASELINE, type VariantName } from './variants.ts';

export interface RoundResult {
  round: number;
  /** 1-based position of the variant within its round (the order rotates every round). */
  slot: number;
  variant: VariantName;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  wrk: WrkResult;
}

export interface VariantSummary {
  variant: VariantName;
  medianRequestsPerSecond: number;
  minRequestsPerSecond: number;
  maxRequestsPerSecond: number;
  medianP50Ms: number;
  medianP99Ms: number;
  /** Median req/s divided by the baseline's median req/s. */
  ratioToBaseline: number;
  /** Median over rounds of (this round's req/s / the baseline's req/s in the same round). */
  pairedRatioToBaseline: number;
  /** Responses that were not 2xx plus socket errors, over all rounds; must be 0. */
  failures: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function toRoundResult(round: number, slot: number, variant: VariantName, wrk: WrkResult): RoundResult {
  return { round, slot, variant, requestsPerSecond: requestsPerSecond(wrk), p50Ms: wrk.p50Us / 1000, p99Ms: wrk.p99Us / 1000, wrk };
}

function failures(wrk: WrkResult): number {
  return wrk.non2xx + wrk.connectErrors + wrk.readErrors + wrk.writeErrors + wrk.timeouts;
}

export function summarise(variants: readonly VariantName[], rounds: readonly RoundResult[]): VariantSummary[] {
  const of = (variant: VariantName): RoundResult[] => rounds.filter((result) => result.variant === variant);
  const baselineByRound = new Map(of(BASELINE).map((result) => [result.round, result.requestsPerSecond]));
  const baselineMedian = median(of(BASELINE).map((result) => result.requestsPerSecond));

  return variants.map((variant) => {
    const mine = of(variant);
    const rps = mine.map((result) => result.requestsPerSecond);
    const paired = mine.flatMap((result) => {
      const baseline = baselineByRound.get(result.round);
      return baseline === undefined ? [] : [result.requestsPerSecond / baseline];
    });
    return {
      variant,
      medianRequestsPerSecond: median(rps),
      minRequestsPerSecond: Math.min(...rps),
      maxRequestsPerSecond: Math.max(...rps),
      medianP50Ms: median(mine.map((result) => result.p50Ms)),
      medianP99Ms: median(mine.map((result) => result.p99Ms)),
      ratioToBaseline: median(rps) / baselineMedian,
      pairedRatioToBaseline: median(paired),
      failures: mine.reduce((sum, result) => sum + failures(result.wrk), 0),
    };
  });
}
