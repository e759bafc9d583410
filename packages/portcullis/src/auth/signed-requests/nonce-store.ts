import { PortcullisError } from '../../errors/index.js';

/**
 * Where signed-request nonces (A9) are remembered, so a captured request cannot be sent again
 * while its timestamp is still accepted. One process can use MemoryNonceStore; several instances
 * behind a load balancer need the shared RedisNonceStore, or a replay sent to another instance
 * gets through. Both answer from one atomic step (a Map update on one thread, one SET NX), so of
 * many concurrent claims of one nonce exactly one wins. Neither ever answers "first use" when it
 * cannot be sure: a full memory store and a failing Redis throw instead.
 */

export interface NonceStore {
  /** true the first time (keyed per credential), false when seen within ttl */
  claim(scope: string, nonce: string, ttlMs: number): Promise<boolean>;
}

const MAX_SCOPE_LENGTH = 256;
const MAX_NONCE_LENGTH = 128;
const MAX_TTL_MS = 86_400_000;

function checkClaim(scope: unknown, nonce: unknown, ttlMs: unknown): void {
  const valid =
    typeof scope === 'string' && scope.length > 0 && scope.length <= MAX_SCOPE_LENGTH &&
    typeof nonce === 'string' && nonce.length > 0 && nonce.length <= MAX_NONCE_LENGTH &&
    Number.isSafeInteger(ttlMs) && (ttlMs as number) > 0 && (ttlMs as number) <= MAX_TTL_MS;
  if (!valid) {
    throw new PortcullisError('config.invalid', { detail: 'nonce store: scope is 1-256 characters, nonce 1-128, ttlMs an integer from 1 to 86,400,000' });
  }
}

export interface MemoryNonceStoreOptions {
  /** Most nonces held at once. Default 1,000,000 (roughly 150 MB of heap when full). */
  readonly capacity?: number;
  /** How often a timer drops expired nonces. Default 30,000 ms; the timer never keeps the process alive. */
  readonly sweepIntervalMs?: number;
  /** Clock in epoch milliseconds, for tests. Default Date.now. */
  readonly now?: () => number;
}

/**
 * Nonces in this process's memory, each dropped once its ttl has passed. The store is bounded by
 * `capacity`, and when it is full of nonces still inside their window it refuses new claims with
 * `service.unavailable` (503) instead of evicting: forgetting a live nonce would let its request
 * be replayed, and a brief outage is the lesser harm. Only requests whose HMAC verified ever
 * reach the store, so filling it takes signing secrets, not just traffic. With the verifier's
 * default nonce ttl (601 s), the default capacity covers about 1,600 signed requests a second.
 */
export class MemoryNonceStore implements NonceStore {
  // Insertion order is close to expiry order (one verifier uses one ttl), so expired entries
  // gather at the front, where each claim trims them; the timer catches the rest.
  readonly #entries = new Map<string, number>();
  readonly #capacity: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #lastFullSweep = Number.NEGATIVE_INFINITY;

  /**
   * @example
   * const nonces = new MemoryNonceStore({ capacity: 200_000 });
   * const verifier = createSignedRequestVerifier({ nonces });
   */
  constructor(options: MemoryNonceStoreOptions = {}) {
    this.#capacity = options.capacity ?? 1_000_000;
    this.#now = options.now ?? Date.now;
    const sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
    if (!Number.isSafeInteger(this.#capacity) || this.#capacity < 1 || !Number.isSafeInteger(sweepIntervalMs) || sweepIntervalMs < 100) {
      throw new PortcullisError('config.invalid', { detail: 'nonce store: capacity must be a positive integer and sweepIntervalMs an integer >= 100' });
    }
    this.#timer = setInterval(() => this.sweep(), sweepIntervalMs);
    this.#timer.unref();
  }

  /**
   * Claims `nonce` for `scope` for `ttlMs`. Throws `service.unavailable` when the store is full
   * of live nonces, and `config.invalid` for an empty or oversized scope or nonce.
   *
   * @example
   * if (!(await nonces.claim(keyId, nonce, 600_000))) refuseAsReplay();
   */
  async claim(scope: string, nonce: string, ttlMs: number): Promise<boolean> {
    checkClaim(scope, nonce, ttlMs);
    const now = this.#now();
    this.#trimFront(now);
    // Length-prefixing the scope keeps ("ab", "c...") and ("a", "bc...") apart.
    const key = `${scope.length}:${scope}${nonce}`;
    const expiresAt = this.#entries.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    if (expiresAt !== undefined) this.#entries.delete(key);
    else if (this.#entries.size >= this.#capacity && !this.#roomAfterSweep(now)) {
      throw new PortcullisError('service.unavailable', { detail: 'nonce store: full of nonces still inside their window' });
    }
    this.#entries.set(key, now + ttlMs);
    return true;
  }

  /** Drops every expired nonce now (the timer does this every `sweepIntervalMs`). */
  sweep(): void {
    const now = this.#now();
    this.#lastFullSweep = now;
    for (const [key, expiresAt] of this.#entries) if (expiresAt <= now) this.#entries.delete(key);
  }

  /** Nonces held, expired or not (for metrics and tests). */
  get size(): number {
    return this.#entries.size;
  }

  /** Stops the sweep timer; claims still work and expire lazily. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #trimFront(now: number): void {
    for (const [key, expiresAt] of this.#entries) {
      if (expiresAt > now) return;
      this.#entries.delete(key);
    }
  }

  // A full sweep is O(size); at most one a second when full, so a flood of claims cannot turn
  // every refusal into a walk over a million entries.
  #roomAfterSweep(now: number): boolean {
    if (now - this.#lastFullSweep >= 1000) this.sweep();
    return this.#entries.size < this.#capacity;
  }
}

/**
 * The one Redis command a RedisNonceStore sends, as a structural type that a node-redis v5
 * client (`createClient()` or `createCluster()`) satisfies as it is, so the library never
 * imports 'redis' at runtime.
 */
export interface NonceRedisClient {
  set(key: string, value: string, options: { condition: 'NX'; expiration: { type: 'PX'; value: number } }): Promise<unknown>;
}

export interface RedisNonceStoreOptions {
  readonly client: NonceRedisClient;
  /** Prepended to every key; no braces. Default `pc:nonce:`. */
  readonly prefix?: string;
}

/** Escapes `%`, `{` and `}` so a scope can neither end its hash tag early nor start another. */
function hashTag(scope: string): string {
  return scope.replace(/[%{}]/g, (char) => (char === '%' ? '%25' : char === '{' ? '%7B' : '%7D'));
}

/**
 * Nonces in Redis, shared by every instance: one `SET <prefix>{<scope>}:<nonce> 1 NX PX <ttl>`
 * per claim, answered atomically by Redis, the key expiring on its own. The scope is the key's
 * hash tag, so on Redis Cluster one credential's nonces live on one node. Errors from the client
 * propagate unchanged (the verifier turns them into a 503); nothing is ever assumed unseen.
 */
export class RedisNonceStore implements NonceStore {
  readonly #client: NonceRedisClient;
  readonly #prefix: string;

  /**
   * @example
   * const client = await createClient({ url: process.env.REDIS_URL }).connect();
   * const nonces = new RedisNonceStore({ client, prefix: 'api:nonce:' });
   */
  constructor(options: RedisNonceStoreOptions) {
    const prefix = options.prefix ?? 'pc:nonce:';
    if (typeof options.client?.set !== 'function' || typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      throw new PortcullisError('config.invalid', { detail: 'nonce store: needs a node-redis client and a key prefix without { or }' });
    }
    this.#client = options.client;
    this.#prefix = prefix;
  }

  /**
   * Claims `nonce` for `scope` for `ttlMs`; rejects with the client's error when Redis fails.
   *
   * @example
   * if (!(await nonces.claim(keyId, nonce, 600_000))) refuseAsReplay();
   */
  async claim(scope: string, nonce: string, ttlMs: number): Promise<boolean> {
    checkClaim(scope, nonce, ttlMs);
    const key = `${this.#prefix}{${hashTag(scope)}}:${nonce}`;
    const reply = await this.#client.set(key, '1', { condition: 'NX', expiration: { type: 'PX', value: ttlMs } });
    if (reply === 'OK') return true;
    if (reply === null) return false;
    throw new PortcullisError('service.unavailable', { detail: 'nonce store: unexpected reply from Redis to SET NX' });
  }
}
