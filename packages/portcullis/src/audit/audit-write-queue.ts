import { PortcullisError } from '../errors/index.js';

/**
 * E3: audit rows are written off the request path, in batches, and never dropped. Items wait in a
 * bounded queue and are written every `flushIntervalMs` or as soon as `maxBatch` are waiting. When
 * the queue is full, `enqueue` hands back a promise that settles once there is room: the emitter
 * waits (back-pressure) instead of the item being thrown away. A failed write keeps its batch at
 * the head of the queue and is retried with a growing delay. `close` writes what is left.
 *
 * The waiters are bounded too (`maxWaiters`, default `capacity`): an emitter that does not await
 * (`void emit(...)`) during a database outage would otherwise grow memory without end. Past that
 * bound `enqueue` refuses the item with a thrown `service.overloaded` (503) and counts it in
 * `overflowed`: never a silent loss, the caller decides (the SecurityEventBus logs the event, logs
 * the count as `audit.write_failed` and fails awaiting emitters with that error).
 */

export interface AuditWriteQueueOptions<T> {
  /** Writes one batch, in order; a rejection keeps the batch for a retry. */
  readonly write: (batch: readonly T[]) => Promise<void>;
  /** Items held before emitters have to wait. Default 10,000. */
  readonly capacity?: number;
  /** Largest batch. Default 200. */
  readonly maxBatch?: number;
  /** Longest an item waits before a partial batch is written. Default 100 ms. */
  readonly flushIntervalMs?: number;
  /** First retry delay, doubled up to `maxRetryDelayMs`. Default 100 ms. */
  readonly retryDelayMs?: number;
  /** Default 5 s. */
  readonly maxRetryDelayMs?: number;
  /** Items that may wait for room (beyond `capacity`) before `enqueue` refuses. Default `capacity`. */
  readonly maxWaiters?: number;
  /** Told of each failed write (log it); the batch stays queued. */
  readonly onWriteError?: (error: unknown, pending: number) => void;
}

interface Waiter<T> {
  readonly item: T;
  readonly admitted: () => void;
}

// Timers stay referenced: a process must not exit quietly while events wait to be written.

export class AuditWriteQueue<T> {
  readonly capacity: number;
  readonly maxBatch: number;
  readonly flushIntervalMs: number;
  readonly maxWaiters: number;
  readonly #write: (batch: readonly T[]) => Promise<void>;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #onWriteError: ((error: unknown, pending: number) => void) | undefined;
  #items: T[] = [];
  readonly #waiters: Waiter<T>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #closed = false;
  #stopRetrying = false;
  #overflowed = 0;
  #wake: (() => void) | undefined;

  constructor(options: AuditWriteQueueOptions<T>) {
    this.capacity = options.capacity ?? 10_000;
    this.maxBatch = options.maxBatch ?? 200;
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.maxWaiters = options.maxWaiters ?? this.capacity;
    this.#retryDelayMs = options.retryDelayMs ?? 100;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
    if (!(Number.isInteger(this.capacity) && this.capacity >= 1) || !(Number.isInteger(this.maxBatch) && this.maxBatch >= 1 && this.maxBatch <= this.capacity)) {
      throw new PortcullisError('config.invalid', { detail: 'audit queue: capacity >= 1 and 1 <= maxBatch <= capacity' });
    }
    if (!(Number.isInteger(this.maxWaiters) && this.maxWaiters >= 0)) throw new PortcullisError('config.invalid', { detail: 'audit queue: maxWaiters must be an integer >= 0' });
    if (!(this.flushIntervalMs >= 1) || !(this.#retryDelayMs >= 1) || !(this.#maxRetryDelayMs >= this.#retryDelayMs)) {
      throw new PortcullisError('config.invalid', { detail: 'audit queue: flushIntervalMs and retry delays must be positive' });
    }
    this.#write = options.write;
    this.#onWriteError = options.onWriteError;
  }

  /** Items not yet written, the ones waiting for room included (a gauge for metrics); at most capacity + maxWaiters. */
  get depth(): number {
    return this.#items.length + this.#waiters.length;
  }

  /** Items refused because the queue and its waiters were full (a counter; never reset). */
  get overflowed(): number {
    return this.#overflowed;
  }

  /**
   * Queues `item`. Returns undefined when it was taken at once, or a promise that resolves when it
   * has been taken (the queue was full): await it, so a flood slows down instead of losing rows.
   * Throws `service.overloaded` when `maxWaiters` items already wait (counted in `overflowed`).
   */
  enqueue(item: T): Promise<void> | undefined {
    if (this.#closed) throw new PortcullisError('service.shutting_down', { detail: 'the audit queue is closed' });
    if (this.#waiters.length >= this.maxWaiters && (this.#items.length >= this.capacity || this.#waiters.length > 0)) {
      this.#overflowed += 1;
      throw new PortcullisError('service.overloaded', { detail: 'the audit queue and its waiters are full' });
    }
    if (this.#items.length < this.capacity && this.#waiters.length === 0) {
      this.#items.push(item);
      this.#schedule();
      return undefined;
    }
    this.#schedule();
    return new Promise<void>((admitted) => this.#waiters.push({ item, admitted }));
  }

  /** Writes everything queued now (retrying failures) and resolves when it is written. */
  async flush(): Promise<void> {
    while (this.depth > 0) await this.#drain();
  }

  /**
   * Refuses new items and writes the rest. With `giveUpAfterMs`, stops retrying a failing write
   * after that long and rejects with `storage.unavailable` naming how many items were not written
   * (never a silent loss); without it, retries until the write succeeds.
   */
  async close(giveUpAfterMs?: number): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    let timer: NodeJS.Timeout | undefined;
    if (giveUpAfterMs !== undefined) {
      timer = setTimeout(() => {
        this.#stopRetrying = true;
        // A retry delay in progress must not outlast the budget: try once more now, then report.
        this.#wake?.();
      }, giveUpAfterMs).unref();
    }
    try {
      await this.flush();
    } finally {
      clearTimeout(timer);
    }
  }

  #schedule(): void {
    if (this.#draining !== undefined) return;
    if (this.#items.length >= this.maxBatch || this.#waiters.length > 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#drain();
      return;
    }
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.#drain();
      }, this.flushIntervalMs);
    }
  }

  #drain(): Promise<void> {
    this.#draining ??= this.#writeAll().finally(() => {
      this.#draining = undefined;
      if (this.depth > 0 && !this.#closed) this.#schedule();
    });
    return this.#draining;
  }

  async #writeAll(): Promise<void> {
    let delay = this.#retryDelayMs;
    while (this.#items.length > 0 || this.#waiters.length > 0) {
      this.#admitWaiters();
      const batch = this.#items.slice(0, this.maxBatch);
      try {
        await this.#write(batch);
      } catch (error) {
        this.#onWriteError?.(error, this.depth);
        if (this.#stopRetrying) {
          throw new PortcullisError('storage.unavailable', { detail: `audit trail: ${this.depth} events could not be written`, cause: error });
        }
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.#maxRetryDelayMs);
        continue;
      }
      delay = this.#retryDelayMs;
      this.#items = this.#items.slice(batch.length);
      this.#admitWaiters();
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  /** Moves waiting items into the queue, in order, as far as there is room. */
  #admitWaiters(): void {
    while (this.#waiters.length > 0 && this.#items.length < this.capacity) {
      const waiter = this.#waiters.shift() as Waiter<T>;
      this.#items.push(waiter.item);
      waiter.admitted();
    }
  }
}
