import { PortcullisError } from '../../errors/index.js';
import { assertHashSecret, type HashSecret } from '../secrets/keyed-hash.js';
import { parseApiKey } from './api-key-format.js';
import { hashApiKey, sameApiKeyHash } from './api-key-hash.js';

/**
 * Turns a presented API key into the stored key it opens (A8), at the cost of a map lookup for a
 * key seen in the last few seconds. Order of work: the shape and checksum (junk never reaches
 * storage), the keyed hash, the cache, then one storage lookup shared by every concurrent request
 * for the same key. Revocation and expiry are checked on every call, cache hits included.
 *
 * The cache holds what storage said, for `cacheTtlMs` (default 5 s) from the moment the lookup
 * began: that bounds how late a revocation made on another instance is seen; `forget(keyId)`
 * makes it immediate on this one. It is keyed by the presented key itself, so a hit costs no
 * checksum and no HMAC: `npm run bench:instructions` measured the keyed hash at ~27k instructions,
 * 10% of the bench's whole request, when the cache was keyed by it. The price is that a verified
 * key's text stays in memory while its entry lives (entries past the lifetime are swept whenever
 * a new key is remembered); the process holds APP_SECRET anyway, so a heap dump was never safe.
 * Only keys that storage knew enter, and a hit needs the exact string of one. Bounded: at
 * capacity the oldest entry gives way. Unknown keys are not cached (they cannot fill it); a lookup
 * that fails is not cached either, and its error reaches the caller unchanged.
 */

export interface StoredApiKey {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly scopes: readonly string[];
  /** The hash of the secret that matched the lookup. */
  readonly keyHash: string;
  /** Epoch ms; the key's expiry. */
  readonly expiresAt: number | undefined;
  /** Epoch ms; set on a rotated-out secret, which keeps working until then (grace). */
  readonly secretExpiresAt: number | undefined;
  /** Epoch ms. */
  readonly revokedAt: number | undefined;
  readonly rateLimit: { readonly limit: number; readonly windowSeconds: number } | undefined;
  readonly quota: { readonly daily?: number; readonly monthly?: number } | undefined;
}

export interface ApiKeyLookup {
  /** The key (or rotated-out secret) whose stored hash is `keyHash`, if any. */
  findByHash(keyHash: string): Promise<StoredApiKey | undefined>;
}

export interface VerifiedApiKey {
  readonly key: StoredApiKey;
  readonly scopes: ReadonlySet<string>;
}

export interface ApiKeyVerifierOptions {
  lookup: ApiKeyLookup;
  /** The server secret keys are hashed under: at least 32 bytes. */
  hashSecret: HashSecret;
  /** How long storage's answer is trusted: 0 to 60,000 ms. Default 5000; 0 turns the cache off. */
  cacheTtlMs?: number;
  /** Keys remembered at most: 0 to 1,000,000. Default 10,000; 0 turns the cache off. */
  cacheSize?: number;
  /** Clock in epoch milliseconds, for tests. Default Date.now. */
  now?: () => number;
}

export interface ApiKeyVerifier {
  /** Synchronous answer from the cache when there is one (undefined = ask verify, malformed keys included). Throws like verify for a cached key that is now expired or revoked. */
  verifyCached(key: string): VerifiedApiKey | undefined;
  verify(key: string): Promise<VerifiedApiKey>;
  /** Drops every cached entry of this key id (revoke/rotate on this instance, or a pub/sub message from another). */
  forget(keyId: string): void;
  /** Storage lookups made so far. */
  readonly lookups: number;
  readonly cachedKeys: number;
}

export const DEFAULT_API_KEY_CACHE_TTL_MS = 5000;
export const MAX_API_KEY_CACHE_TTL_MS = 60_000;
export const DEFAULT_API_KEY_CACHE_SIZE = 10_000;
export const MAX_API_KEY_CACHE_SIZE = 1_000_000;

interface CacheEntry {
  readonly verified: VerifiedApiKey;
  readonly fetchedAt: number;
}

function boundedInteger(value: number | undefined, fallback: number, max: number, what: string): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < 0 || chosen > max) {
    throw new PortcullisError('config.invalid', { detail: `API key verifier: ${what} must be an integer from 0 to ${max}` });
  }
  return chosen;
}

/** An instant that is set and not in the future. Anything set but not a number counts as reached. */
function reached(at: number | undefined, now: number): boolean {
  return at !== undefined && at !== null && !(at > now);
}

function admit(verified: VerifiedApiKey, now: number): VerifiedApiKey {
  const { revokedAt, expiresAt, secretExpiresAt } = verified.key;
  if (reached(revokedAt, now)) throw new PortcullisError('auth.api_key_invalid', { detail: 'the API key is not valid' });
  if (reached(expiresAt, now)) throw new PortcullisError('auth.api_key_expired', { detail: 'the API key has expired' });
  if (reached(secretExpiresAt, now)) {
    throw new PortcullisError('auth.api_key_expired', { detail: 'the API key was rotated and its old secret has expired' });
  }
  return verified;
}

/**
 * A verifier over `lookup`. One per process: the cache and the shared lookups live in it.
 *
 * @example
 * const apiKeys = createApiKeyVerifier({ lookup: apiKeyStore, hashSecret: config.apiKeyHashSecret });
 * const { key, scopes } = apiKeys.verifyCached(bearer) ?? (await apiKeys.verify(bearer));
 * requireScopes(scopes, ['orders:read']);
 */
export function createApiKeyVerifier(options: ApiKeyVerifierOptions): ApiKeyVerifier {
  const { lookup, hashSecret } = options;
  if (typeof lookup?.findByHash !== 'function') {
    throw new PortcullisError('config.invalid', { detail: 'API key verifier: lookup must have a findByHash function' });
  }
  assertHashSecret(hashSecret, 'API key verifier');
  const ttlMs = boundedInteger(options.cacheTtlMs, DEFAULT_API_KEY_CACHE_TTL_MS, MAX_API_KEY_CACHE_TTL_MS, 'cacheTtlMs');
  const capacity = ttlMs === 0 ? 0 : boundedInteger(options.cacheSize, DEFAULT_API_KEY_CACHE_SIZE, MAX_API_KEY_CACHE_SIZE, 'cacheSize');
  const now = options.now ?? Date.now;

  // Keyed by the presented key's text.
  const cache = new Map<string, CacheEntry>();
  const keysById = new Map<string, Set<string>>();
  const inFlight = new Map<string, Promise<VerifiedApiKey | undefined>>();
  // Bumped by forget(): a lookup that began before it may have read the row it was about.
  let forgets = 0;
  let lookups = 0;

  function drop(text: string): void {
    const entry = cache.get(text);
    if (entry === undefined) return;
    cache.delete(text);
    const id = entry.verified.key.id;
    const texts = keysById.get(id);
    texts?.delete(text);
    if (texts?.size === 0) keysById.delete(id);
  }

  /** Drops entries from the oldest while they are past the lifetime (insertion order is about fetch order). */
  function sweep(at: number): void {
    for (const [text, entry] of cache) {
      if (at >= entry.fetchedAt && at - entry.fetchedAt < ttlMs) return;
      drop(text);
    }
  }

  function remember(text: string, verified: VerifiedApiKey, fetchedAt: number): void {
    if (capacity === 0) return;
    drop(text);
    sweep(now());
    // Map iteration starts with the oldest insertion.
    const oldest = cache.size >= capacity ? cache.keys().next() : undefined;
    if (oldest !== undefined && oldest.done !== true) drop(oldest.value);
    cache.set(text, { verified, fetchedAt });
    const texts = keysById.get(verified.key.id);
    if (texts === undefined) keysById.set(verified.key.id, new Set([text]));
    else texts.add(text);
  }

  function fresh(text: string, at: number): CacheEntry | undefined {
    const entry = cache.get(text);
    if (entry === undefined) return undefined;
    const age = at - entry.fetchedAt;
    if (age >= 0 && age < ttlMs) return entry;
    drop(text);
    return undefined;
  }

  function lookUp(text: string, hash: string): Promise<VerifiedApiKey | undefined> {
    const pending = inFlight.get(hash);
    if (pending !== undefined) return pending;
    const generation = forgets;
    const fetchedAt = now();
    lookups += 1;
    const found = Promise.resolve()
      .then(() => lookup.findByHash(hash))
      .then((stored) => {
        // Defence in depth: a store that matched loosely (case, prefix, collation) is not trusted.
        if (stored === undefined || stored === null || !sameApiKeyHash(stored.keyHash, hash)) return undefined;
        const verified: VerifiedApiKey = { key: stored, scopes: new Set(stored.scopes) };
        if (generation === forgets) remember(text, verified, fetchedAt);
        return verified;
      })
      .finally(() => inFlight.delete(hash));
    inFlight.set(hash, found);
    return found;
  }

  function hashOf(key: string): string {
    parseApiKey(key);
    return hashApiKey(hashSecret, key);
  }

  return {
    verifyCached(key) {
      // A miss, a malformed key included, is for verify(), which parses and refuses.
      if (typeof key !== 'string') return undefined;
      const at = now();
      const entry = fresh(key, at);
      return entry === undefined ? undefined : admit(entry.verified, at);
    },
    async verify(key) {
      const entry = typeof key === 'string' ? fresh(key, now()) : undefined;
      const verified = entry?.verified ?? (await lookUp(key, hashOf(key)));
      if (verified === undefined) throw new PortcullisError('auth.api_key_invalid', { detail: 'the API key is not valid' });
      return admit(verified, now());
    },
    forget(keyId) {
      forgets += 1;
      for (const text of [...(keysById.get(keyId) ?? [])]) drop(text);
    },
    get lookups() {
      return lookups;
    },
    get cachedKeys() {
      return cache.size;
    },
  };
}
