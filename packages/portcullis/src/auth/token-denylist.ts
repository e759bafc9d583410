import { PortcullisError } from '../errors/index.js';

/**
 * The access-token denylist (A5): ids of revoked tokens (`jti:...`) and sessions (`sid:...`),
 * each kept until every access token it could refuse has expired anyway. Checking is a Map lookup
 * in this process, so an authenticated request never waits on a database or Redis; the shared
 * backend (the database, or Redis when configured) carries revocations between instances, which
 * pull what is new every `syncIntervalMs` (other instances refuse a revoked token at most that
 * much later; the revoking instance refuses it at once).
 */

export interface DenylistEntry {
  readonly id: string;
  /** Epoch ms. */
  readonly revokedAt: number;
  /** Epoch ms after which the entry refuses nothing that would not be refused anyway. */
  readonly expiresAt: number;
}

/** Where revocations are shared. Implementations: SQL and Redis in the server, none for one process. */
export interface DenylistBackend {
  add(entry: DenylistEntry): Promise<void>;
  /** Entries revoked at or after `since` (epoch ms) that have not expired at `now`. */
  revokedSince(since: number, now: number): Promise<readonly DenylistEntry[]>;
  /** Drops expired entries; optional. */
  prune?(now: number): Promise<void>;
}

export interface TokenDenylistOptions {
  readonly backend?: DenylistBackend;
  /** How often to pull other instances' revocations. Default 1000 ms. */
  readonly syncIntervalMs?: number;
  /**
   * How far back each pull re-reads, to catch entries written with a slightly earlier timestamp
   * (clock skew between instances, a slow commit). Default 10 s.
   */
  readonly overlapMs?: number;
  /** Called when a background pull fails; the local list keeps working. */
  readonly onSyncError?: (error: unknown) => void;
  readonly now?: () => number;
}

/** A revoked token or session id: a plain, short string. */
const SAFE_ID = /^(jti|sid):[A-Za-z0-9_-]{1,128}$/;

export class TokenDenylist {
  readonly #entries = new Map<string, number>();
  readonly #backend: DenylistBackend | undefined;
  readonly #syncIntervalMs: number;
  readonly #overlapMs: number;
  readonly #onSyncError: (error: unknown) => void;
  readonly #now: () => number;
  #cursor = 0;
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> | undefined;

  constructor(options: TokenDenylistOptions = {}) {
    this.#backend = options.backend;
    this.#syncIntervalMs = options.syncIntervalMs ?? 1000;
    this.#overlapMs = options.overlapMs ?? 10_000;
    this.#onSyncError = options.onSyncError ?? (() => undefined);
    this.#now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.#syncIntervalMs) || this.#syncIntervalMs < 10 || !Number.isSafeInteger(this.#overlapMs) || this.#overlapMs < 0) {
      throw new PortcullisError('config.invalid', { detail: 'token denylist: syncIntervalMs must be an integer >= 10 and overlapMs >= 0' });
    }
  }

  /**
   * Loads every live entry from the backend, then keeps pulling in the background. Await it at
   * start-up so a restart never forgets a revocation; if it throws (backend down), the background
   * pulls go on and load everything once the backend answers.
   *
   * @example
   * const denylist = new TokenDenylist({ backend });
   * await denylist.start();
   */
  async start(): Promise<void> {
    // The timer first: if the backend is down now, the list still catches up once it is back.
    if (this.#backend !== undefined && this.#timer === undefined) {
      this.#timer = setInterval(() => {
        this.sync().catch(this.#onSyncError);
      }, this.#syncIntervalMs);
      this.#timer.unref();
    }
    await this.sync();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * True when `id` (`jti:<id>` or `sid:<id>`) is revoked. Synchronous: a Map lookup.
   *
   * @example
   * if (denylist.isRevoked(`jti:${claims.jti}`) || denylist.isRevoked(`sid:${claims.sid}`)) refuse();
   */
  isRevoked(id: string): boolean {
    const expiresAt = this.#entries.get(id);
    if (expiresAt === undefined) return false;
    if (expiresAt > this.#now()) return true;
    this.#entries.delete(id);
    return false;
  }

  /**
   * Revokes `id` until `expiresAt` (epoch ms): refused here at once, and shared through the
   * backend. Throws `config.invalid` for an id that is not `jti:`/`sid:` and a short token.
   *
   * @example
   * await denylist.revoke(`jti:${claims.jti}`, claims.exp * 1000);
   */
  async revoke(id: string, expiresAt: number): Promise<void> {
    if (!SAFE_ID.test(id)) throw new PortcullisError('config.invalid', { detail: 'token denylist: ids are jti:<token id> or sid:<session id>' });
    const now = this.#now();
    if (expiresAt <= now) return;
    this.#remember(id, expiresAt);
    await this.#backend?.add({ id, revokedAt: now, expiresAt });
  }

  /** Pulls new entries from the backend now (start() does it on a timer). */
  sync(): Promise<void> {
    this.#syncing ??= this.#pull().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  /** Live entries held in this process (for metrics and tests). */
  get size(): number {
    return this.#entries.size;
  }

  async #pull(): Promise<void> {
    const now = this.#now();
    for (const [id, expiresAt] of this.#entries) if (expiresAt <= now) this.#entries.delete(id);
    if (this.#backend === undefined) return;
    const since = this.#cursor === 0 ? 0 : this.#cursor - this.#overlapMs;
    const entries = await this.#backend.revokedSince(since, now);
    for (const entry of entries) this.#remember(entry.id, entry.expiresAt);
    // The next pull re-reads from `overlapMs` before this one began.
    this.#cursor = now;
  }

  #remember(id: string, expiresAt: number): void {
    const known = this.#entries.get(id);
    if (known === undefined || known < expiresAt) this.#entries.set(id, expiresAt);
  }
}
