/**
 * What the orchestrator asks of a measuring process and what that process answers: one JSON
 * request as its only argument, one `RESULT <json>` line on stdout.
 */
import type { KeyPattern, WorkloadName } from './contenders.ts';

export const RESULT_MARKER = 'RESULT ';

export interface MeasureRequest {
  /** `check` proves the contender limits at all (3 per minute: admit, admit, admit, refuse); `measure` times it. */
  mode: 'check' | 'measure';
  contender: string;
  workload: WorkloadName;
  keys: KeyPattern;
  manyKeys: number;
  warmupMs: number;
  durationMs: number;
  /** Decisions in flight at once (Redis); memory contenders run one at a time. */
  concurrency: number;
  redisUrl: string;
  /** This measurement's own key prefix in Redis; deleted afterwards. */
  prefix: string;
  /** Decisions counted under MONITOR after the timed phase (Redis only). */
  monitorDecisions: number;
}

export interface RedisFigures {
  /** CPU seconds the local redis-server used during the timed phase; null when it is not local. */
  serverCpuSeconds: number | null;
  /** Every command the server ran during the timed phase (INFO commandstats delta, whole server, scripts' own commands included). */
  commands: Record<string, number>;
  /** Microseconds the server spent per command name over the same phase (a script's time includes its commands). */
  commandUsec: Record<string, number>;
  /** MONITOR over `decisions` decisions after the timed phase, this process's connections only. */
  monitor: { decisions: number; sent: Record<string, number>; inScripts: Record<string, number> } | { error: string };
  /** Keys under the measurement's prefix, deleted at the end. */
  keysDeleted: number;
}

export interface MeasureResult {
  decisions: number;
  admitted: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  /** CPU seconds (user + system) of the measuring process during the timed phase. */
  clientCpuSeconds: number;
  redis: RedisFigures | null;
}

export interface CheckResult {
  problems: string[];
}
