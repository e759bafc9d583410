/**
 * E3: some events repeat by the thousand during an attack (every refused request of a flood).
 * Each is still logged and counted, but only the first per key and interval goes to the audit
 * trail, so a flood cannot turn into a flood of rows. Bounded: the least recently admitted key
 * is forgotten first.
 */
export class RepeatGate {
  readonly #lastAdmitted = new Map<string, number>();

  constructor(
    readonly intervalMs: number = 60_000,
    readonly maxKeys: number = 10_000,
  ) {}

  /** True for the first occurrence of `key` in each interval. */
  admits(key: string, now: number = Date.now()): boolean {
    const last = this.#lastAdmitted.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.#lastAdmitted.delete(key);
    if (this.#lastAdmitted.size >= this.maxKeys) {
      const oldest = this.#lastAdmitted.keys().next();
      if (oldest.done !== true) this.#lastAdmitted.delete(oldest.value);
    }
    this.#lastAdmitted.set(key, now);
    return true;
  }
}
