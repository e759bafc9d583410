/**
 * CPU time a server process consumed, read from /proc. On a shared machine other processes steal
 * the server's core now and then; requests per server CPU-second barely move when that happens,
 * so they cross-check the wall-clock req/s. Linux only; elsewhere the figures are left out.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const probe = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const parsed = Number(probe.stdout?.trim());
    ticksPerSecond = Number.isInteger(parsed) && parsed > 0 ? parsed : 100;
  }
  return ticksPerSecond;
}

/** User + system CPU seconds of a live process, or undefined when /proc is unavailable. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces, so count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    return Number.isFinite(userTicks + systemTicks) ? (userTicks + systemTicks) / clockTicks() : undefined;
  } catch {
    return undefined;
  }
}
