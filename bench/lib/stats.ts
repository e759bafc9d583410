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
  /** CPU seconds the server used while measured; null where /proc is unavailable. */
  serverCpuSeconds: number | null;
  /** Requests answered per CPU-second of the server: robust to time stolen by other processes. */
  requestsPerCpuSecond: number | null;
  /** Server CPU time over wall time; well below 1 means the server was starved or not saturated. */
  serverCpuShare: number | null;
  wrk: WrkResult;
}

export interface VariantSummary {
  variant: VariantName;
  medianRequestsPerSecond: number;
  minRequestsPerSecond: number;
  maxRequestsPerSecond: number;
  medianP50Ms: number;
  medianP99Ms: number;
  /** Median req/s divided by the baseline's median req/s: the headline ratio. */
  ratioToBaseline: number;
  /** Median over rounds of (this round's req/s / the baseline's req/s in the same round). */
  pairedRatioToBaseline: number;
  medianRequestsPerCpuSecond: number | null;
  /** Median requests per CPU-second over the baseline's: the noise-robust cross-check. */
  cpuRatioToBaseline: number | null;
  medianServerCpuShare: number | null;
  /** Responses that were not 2xx plus socket errors, over all rounds; must be 0. */
  failures: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function medianOrNull(values: readonly (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : median(known);
}

export function failures(wrk: WrkResult): number {
  return wrk.non2xx + wrk.connectErrors + wrk.readErrors + wrk.writeErrors + wrk.timeouts;
}

export interface Measurement {
  round: number;
  slot: number;
  variant: VariantName;
  wrk: WrkResult;
  serverCpuSeconds: number | undefined;
}

export function toRoundResult(measurement: Measurement): RoundResult {
  const { wrk, serverCpuSeconds } = measurement;
  const cpu = serverCpuSeconds !== undefined && serverCpuSeconds > 0 ? serverCpuSeconds : null;
  return {
    round: measurement.round,
    slot: measurement.slot,
    variant: measurement.variant,
    requestsPerSecond: requestsPerSecond(wrk),
    p50Ms: wrk.p50Us / 1000,
    p99Ms: wrk.p99Us / 1000,
    serverCpuSeconds: cpu,
    requestsPerCpuSecond: cpu === null ? null : wrk.requests / cpu,
    serverCpuShare: cpu === null ? null : cpu / (wrk.durationUs / 1e6),
    wrk,
  };
}

export function summarise(variants: readonly VariantName[], rounds: readonly RoundResult[]): VariantSummary[] {
  const of = (variant: VariantName): RoundResult[] => rounds.filter((result) => result.variant === variant);
  const baselineByRound = new Map(of(BASELINE).map((result) => [result.round, result.requestsPerSecond]));
  const baselineMedian = median(of(BASELINE).map((result) => result.requestsPerSecond));
  const baselineCpuMedian = medianOrNull(of(BASELINE).map((result) => result.requestsPerCpuSecond));

  return variants.map((variant) => {
    const mine = of(variant);
    const rps = mine.map((result) => result.requestsPerSecond);
    const paired = mine.flatMap((result) => {
      const baseline = baselineByRound.get(result.round);
      return baseline === undefined ? [] : [result.requestsPerSecond / baseline];
    });
    const perCpu = medianOrNull(mine.map((result) => result.requestsPerCpuSecond));
    return {
      variant,
      medianRequestsPerSecond: median(rps),
      minRequestsPerSecond: Math.min(...rps),
      maxRequestsPerSecond: Math.max(...rps),
      medianP50Ms: median(mine.map((result) => result.p50Ms)),
      medianP99Ms: median(mine.map((result) => result.p99Ms)),
      ratioToBaseline: median(rps) / baselineMedian,
      pairedRatioToBaseline: median(paired),
      medianRequestsPerCpuSecond: perCpu,
      cpuRatioToBaseline: perCpu === null || baselineCpuMedian === null ? null : perCpu / baselineCpuMedian,
      medianServerCpuShare: medianOrNull(mine.map((result) => result.serverCpuShare)),
      failures: mine.reduce((sum, result) => sum + failures(result.wrk), 0),
    };
  });
}

/** One variant against another measured in the same run (e.g. the audit trail's cost: portcullis-audit against portcullis). */
export interface VariantComparison {
  variant: VariantName;
  against: VariantName;
  /** Median req/s over the other's median req/s. */
  ratio: number;
  /** Median over rounds of the per-round ratio. */
  pairedRatio: number;
  /** Median requests per server CPU-second over the other's: robust to time other processes took. */
  cpuRatio: number | null;
}

export function compareVariants(rounds: readonly RoundResult[], variant: VariantName, against: VariantName): VariantComparison | undefined {
  const mine = rounds.filter((result) => result.variant === variant);
  const theirs = rounds.filter((result) => result.variant === against);
  if (mine.length === 0 || theirs.length === 0) return undefined;
  const theirsByRound = new Map(theirs.map((result) => [result.round, result.requestsPerSecond]));
  const paired = mine.flatMap((result) => {
    const other = theirsByRound.get(result.round);
    return other === undefined ? [] : [result.requestsPerSecond / other];
  });
  const myCpu = medianOrNull(mine.map((result) => result.requestsPerCpuSecond));
  const theirCpu = medianOrNull(theirs.map((result) => result.requestsPerCpuSecond));
  return {
    variant,
    against,
    ratio: median(mine.map((result) => result.requestsPerSecond)) / median(theirs.map((result) => result.requestsPerSecond)),
    pairedRatio: median(paired),
    cpuRatio: myCpu === null || theirCpu === null ? null : myCpu / theirCpu,
  };
}
