/**
 * Per-round measurements of the rate limiter bench reduced to per-contender medians, and every
 * contender's ratio to the fastest peer of its scenario (the figure the pairing is about).
 */
import { median } from '../lib/stats.ts';
import { contenderById, scenarioId, type Scenario } from './contenders.ts';
import type { MeasureResult } from './protocol.ts';

export interface RoundResult {
  round: number;
  /** 1-based position within its scenario in this round (the order rotates every round). */
  slot: number;
  scenario: string;
  contender: string;
  decisionsPerSecond: number;
  /** Decisions per CPU-second of the measuring process: barely moves when another process steals the core. */
  decisionsPerCpuSecond: number;
  admittedShare: number;
  /** CPU time of the measuring process over wall time: well under 1 means it was starved (or waiting on Redis). */
  clientCpuShare: number;
  /** The redis-server's CPU time over wall time; null when Redis is not local or not used. */
  redisCpuShare: number | null;
  result: MeasureResult;
}

export interface ContenderSummary {
  scenario: string;
  contender: string;
  library: string;
  algorithm: string;
  isPeer: boolean;
  medianDecisionsPerSecond: number;
  minDecisionsPerSecond: number;
  maxDecisionsPerSecond: number;
  medianDecisionsPerCpuSecond: number;
  medianAdmittedShare: number;
  medianClientCpuShare: number;
  errors: number;
  /** The fastest peer of the scenario (by median decisions/s) and this contender's ratio to it. */
  fastestPeer: string | null;
  ratioToFastestPeer: number | null;
  /** Median over rounds of this round's decisions/s over the fastest peer's in the same round. */
  pairedRatioToFastestPeer: number | null;
  /** Decisions per CPU-second over the fastest peer's: the noise-robust cross-check when the client is the bottleneck. */
  cpuRatioToFastestPeer: number | null;
  /** Median ratio to every peer of the scenario, by peer id. */
  ratioToPeers: Record<string, number>;
  redis: RedisSummary | null;
}

export interface RedisSummary {
  /** Commands this client sent per decision, from MONITOR (the round trips), by command. */
  sentPerDecision: Record<string, number> | null;
  /** Commands its scripts ran per decision, from MONITOR, by command. */
  inScriptsPerDecision: Record<string, number> | null;
  /** Every command the server ran per decision during the timed phase (INFO commandstats, whole server). */
  serverCommandsPerDecision: Record<string, number>;
  medianRedisCpuMicrosPerDecision: number | null;
  medianClientCpuMicrosPerDecision: number;
  /** Server time per script call (INFO commandstats usec of EVAL/EVALSHA over their calls), scripts' commands included. */
  medianScriptMicrosPerCall: number | null;
  medianRedisCpuShare: number | null;
  monitorError: string | null;
}

const SCRIPT_COMMANDS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

function medianByName(maps: readonly Record<string, number>[]): Record<string, number> {
  const names = [...new Set(maps.flatMap((map) => Object.keys(map)))].sort();
  return Object.fromEntries(names.map((name) => [name, median(maps.map((map) => map[name] ?? 0))]));
}

function perDecision(counts: Record<string, number>, decisions: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([name, calls]) => [name, calls / decisions]));
}

function summariseRedis(mine: readonly RoundResult[]): RedisSummary | null {
  const redis = mine.flatMap((row) => (row.result.redis === null ? [] : [{ row, redis: row.result.redis }]));
  if (redis.length === 0) return null;
  const monitored = redis.flatMap(({ redis: figures }) => ('error' in figures.monitor ? [] : [figures.monitor]));
  const monitorErrors = redis.flatMap(({ redis: figures }) => ('error' in figures.monitor ? [figures.monitor.error] : []));
  const scriptMicros = redis.flatMap(({ redis: figures }) => {
    const names = Object.keys(figures.commands).filter((name) => SCRIPT_COMMANDS.has(name));
    const calls = names.reduce((sum, name) => sum + (figures.commands[name] ?? 0), 0);
    const usec = names.reduce((sum, name) => sum + (figures.commandUsec[name] ?? 0), 0);
    return calls === 0 ? [] : [usec / calls];
  });
  const redisShares = mine.flatMap((row) => (row.redisCpuShare === null ? [] : [row.redisCpuShare]));
  const redisCpu = redis.flatMap(({ row, redis: figures }) => (figures.serverCpuSeconds === null ? [] : [(figures.serverCpuSeconds / row.result.decisions) * 1e6]));
  return {
    sentPerDecision: monitored.length === 0 ? null : medianByName(monitored.map((monitor) => perDecision(monitor.sent, monitor.decisions))),
    inScriptsPerDecision: monitored.length === 0 ? null : medianByName(monitored.map((monitor) => perDecision(monitor.inScripts, monitor.decisions))),
    serverCommandsPerDecision: medianByName(redis.map(({ row, redis: figures }) => perDecision(figures.commands, row.result.decisions))),
    medianRedisCpuMicrosPerDecision: redisCpu.length === 0 ? null : median(redisCpu),
    medianClientCpuMicrosPerDecision: median(redis.map(({ row }) => (row.result.clientCpuSeconds / row.result.decisions) * 1e6)),
    medianScriptMicrosPerCall: scriptMicros.length === 0 ? null : median(scriptMicros),
    medianRedisCpuShare: redisShares.length === 0 ? null : median(redisShares),
    monitorError: monitorErrors[0] ?? null,
  };
}

export function summarise(scenario: Scenario, contenders: readonly string[], rounds: readonly RoundResult[]): ContenderSummary[] {
  const id = scenarioId(scenario);
  const of = (contender: string): RoundResult[] => rounds.filter((row) => row.scenario === id && row.contender === contender);
  const medianOf = (contender: string): number => median(of(contender).map((row) => row.decisionsPerSecond));
  const peers = contenders.filter((contender) => contenderById(contender).library !== 'portcullis');
  const fastestPeer = peers.length === 0 ? null : peers.reduce((best, peer) => (medianOf(peer) > medianOf(best) ? peer : best));

  return contenders.map((contender) => {
    const mine = of(contender);
    const rates = mine.map((row) => row.decisionsPerSecond);
    const mineMedian = median(rates);
    const pairedTo = (peer: string): number => {
      const byRound = new Map(of(peer).map((row) => [row.round, row.decisionsPerSecond]));
      return median(mine.flatMap((row) => (byRound.has(row.round) ? [row.decisionsPerSecond / byRound.get(row.round)!] : [])));
    };
    const { library, algorithm } = contenderById(contender);
    return {
      scenario: id,
      contender,
      library,
      algorithm,
      isPeer: library !== 'portcullis',
      medianDecisionsPerSecond: mineMedian,
      minDecisionsPerSecond: Math.min(...rates),
      maxDecisionsPerSecond: Math.max(...rates),
      medianDecisionsPerCpuSecond: median(mine.map((row) => row.decisionsPerCpuSecond)),
      medianAdmittedShare: median(mine.map((row) => row.admittedShare)),
      medianClientCpuShare: median(mine.map((row) => row.clientCpuShare)),
      errors: mine.reduce((sum, row) => sum + row.result.errors, 0),
      fastestPeer,
      ratioToFastestPeer: fastestPeer === null ? null : mineMedian / medianOf(fastestPeer),
      pairedRatioToFastestPeer: fastestPeer === null ? null : pairedTo(fastestPeer),
      cpuRatioToFastestPeer: fastestPeer === null ? null : median(mine.map((row) => row.decisionsPerCpuSecond)) / median(of(fastestPeer).map((row) => row.decisionsPerCpuSecond)),
      ratioToPeers: Object.fromEntries(peers.map((peer) => [peer, mineMedian / medianOf(peer)])),
      redis: summariseRedis(mine),
    };
  });
}
