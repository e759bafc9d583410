import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newApiKey } from './api-key-format.js';
import { hashApiKey } from './api-key-hash.js';
import { createApiKeyVerifier, type ApiKeyLookup, type ApiKeyVerifierOptions, type StoredApiKey } from './api-key-verifier.js';

const NOW = Date.UTC(2025, 0, 1);
const secret = randomBytes(32);

/** An in-memory store that counts its lookups, can be made to fail, and answers when released. */
class MemoryLookup implements ApiKeyLookup {
  readonly rows = new Map<string, StoredApiKey>();
  calls = 0;
  failWith: unknown = undefined;
  gate: Promise<void> | undefined = undefined;

  add(key: string, overrides: Partial<StoredApiKey> = {}): StoredApiKey {
    const keyHash = hashApiKey(secret, key);
    const row: StoredApiKey = {
      id: 'key-1', userId: 'user-1', name: 'ci', scopes: ['orders:read'], keyHash,
      expiresAt: undefined, secretExpiresAt: undefined, revokedAt: undefined, rateLimit: undefined, quota: undefined,
      ...overrides,
    };
    this.rows.set(keyHash, row);
    return row;
  }

  update(key: string, changes: Partial<StoredApiKey>): void {
    const keyHash = hashApiKey(secret, key);
    this.rows.set(keyHash, { ...(this.rows.get(keyHash) as StoredApiKey), ...changes });
  }

  async findByHash(keyHash: string): Promise<StoredApiKey | undefined> {
    this.calls += 1;
    if (this.gate !== undefined) await this.gate;
    if (this.failWith !== undefined) throw this.failWith;
    return this.rows.get(keyHash);
  }
}

function setUp(options: Partial<ApiKeyVerifierOptions> = {}) {
  let ms = NOW;
  const lookup = new MemoryLookup();
  const verifier = createApiKeyVerifier({ lookup, hashSecret: secret, now: () => ms, ...options });
  return { lookup, verifier, advance: (by: number) => (ms += by) };
}

async function refusedWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: { code?: string }) => {
    assert.equal(error.code, code);
    return true;
  });
}

describe('createApiKeyVerifier', () => {
  it('verifies a stored key and returns its row and scopes', async () => {
    const { lookup, verifier } = setUp();
    const { key } = newApiKey('live');
    const row = lookup.add(key, { scopes: ['orders:read', 'orders:write'] });
    const verified = await verifier.verify(key);
    assert.equal(verified.key, row);
    assert.deepEqual([...verified.scopes], ['orders:read', 'orders:write']);
    assert.equal(verifier.lookups, 1);
    assert.equal(verifier.cachedKeys, 1);
  });

  it('refuses malformed keys and bad checksums without a lookup', async () => {
    const { lookup, verifier } = setUp();
    const { key } = newApiKey('live');
    lookup.add(key);
    const badChecksum = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    for (const bad of ['', 'pk_live_short', 'eyJhbGciOiJIUzI1NiJ9.e30.x', badChecksum, `${key} `]) {
      await refusedWith(verifier.verify(bad), 'auth.api_key_invalid');
      // The cache is keyed by the exact text of keys storage knew: a malformed key is a miss there.
      assert.equal(verifier.verifyCached(bad), undefined);
    }
    assert.equal(verifier.lookups, 0);
    assert.equal(lookup.calls, 0);
  });

  it('refuses an unknown key, and does not cache it', async () => {
    const { lookup, verifier } = setUp();
    const { key } = newApiKey('test');
    await refusedWith(verifier.verify(key), 'auth.api_key_invalid');
    await refusedWith(verifier.verify(key), 'auth.api_key_invalid');
    assert.equal(lookup.calls, 2);
    assert.equal(verifier.cachedKeys, 0);
  });

  it('refuses a row whose hash does not match the key (a store that matched loosely)', async () => {
    const { lookup, verifier } = setUp();
    const { key } = newApiKey('live');
    const row = lookup.add(key);
    lookup.rows.set(row.keyHash, { ...row, keyHash: row.keyHash.toUpperCase() });
    await refusedWith(verifier.verify(key), 'auth.api_key_invalid');
    assert.equal(verifier.cachedKeys, 0);
  });

  it('refuses a revoked key as invalid, from storage and from the cache', async () => {
    const { lookup, verifier, advance } = setUp();
    const { key } = newApiKey('live');
    lookup.add(key, { revokedAt: NOW + 1000 });
    assert.ok(await verifier.verify(key));
    advance(1000);
    assert.throws(() => verifier.verifyCached(key), { code: 'auth.api_key_invalid' });
    await refusedWith(verifier.verify(key), 'auth.api_key_invalid');
    assert.equal(lookup.calls, 1);

    const { key: revoked } = newApiKey('live');
    lookup.add(revoked, { revokedAt: NOW - 1 });
    await refusedWith(verifier.verify(revoked), 'auth.api_key_invalid');
  });

  it('refuses an expired key as expired, also on a cache hit', async () => {
    const { lookup, verifier, advance } = setUp();
    const { key } = newApiKey('live');
    lookup.add(key, { expiresAt: NOW + 500 });
    assert.ok(await verifier.verify(key));
    advance(499);
    assert.ok(verifier.verifyCached(key));
    advance(1);
    assert.throws(() => verifier.verifyCached(key), { code: 'auth.api_key_expired' });
    await refusedWith(verifier.verify(key), 'auth.api_key_expired');
    assert.equal(lookup.calls, 1);
  });

  it('accepts a rotated-out secret until secretExpiresAt, then refuses it as expired', async () => {
    const { lookup, verifier, advance } = setUp({ cacheTtlMs: 0 });
    const { key: oldKey } = newApiKey('live');
    const { key: newKey } = newApiKey('live');
    lookup.add(newKey, { id: 'key-1' });
    lookup.add(oldKey, { id: 'key-1', secretExpiresAt: NOW + 60_000 });
    assert.equal((await verifier.verify(oldKey)).key.id, 'key-1');
    advance(59_999);
    assert.equal((await verifier.verify(oldKey)).key.id, 'key-1');
    advance(1);
    await refusedWith(verifier.verify(oldKey), 'auth.api_key_expired');
    assert.equal((await verifier.verify(newKey)).key.id, 'key-1');
  });

  it('answers a repeat from the cache with no lookup, for cacheTtlMs', async () => {
    const { lookup, verifier, advance } = setUp({ cacheTtlMs: 5000 });
    const { key } = newApiKey('live');
    lookup.add(key);
    assert.equal(verifier.verifyCached(key), undefined);
    const first = await verifier.verify(key);
    advance(4999);
    assert.equal(verifier.verifyCached(key), first);
    assert.equal(await verifier.verify(key), first);
    assert.equal(lookup.calls, 1);
    lookup.update(key, { revokedAt: NOW });
    advance(1);
    assert.equal(verifier.verifyCached(key), undefined);
    await refusedWith(verifier.verify(key), 'auth.api_key_invalid');
    assert.equal(lookup.calls, 2);
  });

  it('forget(id) drops every cached secret of that key, so the next call looks up', async () => {
    const { lookup, verifier } = setUp();
    const { key: a } = newApiKey('live');
    const { key: b } = newApiKey('live');
    const { key: other } = newApiKey('live');
    lookup.add(a, { id: 'key-1' });
    lookup.add(b, { id: 'key-1', secretExpiresAt: NOW + 10_000 });
    lookup.add(other, { id: 'key-2' });
    await Promise.all([verifier.verify(a), verifier.verify(b), verifier.verify(other)]);
    assert.equal(verifier.cachedKeys, 3);
    lookup.update(a, { revokedAt: NOW });
    verifier.forget('key-1');
    assert.equal(verifier.cachedKeys, 1);
    assert.equal(verifier.verifyCached(a), undefined);
    assert.ok(verifier.verifyCached(other));
    await refusedWith(verifier.verify(a), 'auth.api_key_invalid');
    assert.equal(lookup.calls, 4);
  });

  it('does not cache a lookup that began before forget(id)', async () => {
    const { lookup, verifier } = setUp();
    const { key } = newApiKey('live');
    lookup.add(key);
    let release = (): void => {};
    lookup.gate = new Promise((resolve) => (release = resolve));
    const pending = verifier.verify(key);
    verifier.forget('key-1');
    release();
    assert.ok(await pending);
    assert.equal(verifier.cachedKeys, 0);
  });

  it('shares one lookup among 100 concurrent verifications of one key', async () => {
    const { lookup, verifier } = setUp();
    const { key } = newApiKey('live');
    lookup.add(key);
    const results = await Promise.all(Array.from({ length: 100 }, () => verifier.verify(key)));
    assert.equal(lookup.calls, 1);
    assert.equal(verifier.lookups, 1);
    assert.ok(results.every((result) => result === results[0]));
  });

  it('propagates a lookup error unchanged, to every waiter, and caches nothing', async () => {
    const { lookup, verifier } = setUp();
    const { key } = newApiKey('live');
    lookup.add(key);
    const outage = new Error('connection refused');
    lookup.failWith = outage;
    const settled = await Promise.allSettled([verifier.verify(key), verifier.verify(key)]);
    for (const result of settled) assert.deepEqual(result, { status: 'rejected', reason: outage });
    assert.equal(lookup.calls, 1);
    assert.equal(verifier.cachedKeys, 0);
    lookup.failWith = undefined;
    assert.ok(await verifier.verify(key));
    assert.equal(lookup.calls, 2);
  });

  it('propagates an error thrown synchronously by the lookup', async () => {
    const outage = new Error('pool closed');
    const verifier = createApiKeyVerifier({ lookup: { findByHash: () => { throw outage; } }, hashSecret: secret });
    const { key } = newApiKey('live');
    await assert.rejects(verifier.verify(key), outage);
    await assert.rejects(verifier.verify(key), outage);
    assert.equal(verifier.lookups, 2);
  });

  it('keeps at most cacheSize keys, giving way oldest first', async () => {
    const { lookup, verifier } = setUp({ cacheSize: 2 });
    const keys = [newApiKey('live').key, newApiKey('live').key, newApiKey('live').key];
    keys.forEach((key, i) => lookup.add(key, { id: `key-${i}` }));
    for (const key of keys) await verifier.verify(key);
    assert.equal(verifier.cachedKeys, 2);
    assert.equal(verifier.verifyCached(keys[0] as string), undefined);
    assert.ok(verifier.verifyCached(keys[2] as string));
    verifier.forget('key-0');
    assert.equal(verifier.cachedKeys, 2);
  });

  it('with cacheSize 0 or cacheTtlMs 0 looks up every time', async () => {
    for (const options of [{ cacheSize: 0 }, { cacheTtlMs: 0 }]) {
      const { lookup, verifier } = setUp(options);
      const { key } = newApiKey('live');
      lookup.add(key);
      await verifier.verify(key);
      await verifier.verify(key);
      assert.equal(lookup.calls, 2);
      assert.equal(verifier.cachedKeys, 0);
    }
  });

  it('refuses bad options as config.invalid', () => {
    const lookup = new MemoryLookup();
    const bad: Partial<ApiKeyVerifierOptions>[] = [
      { cacheTtlMs: -1 }, { cacheTtlMs: 60_001 }, { cacheTtlMs: 1.5 }, { cacheTtlMs: Number.NaN },
      { cacheSize: -1 }, { cacheSize: 1_000_001 }, { cacheSize: 0.5 },
      { hashSecret: 'too short' }, { lookup: {} as ApiKeyLookup },
    ];
    for (const options of bad) {
      assert.throws(() => createApiKeyVerifier({ lookup, hashSecret: secret, ...options }), { code: 'config.invalid' }, JSON.stringify(options));
    }
    assert.doesNotThrow(() => createApiKeyVerifier({ lookup, hashSecret: secret, cacheTtlMs: 60_000, cacheSize: 1_000_000 }));
  });
});

describe('createApiKeyVerifier: the cache holds key texts no longer than their lifetime', () => {
  it('sweeps entries past the lifetime when a new key is remembered', async () => {
    const { lookup, verifier, advance } = setUp({ cacheTtlMs: 1000 });
    const first = newApiKey('live').key;
    const second = newApiKey('live').key;
    lookup.add(first, { id: 'key-a' });
    lookup.add(second, { id: 'key-b' });
    await verifier.verify(first);
    assert.equal(verifier.cachedKeys, 1);
    advance(1500);
    await verifier.verify(second);
    assert.equal(verifier.cachedKeys, 1, 'the first key, past its lifetime, was swept');
    assert.equal(verifier.verifyCached(first), undefined);
  });
});
