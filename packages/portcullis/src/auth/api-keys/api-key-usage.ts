import { PortcullisError } from '../../errors/index.js';

/**
 * Per-key usage (A8: "last used", per-route daily counts for quotas and billing), counted in memory
 * and written in batches. A write per request would put a storage round trip on the hot path and
 * turn every hot key into a contended row; a batch every few seconds costs one write per
 * (key, route, day) seen. Nothing is dropped: a batch the sink refuses is merged back and retried
 * with the next one, and a full buffer flushes early instead of discarding.
 */

export interface ApiKeyUsageCount {
  readonly keyId: string;
  readonly route: string;
  /** UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly count: number;
}

export interface ApiKeyUsageBatch {
  readonly counts: readonly ApiKeyUsageCount[];
  /** The latest use of each key in the batch, epoch ms. */
  readonly lastUsed: readonly { readonly keyId: string; readonly at: number }[];
}

export interface ApiKeyUsageRecorderOptions {
  /** Writes one batch (add the counts, keep the later lastUsed). A rejection keeps the batch for the next flush. */
  readonly sink: (batch: ApiKeyUsageBatch) => Promise<void>;
  /**
   * Distinct (key, route, day) entries held before an early flush: 1 to 10,000,000. Default 100,000.
   * While the sink is down the buffer grows past it (early flushes back off for a second after a
   * failure): usage is billing data, so it is kept, not dropped.
   */
  readonly maxPending?: number;
  /** Where failures of background flushes go. Default: a process warning. */
  readonly onError?: (error: unknown) => void;
}

export const DEFAULT_MAX_PENDING_USAGE = 100_000;
const MAX_MAX_PENDING_USAGE = 10_000_000;
const DAY_MS = 86_400_000;
/** The Date range; beyond it there is no day to count in. */
const MAX_EPOCH_MS = 8.64e15;
/** After an early flush fails, the next waits this long: a down sink is not retried per request. */
const EARLY_FLUSH_BACKOFF_MS = 1000;

interface Pending {
  readonly counts: Map<string, { keyId: string; route: string; day: string; count: number }>;
  readonly lastUsed: Map<string, number>;
}

function emptyPending(): Pending {
  return { counts: new Map(), lastUsed: new Map() };
}

function warn(error: unknown): void {
  process.emitWarning(`API key usage flush failed: ${error instanceof Error ? error.message : String(error)}`, 'PortcullisWarning');
}

/**
 * Counts API key use in memory and hands it to `sink` in batches.
 *
 * @example
 * const usage = new ApiKeyUsageRecorder({ sink: (batch) => apiKeyStore.addUsage(batch), onError: log.error });
 * usage.start(5000);
 * usage.record(verified.key.id, 'GET /v1/orders', Date.now());
 * await usage.close(); // at shutdown
 */
export class ApiKeyUsageRecorder {
  private pending = emptyPending();
  private readonly sink: (batch: ApiKeyUsageBatch) => Promise<void>;
  private readonly maxPending: number;
  private readonly onError: (error: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private background: Promise<void> | undefined;
  private earlyFlushAfter = 0;
  private dayStart = Number.NaN;
  private dayText = '';

  constructor(options: ApiKeyUsageRecorderOptions) {
    if (typeof options?.sink !== 'function') throw new PortcullisError('config.invalid', { detail: 'API key usage: sink must be a function' });
    const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_USAGE;
    if (!Number.isSafeInteger(maxPending) || maxPending < 1 || maxPending > MAX_MAX_PENDING_USAGE) {
      throw new PortcullisError('config.invalid', { detail: `API key usage: maxPending must be an integer from 1 to ${MAX_MAX_PENDING_USAGE}` });
    }
    this.sink = options.sink;
    this.maxPending = maxPending;
    this.onError = options.onError ?? warn;
  }

  /** Distinct (key, route, day) entries waiting for the next flush. */
  get pendingEntries(): number {
    return this.pending.counts.size;
  }

  /** Counts one use of `keyId` on `route` at `at` (epoch ms). */
  record(keyId: string, route: string, at: number): void {
    if (!Number.isFinite(at) || Math.abs(at) > MAX_EPOCH_MS) throw new PortcullisError('config.invalid', { detail: 'API key usage: at must be epoch milliseconds' });
    this.add(this.pending, keyId, route, this.utcDay(at), 1);
    this.touch(this.pending, keyId, at);
    if (this.pending.counts.size >= this.maxPending && Date.now() >= this.earlyFlushAfter) this.flushInBackground(true);
  }

  /** Hands everything counted so far to the sink; if it throws, keeps it all and rethrows. */
  async flush(): Promise<void> {
    const batch = this.pending;
    if (batch.counts.size === 0 && batch.lastUsed.size === 0) return;
    this.pending = emptyPending();
    try {
      await this.sink({
        counts: [...batch.counts.values()].map(({ keyId, route, day, count }) => ({ keyId, route, day, count })),
        lastUsed: [...batch.lastUsed].map(([keyId, at]) => ({ keyId, at })),
      });
    } catch (error) {
      for (const { keyId, route, day, count } of batch.counts.values()) this.add(this.pending, keyId, route, day, count);
      for (const [keyId, at] of batch.lastUsed) this.touch(this.pending, keyId, at);
      throw error;
    }
  }

  /** Flushes every `intervalMs` (10 to 3,600,000) on a timer that does not keep the process alive. */
  start(intervalMs: number): void {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 10 || intervalMs > 3_600_000) {
      throw new PortcullisError('config.invalid', { detail: 'API key usage: intervalMs must be an integer from 10 to 3600000' });
    }
    if (this.timer !== undefined) throw new PortcullisError('config.invalid', { detail: 'API key usage: the recorder is already started' });
    this.timer = setInterval(() => this.flushInBackground(false), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer, waits for a background flush, and flushes what is left (rethrowing its failure). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.background;
    await this.flush();
  }

  /** One background flush at a time: while one runs, new work waits for the next. */
  private flushInBackground(early: boolean): void {
    if (this.background !== undefined) return;
    this.background = this.flush()
      .catch((error: unknown) => {
        if (early) this.earlyFlushAfter = Date.now() + EARLY_FLUSH_BACKOFF_MS;
        try {
          this.onError(error);
        } catch {
          // An onError that throws must not become an unhandled rejection.
        }
      })
      .finally(() => {
        this.background = undefined;
      });
  }

  private add(into: Pending, keyId: string, route: string, day: string, count: number): void {
    const id = JSON.stringify([keyId, route, day]);
    const entry = into.counts.get(id);
    if (entry === undefined) into.counts.set(id, { keyId, route, day, count });
    else entry.count += count;
  }

  private touch(into: Pending, keyId: string, at: number): void {
    const latest = into.lastUsed.get(keyId);
    if (latest === undefined || at > latest) into.lastUsed.set(keyId, at);
  }

  /** `YYYY-MM-DD` in UTC, remembered for the current day so the hot path allocates no Date. */
  private utcDay(at: number): string {
    const start = at - (((at % DAY_MS) + DAY_MS) % DAY_MS);
    if (start !== this.dayStart) {
      this.dayStart = start;
      this.dayText = new Date(start).toISOString().slice(0, 10);
    }
    return this.dayText;
  }
}
