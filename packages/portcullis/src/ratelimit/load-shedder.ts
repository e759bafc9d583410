/**
 * Load shedding (R7): when the event loop falls behind, every request already admitted gets
 * slower, so new ones are refused (503 with Retry-After) until it catches up. Lag is read from
 * Node's native event-loop delay histogram (no per-request cost); each check interval looks at
 * the interval's 99th percentile and resets the histogram.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { PortcullisError } from '../errors/index.js';

export interface LoadSheddingOptions {
  /** Shed while the 99th percentile event-loop delay of the last interval is above this. Default 500 ms. */
  readonly maxEventLoopDelayMs?: number;
  /** How often the delay is checked (and so how soon shedding starts and stops). Default 1 s. */
  readonly checkIntervalMs?: number;
  /** Told on each switch, with the measured delay. */
  readonly onChange?: (event: { readonly event: 'load.shedding_started' | 'load.shedding_stopped'; readonly delayMs: number }) => void;
}

export class LoadShedder {
  readonly maxEventLoopDelayMs: number;
  readonly checkIntervalMs: number;
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private readonly onChange: LoadSheddingOptions['onChange'];
  private shedding = false;
  private lastCheck = performance.now();
  /** The refusal is the same every time; built once. */
  readonly refusal: PortcullisError;

  constructor(options: LoadSheddingOptions = {}) {
    this.maxEventLoopDelayMs = options.maxEventLoopDelayMs ?? 500;
    this.checkIntervalMs = options.checkIntervalMs ?? 1_000;
    if (!(this.maxEventLoopDelayMs >= 1) || !(this.checkIntervalMs >= 10)) {
      throw new PortcullisError('config.invalid', { detail: 'load shedding: maxEventLoopDelayMs >= 1 and checkIntervalMs >= 10' });
    }
    this.onChange = options.onChange;
    this.refusal = new PortcullisError('service.overloaded', {
      headers: { 'retry-after': String(Math.max(1, Math.ceil(this.checkIntervalMs / 1000))) },
    });
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.timer = setInterval(() => this.check(), this.checkIntervalMs);
    this.timer.unref();
  }

  /** True while new requests should be refused. */
  get overloaded(): boolean {
    return this.shedding;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private check(): void {
    // The histogram is in nanoseconds and includes the sampling resolution itself. This check's own
    // lateness counts too: a block can end before the histogram has taken its first sample.
    const now = performance.now();
    const ownLateness = now - this.lastCheck - this.checkIntervalMs;
    this.lastCheck = now;
    const sampled = this.histogram.count === 0 ? 0 : this.histogram.percentile(99) / 1e6 - 10;
    const delayMs = Math.max(sampled, ownLateness);
    this.histogram.reset();
    const over = delayMs > this.maxEventLoopDelayMs;
    if (over === this.shedding) return;
    this.shedding = over;
    this.onChange?.({ event: over ? 'load.shedding_started' : 'load.shedding_stopped', delayMs: Math.round(delayMs) });
  }
}
