import { PortcullisError } from '../errors/index.js';

/**
 * E4: "N of something from one source within a window", with one report per incident. Each key
 * (an address, a principal) keeps at most `threshold` timestamps, the most recent ones: enough to
 * know whether `threshold` happened within the window, and no more. An incident opens when the
 * count reaches the threshold and reports once; it stays open (silent) until a whole window passes
 * without the count reaching the threshold again. Keys are capped (least recently seen evicted),
 * so an attacker spraying addresses costs bounded memory.
 */

export interface ThresholdWindowOptions {
  readonly threshold: number;
  readonly windowMs: number;
  /** Keys tracked at once. Default 10,000. */
  readonly maxKeys?: number;
}

export interface ThresholdCrossing {
  readonly key: string;
  readonly count: number;
  /** When the first of the counted occurrences happened (epoch ms). */
  readonly firstAt: number;
}

interface KeyState {
  /** Ring of the latest timestamps, oldest first once full. */
  readonly times: number[];
  /** Set while an incident is open: the last time the count was at or above the threshold. */
  atThresholdAt: number | undefined;
}

export class ThresholdWindow {
  readonly threshold: number;
  readonly windowMs: number;
  readonly maxKeys: number;
  readonly #keys = new Map<string, KeyState>();

  constructor(options: ThresholdWindowOptions) {
    this.threshold = options.threshold;
    this.windowMs = options.windowMs;
    this.maxKeys = options.maxKeys ?? 10_000;
    if (!Number.isInteger(this.threshold) || this.threshold < 1 || this.threshold > 100_000) {
      throw new PortcullisError('config.invalid', { detail: 'threshold rule: threshold must be an integer from 1 to 100000' });
    }
    if (!Number.isInteger(this.windowMs) || this.windowMs < 1 || this.windowMs > 7 * 86_400_000) {
      throw new PortcullisError('config.invalid', { detail: 'threshold rule: windowMs must be an integer from 1 to 7 days' });
    }
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) throw new PortcullisError('config.invalid', { detail: 'threshold rule: maxKeys must be a positive integer' });
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#keys.size;
  }

  /** Counts one occurrence for `key`; returns the crossing when it opens an incident, else undefined. */
  record(key: string, now: number = Date.now()): ThresholdCrossing | undefined {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { times: [], atThresholdAt: undefined };
      if (this.#keys.size >= this.maxKeys) this.#evictOne(now);
    } else {
      // Re-inserted so the map's order is least recently seen first.
      this.#keys.delete(key);
    }
    this.#keys.set(key, state);
    const horizon = now - this.windowMs;
    const times = state.times;
    while (times.length > 0 && (times[0] as number) <= horizon) times.shift();
    times.push(now);
    if (times.length > this.threshold) times.shift();
    if (state.atThresholdAt !== undefined && state.atThresholdAt <= horizon) state.atThresholdAt = undefined;
    if (times.length < this.threshold) return undefined;
    const opens = state.atThresholdAt === undefined;
    state.atThresholdAt = now;
    return opens ? { key, count: times.length, firstAt: times[0] as number } : undefined;
  }

  /** Drops the least recently seen key, preferring one with no open incident. */
  #evictOne(now: number): void {
    const horizon = now - this.windowMs;
    let scanned = 0;
    for (const [key, state] of this.#keys) {
      if (state.atThresholdAt === undefined || state.atThresholdAt <= horizon) {
        this.#keys.delete(key);
        return;
      }
      if (++scanned >= 64) break;
    }
    const oldest = this.#keys.keys().next();
    if (oldest.done !== true) this.#keys.delete(oldest.value);
  }
}
