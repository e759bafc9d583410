import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPortcullisError } from '../../errors/index.js';
import { MemoryNonceStore, RedisNonceStore, type NonceRedisClient } from './nonce-store.js';

const NONCE = 'n0nce_n0nce_n0nce';

function memoryStore(options: { capacity?: number } = {}) {
  const clock = { now: 1_000_000 };
  const store = new MemoryNonceStore({ ...options, now: () => clock.now });
  store.close();
  return { clock, store };
}

const coded = (code: string) => (error: unknown) => isPortcullisError(error) && error.code === code;

describe('MemoryNonceStore', () => {
  it('answers true the first time and false while the nonce is within its ttl', async () => {
    const { clock, store } = memoryStore();
    assert.equal(await store.claim('key_1', NONCE, 1000), true);
    assert.equal(await store.claim('key_1', NONCE, 1000), false);
    clock.now += 999;
    assert.equal(await store.claim('key_1', NONCE, 1000), false);
    clock.now += 1;
    assert.equal(await store.claim('key_1', NONCE, 1000), true, 'expired, so claimable again');
    assert.equal(await store.claim('key_1', NONCE, 1000), false);
  });

  it('keeps scopes apart, also where scope and nonce would concatenate alike', async () => {
    const { store } = memoryStore();
    assert.equal(await store.claim('key_1', NONCE, 1000), true);
    assert.equal(await store.claim('key_2', NONCE, 1000), true);
    assert.equal(await store.claim('ab', 'cdefghijklmnopqrs', 1000), true);
    assert.equal(await store.claim('a', 'bcdefghijklmnopqrs', 1000), true);
    assert.equal(await store.claim('abc', 'defghijklmnopqrs', 1000), true);
  });

  it('drops expired nonces lazily on claims and on sweep()', async () => {
    const { clock, store } = memoryStore();
    for (let i = 0; i < 10; i += 1) await store.claim('key_1', `${NONCE}${i}`, 1000);
    await store.claim('key_1', 'long-lived-nonce-1', 60_000);
    assert.equal(store.size, 11);
    clock.now += 1000;
    await store.claim('key_2', NONCE, 1000);
    assert.equal(store.size, 2, 'the expired front was trimmed by the claim');
    // A short-lived nonce behind a long-lived one is not at the front: sweep() finds it.
    clock.now += 1000;
    store.sweep();
    assert.equal(store.size, 1);
  });

  it('sweeps on its own timer', async () => {
    const store = new MemoryNonceStore({ sweepIntervalMs: 100 });
    try {
      await store.claim('key_1', NONCE, 20);
      assert.equal(store.size, 1);
      await sleep(350);
      assert.equal(store.size, 0);
    } finally {
      store.close();
    }
  });

  it('when full of live nonces, refuses new claims with service.unavailable and forgets none', async () => {
    const { clock, store } = memoryStore({ capacity: 3 });
    for (const n of ['nonce-a', 'nonce-b', 'nonce-c']) assert.equal(await store.claim('key_1', n, 10_000), true);
    await assert.rejects(store.claim('key_1', 'nonce-d', 10_000), (error) => coded('service.unavailable')(error) && (error as { status: number }).status === 503);
    await assert.rejects(store.claim('key_2', 'nonce-a', 10_000), coded('service.unavailable'));
    for (const n of ['nonce-a', 'nonce-b', 'nonce-c']) assert.equal(await store.claim('key_1', n, 10_000), false, 'still remembered');
    clock.now += 10_000;
    assert.equal(await store.claim('key_1', 'nonce-d', 10_000), true, 'room again once the window has passed');
  });

  it('when full, sweeps expired nonces that sit behind live ones before refusing', async () => {
    const { clock, store } = memoryStore({ capacity: 3 });
    await store.claim('key_1', 'long-lived', 60_000);
    await store.claim('key_1', 'short-1', 1000);
    await store.claim('key_1', 'short-2', 1000);
    clock.now += 1000;
    assert.equal(await store.claim('key_1', 'new-one', 1000), true);
    assert.equal(store.size, 2);
  });

  it('lets exactly one of many concurrent claims of one nonce win', async () => {
    const { store } = memoryStore();
    const answers = await Promise.all(Array.from({ length: 50 }, () => store.claim('key_1', NONCE, 1000)));
    assert.equal(answers.filter(Boolean).length, 1);
  });

  it('refuses bad configuration and bad claims as config.invalid', async () => {
    for (const options of [{ capacity: 0 }, { capacity: 1.5 }, { sweepIntervalMs: 10 }]) {
      assert.throws(() => new MemoryNonceStore(options), coded('config.invalid'));
    }
    const { store } = memoryStore();
    for (const [scope, nonce, ttl] of [['', NONCE, 1000], ['k'.repeat(257), NONCE, 1000], ['key_1', '', 1000], ['key_1', 'n'.repeat(129), 1000], ['key_1', NONCE, 0], ['key_1', NONCE, 1.5], ['key_1', NONCE, 86_400_001]] as const) {
      await assert.rejects(store.claim(scope, nonce, ttl), coded('config.invalid'));
    }
  });
});

describe('RedisNonceStore (without Redis)', () => {
  function recording(reply: unknown): NonceRedisClient & { calls: unknown[][] } {
    const calls: unknown[][] = [];
    return {
      calls,
      async set(...args) {
        calls.push(args);
        return reply;
      },
    };
  }

  it('sends one SET NX PX per claim, on a key hash-tagged on the escaped scope', async () => {
    const client = recording('OK');
    const store = new RedisNonceStore({ client, prefix: 'app:n:' });
    assert.equal(await store.claim('key_1', NONCE, 601_000), true);
    await store.claim('a{b}%c', NONCE, 5);
    assert.deepEqual(client.calls, [
      [`app:n:{key_1}:${NONCE}`, '1', { condition: 'NX', expiration: { type: 'PX', value: 601_000 } }],
      [`app:n:{a%7Bb%7D%25c}:${NONCE}`, '1', { condition: 'NX', expiration: { type: 'PX', value: 5 } }],
    ]);
    assert.equal(await new RedisNonceStore({ client: recording(null) }).claim('key_1', NONCE, 5), false);
  });

  it('never reads an unexpected reply or an error as a first use', async () => {
    await assert.rejects(new RedisNonceStore({ client: recording(1) }).claim('key_1', NONCE, 5), coded('service.unavailable'));
    const boom = new Error('READONLY You can\'t write against a read only replica.');
    const failing: NonceRedisClient = { set: () => Promise.reject(boom) };
    await assert.rejects(new RedisNonceStore({ client: failing }).claim('key_1', NONCE, 5), (error) => error === boom);
  });

  it('refuses a prefix with braces, a missing client and bad claims as config.invalid', async () => {
    assert.throws(() => new RedisNonceStore({ client: recording('OK'), prefix: 'a{b}:' }), coded('config.invalid'));
    assert.throws(() => new RedisNonceStore({ client: {} as NonceRedisClient }), coded('config.invalid'));
    await assert.rejects(new RedisNonceStore({ client: recording('OK') }).claim('', NONCE, 5), coded('config.invalid'));
  });
});
