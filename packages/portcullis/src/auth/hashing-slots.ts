import { availableParallelism } from 'node:os';

/**
 * Caps how many password hashes run at once. argon2 and bcrypt run on libuv's thread pool, off
 * the event loop, but they still need a CPU: with more hashes in flight than spare cores, the
 * event-loop thread queues for its time slice behind them and every request slows, not just the
 * logins. One core is left to the event loop (at least one hash always runs); waiting callers
 * queue here, in order, without blocking anything.
 */
export class HashingSlots {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number = Math.max(1, availableParallelism() - 1)) {
    this.#limit = limit;
  }

  /** Runs `work` when a slot is free. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running += 1;
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next === undefined) this.#running -= 1;
      else next();
    }
  }

  get limit(): number {
    return this.#limit;
  }

  /** Hashes running and waiting (for metrics and tests). */
  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }
}

/** The process-wide slots every password hash and verification goes through. */
export const passwordHashingSlots = new HashingSlots();
