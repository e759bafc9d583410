/**
 * Per-round measurements of the JWT bench reduced to per-contender medians, with every
 * contender's ratio to the fastest peer of its algorithm (by wall clock, paired per round, and
 * per CPU-second) and to the node:crypto floor.
 */
import { median } from '../lib/stats.ts';
import { contenderById, type Algorithm } from './contenders.ts';
import type { MeasureResult } from './protocol.ts';

export interface RoundResult {
  round: number;
  /** 1-based position within its algorithm in this round (the order rotates every round). */
  slot: number;
  algorithm: Algorithm;
  contender: string;
  verificationsPerSecond: number;
  /** Verifications per CPU-second of the measuring process: barely moves when another process steals the core. */
  verificationsPerCpuSecond: number;
  /** CPU time of the measuring process over wall time: well under 100% means another process took the core. */
  cpuShare: number;
  result: MeasureResult;
}

export interface ContenderSummary {
  algorithm: Algorithm;
  contender: string;
  library: string;
  isPeer: boolean;
  medianPerSecond: number;
  minPerSecond: number;
  maxPerSecond: number;
  medianPerCpuSecond: number;
  medianCpuShare: number;
  /** The fastest peer of the algorithm (by median verifications/s) and this contender's ratios to it. */
  fastestPeer: string | null;
  ratioToFastestPeer: number | null;
  /** Median over rounds of this round's verifications/s over the fastest peer's in the same round. */
  pairedRatioToFastestPeer: number | null;
  /** Verifications per CPU-second over the fastest peer's: the noise-robust cross-check. */
  cpuRatioToFastestPeer: number | null;
  /** Verifications per CPU-second over the signature-only floor's: how much of the floor's rate is kept. */
  cpuRatioToFloor: number | null;
}

const FLOOR = 'node-crypto-floor';

export function summarise(algorithm: Algorithm, contenders: readonly string[], rounds: readonly RoundResult[]): ContenderSummary[] {
  const of = (contender: string): RoundResult[] => rounds.filter((row) => row.algorithm === algorithm && row.contender === contender);
  const medianOf = (contender: string): number => median(of(contender).map((row) => row.verificationsPerSecond));
  const cpuMedianOf = (contender: string): number => median(of(contender).map((row) => row.verificationsPerCpuSecond));
  const peers = contenders.filter((contender) => contenderById(contender).isPeer);
  const fastestPeer = peers.length === 0 ? null : peers.reduce((best, peer) => (medianOf(peer) > medianOf(best) ? peer : best));
  const floor = contenders.includes(FLOOR) ? cpuMedianOf(FLOOR) : null;

  return contenders.map((contender) => {
    const mine = of(contender);
    const rates = mine.map((row) => row.verificationsPerSecond);
    const paired = (): number => {
      const byRound = new Map(of(fastestPeer!).map((row) => [row.round, row.verificationsPerSecond]));
      return median(mine.flatMap((row) => (byRound.has(row.round) ? [row.verificationsPerSecond / byRound.get(row.round)!] : [])));
    };
    return {
      algorithm,
      contender,
      library: contenderById(contender).library,
      isPeer: contenderById(contender).isPeer,
      medianPerSecond: median(rates),
      minPerSecond: Math.min(...rates),
      maxPerSecond: Math.max(...rates),
      medianPerCpuSecond: cpuMedianOf(contender),
      medianCpuShare: median(mine.map((row) => row.cpuShare)),
      fastestPeer,
      ratioToFastestPeer: fastestPeer === null ? null : median(rates) / medianOf(fastestPeer),
      pairedRatioToFastestPeer: fastestPeer === null ? null : paired(),
      cpuRatioToFastestPeer: fastestPeer === null ? null : cpuMedianOf(contender) / cpuMedianOf(fastestPeer),
      cpuRatioToFloor: floor === null ? null : cpuMedianOf(contender) / floor,
    };
  });
}
