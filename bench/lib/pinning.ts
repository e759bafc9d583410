/**
 * Core pinning: the server gets one core and the load generator the other, so they never steal
 * each other's time slices and the numbers measure the stack, not the scheduler.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export const SERVER_CPU = 1;
export const LOAD_CPU = 0;

export interface Pinning {
  enabled: boolean;
  /** Why pinning is off, for the report. */
  reason?: string;
}

export function detectPinning(): Pinning {
  if (availableParallelism() < 2) {
    return { enabled: false, reason: 'fewer than 2 cores available' };
  }
  const probe = spawnSync('taskset', ['-c', String(LOAD_CPU), 'true'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0) {
    return { enabled: false, reason: 'taskset is missing or not permitted (Debian: apt-get install util-linux)' };
  }
  return { enabled: true };
}

/** Prefixes a command with `taskset -c <cpu>` when pinning is on. */
export function pinned(pinning: Pinning, cpu: number, command: string, args: string[]): [string, string[]] {
  return pinning.enabled ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}
