/**
 * Per-round measurements of the API key bench reduced to per-scenario medians, with the counts
 * that prove what was measured (storage lookups per verification) and, for the warm synchronous
 * path, the verdict against the per-core target.
 */
import { median } from '../lib/stats.ts';
import type { MeasureResult } from './protocol.ts';
import { WARM_TARGET_PER_SECOND, scenarioById, type ScenarioId } from './scenarios.ts';

export interface RoundResult {
  round: number;
  /** 1-based position in this round (the order rotates every round). */
  slot: number;
  scenario: ScenarioId;
  verificationsPerSecond: number;
  /** Verifications per CPU-second of the measuring process: barely moves when another process steals the core. */
  verificationsPerCpuSecond: number;
  /** CPU time of the measuring process over wall time: under 100% means it waited (for the database) or lost the core. */
  cpuShare: number;
  /** PostgreSQL backend CPU per verification, in microseconds; null elsewhere or when /proc cannot see the backends. */
  databaseMicrosPerVerification: number | null;
  result: MeasureResult;
}

export interface ScenarioSummary {
  scenario: ScenarioId;
  isReference: boolean;
  medianPerSecond: number;
  minPerSecond: number;
  maxPerSecond: number;
  medianPerCpuSecond: number;
  medianCpuShare: number;
  /** Over every round: verifications and storage lookups in the timed phases, and lookups that filled the cache. */
  verifications: number;
  timedLookups: number;
  primingLookupsPerRound: number[];
  keysInRotation: number;
  concurrency: number;
  medianDatabaseMicrosPerVerification: number | null;
  /** CPUs the PostgreSQL backends were last seen on, over every round. */
  databaseCpus: number[];
  /** Warm scenarios: per CPU-second, against the keyed hash and a map lookup (what a cache keyed by the hash pays). */
  cpuRatioToHmacLookup: number | null;
  /** warm-sync only: median verifications/s over the target, and whether it is reached. */
  ratioToTarget: number | null;
  meetsTarget: boolean | null;
}

const HMAC_LOOKUP: ScenarioId = 'hmac-lookup';

export function summarise(scenarios: readonly ScenarioId[], rounds: readonly RoundResult[]): ScenarioSummary[] {
  const of = (scenario: ScenarioId): RoundResult[] => rounds.filter((row) => row.scenario === scenario);
  const cpuMedianOf = (scenario: ScenarioId): number => median(of(scenario).map((row) => row.verificationsPerCpuSecond));
  const hmacLookup = scenarios.includes(HMAC_LOOKUP) ? cpuMedianOf(HMAC_LOOKUP) : null;

  return scenarios.map((scenario) => {
    const mine = of(scenario);
    const rates = mine.map((row) => row.verificationsPerSecond);
    const databaseMicros = mine.flatMap((row) => (row.databaseMicrosPerVerification === null ? [] : [row.databaseMicrosPerVerification]));
    const isTargeted = scenario === 'warm-sync';
    return {
      scenario,
      isReference: scenarioById(scenario).isReference,
      medianPerSecond: median(rates),
      minPerSecond: Math.min(...rates),
      maxPerSecond: Math.max(...rates),
      medianPerCpuSecond: cpuMedianOf(scenario),
      medianCpuShare: median(mine.map((row) => row.cpuShare)),
      verifications: mine.reduce((sum, row) => sum + row.result.verifications, 0),
      timedLookups: mine.reduce((sum, row) => sum + row.result.lookups.timed, 0),
      primingLookupsPerRound: mine.map((row) => row.result.lookups.priming),
      keysInRotation: mine[0]?.result.keysInRotation ?? 0,
      concurrency: mine[0]?.result.concurrency ?? 1,
      medianDatabaseMicrosPerVerification: databaseMicros.length === 0 ? null : median(databaseMicros),
      databaseCpus: [...new Set(mine.flatMap((row) => row.result.database?.backendCpus ?? []))].sort((a, b) => a - b),
      cpuRatioToHmacLookup: hmacLookup === null || scenarioById(scenario).cache !== 'warm' ? null : cpuMedianOf(scenario) / hmacLookup,
      ratioToTarget: isTargeted ? median(rates) / WARM_TARGET_PER_SECOND : null,
      meetsTarget: isTargeted ? median(rates) >= WARM_TARGET_PER_SECOND : null,
    };
  });
}
