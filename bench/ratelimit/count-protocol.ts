/**
 * What the instruction-count orchestrator asks of a count-worker process (one JSON argument) and
 * what the worker reports after each phase (`DONE <json>`).
 */
import type { KeyPattern, WorkloadName } from './contenders.ts';
import type { DecisionTally } from './decision-step.ts';

export interface CountRequest {
  /** A contender id, or `loop-sync`: the counting loop around a decision that costs nothing. */
  contender: string;
  workload: WorkloadName;
  /**
   * Overrides the workload's window: under callgrind the over-limit warm-up takes longer than its
   * 60 s window, and a fixed window that rolls over mid-count would admit again.
   */
  windowMs?: number;
  keys: KeyPattern;
  manyKeys: number;
  warmupDecisions: number;
  decisions: number;
  monitorDecisions: number;
  /** Decisions in flight at once (Redis); memory contenders run one at a time. */
  concurrency: number;
  redisUrl: string;
  prefix: string;
}

/** What a counted phase did, as the wall-clock bench tallies it. */
export type CountTally = DecisionTally;

/** The floor: what the counting loop itself costs per decision, subtracted from the memory figures. */
export const LOOP_FLOOR = 'loop-sync';
