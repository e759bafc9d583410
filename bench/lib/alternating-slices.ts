/**
 * Time slices that alternate a server between two states ("on" and "off") inside one process,
 * each measured on its own: requests served, wall time and the process's CPU time. Comparing two
 * server processes carries the variance of the process itself (where V8 placed code and heap,
 * which functions it optimised and when): on the 2-core bench machines one process of the same
 * variant runs up to 7% faster than the next. Alternating inside one process compares the two
 * states under the same code layout, JIT state and machine moment, a second apart.
 *
 * Each slice starts with a guard (default 400 ms) that is not measured, so work the previous
 * state left queued (a batch still to be written) is not billed to the next one. The driver
 * starts recording with a SIGUSR2 (after its warm-up) and stops it with a second one (when its
 * load ends), at which the slices are written to stdout as one line (SLICES_MARKER, then JSON);
 * a slice open at either moment is dropped, not cut. (SIGUSR1 is Node's inspector.)
 */
import { cpuUsage } from 'node:process';
import { performance } from 'node:perf_hooks';

export const SLICES_MARKER = 'BENCH_SLICES';

export interface MeasuredSlice {
  readonly on: boolean;
  readonly requests: number;
  readonly wallMs: number;
  /** User + system CPU time of the whole process in the slice, microseconds. */
  readonly cpuUs: number;
}

interface Mark {
  readonly requests: number;
  readonly wall: number;
  readonly cpu: NodeJS.CpuUsage;
}

export class AlternatingSlices {
  /** The state requests are served in now. */
  on = true;
  readonly slices: MeasuredSlice[] = [];
  #served = 0;
  #mark: Mark | undefined;
  #recording = false;

  constructor(sliceMs: number, guardMs: number) {
    if (!(Number.isInteger(sliceMs) && Number.isInteger(guardMs) && guardMs >= 0 && sliceMs > guardMs)) {
      throw new RangeError('slices: integer sliceMs > guardMs >= 0');
    }
    setInterval(() => {
      this.#close();
      this.on = !this.on;
      setTimeout(() => this.#open(), guardMs).unref();
    }, sliceMs).unref();
    process.on('SIGUSR2', () => {
      this.#mark = undefined;
      this.#recording = !this.#recording;
      if (!this.#recording) process.stdout.write(`${SLICES_MARKER} ${JSON.stringify(this.slices)}\n`);
    });
  }

  /** Counts one served request. */
  served(): void {
    this.#served += 1;
  }

  #open(): void {
    this.#mark = this.#recording ? { requests: this.#served, wall: performance.now(), cpu: cpuUsage() } : undefined;
  }

  #close(): void {
    const mark = this.#mark;
    this.#mark = undefined;
    if (mark === undefined || !this.#recording) return;
    const cpu = cpuUsage(mark.cpu);
    this.slices.push({ on: this.on, requests: this.#served - mark.requests, wallMs: performance.now() - mark.wall, cpuUs: cpu.user + cpu.system });
  }
}
