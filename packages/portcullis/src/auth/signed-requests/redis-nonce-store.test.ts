import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPortcullisError } from '../../errors/index.js';
import { redisForTests } from '../../ratelimit/redis/redis-for-tests.test-helpers.js';
import { RedisNonceStore } from './nonce-store.js';
import { signRequest } from './sign-request.js';
import { createSignedRequestVerifier } from './verify-signed-request.js';

// Unreachable Redis: the shared helper prints its banner (or throws under CI=true); say what else is skipped.
const redis = await redisForTests();
if (redis === undefined) console.error('!! ...and the RedisNonceStore (signed requests) tests are skipped too.\n');

const nonce = () => randomBytes(16).toString('base64url');

describe('RedisNonceStore against Redis', { skip: redis === undefined && 'Redis unreachable' }, () => {
  after(() => redis?.close());

  it('answers true the first time and false while the key lives, per scope', async () => {
    const store = new RedisNonceStore({ client: redis!.client, prefix: redis!.prefix('nonce') });
    const n = nonce();
    assert.equal(await store.claim('key_1', n, 60_000), true);
    assert.equal(await store.claim('key_1', n, 60_000), false);
    assert.equal(await store.claim('key_2', n, 60_000), true);
    assert.equal(await store.claim('key_1', nonce(), 60_000), true);
  });

  it('writes one key tagged on the scope, expiring after the ttl', async () => {
    const prefix = redis!.prefix('nonce');
    const store = new RedisNonceStore({ client: redis!.client, prefix });
    const n = nonce();
    await store.claim('key_{1}', n, 60_000);
    const key = `${prefix}{key_%7B1%7D}:${n}`;
    assert.equal(await redis!.client.get(key), '1');
    const ttl = await redis!.client.pTTL(key);
    assert.ok(ttl > 55_000 && ttl <= 60_000, `pttl ${ttl}`);
    assert.deepEqual(await redis!.client.keys(`${prefix}*`), [key]);
  });

  it('forgets a nonce once its ttl has passed', async () => {
    const store = new RedisNonceStore({ client: redis!.client, prefix: redis!.prefix('nonce') });
    const n = nonce();
    assert.equal(await store.claim('key_1', n, 50), true);
    assert.equal(await store.claim('key_1', n, 50), false);
    await sleep(150);
    assert.equal(await store.claim('key_1', n, 50), true);
  });

  it('lets exactly one of 50 concurrent claims of one nonce win, across five connections', async () => {
    const prefix = redis!.prefix('nonce');
    const clients = await Promise.all(Array.from({ length: 5 }, () => redis!.connect()));
    const stores = clients.map((client) => new RedisNonceStore({ client, prefix }));
    const n = nonce();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % stores.length]!.claim('key_1', n, 60_000)));
    assert.equal(answers.filter((answer) => answer === true).length, 1);
    assert.equal(answers.filter((answer) => answer === false).length, 49);
  });

  it('backs a verifier shared by two instances: a request replayed to the other is refused', async () => {
    const prefix = redis!.prefix('nonce');
    const secret = randomBytes(32);
    const a = createSignedRequestVerifier({ nonces: new RedisNonceStore({ client: redis!.client, prefix }) });
    const b = createSignedRequestVerifier({ nonces: new RedisNonceStore({ client: await redis!.connect(), prefix }) });
    const request = { method: 'DELETE', pathWithQuery: '/v1/keys/k_7?force=1', body: undefined };
    const input = { secret, scope: 'key_1', ...request, header: signRequest({ secret, ...request })['portcullis-signature'] };
    await a.verify(input);
    await assert.rejects(b.verify(input), (error) => isPortcullisError(error) && error.code === 'auth.signature_replayed');
  });

  it('propagates a client error from the store, which the verifier answers with 503', async () => {
    const client = await redis!.connect();
    await client.close();
    const store = new RedisNonceStore({ client, prefix: redis!.prefix('nonce') });
    await assert.rejects(store.claim('key_1', nonce(), 1000), (error) => error instanceof Error && !isPortcullisError(error));
    const verifier = createSignedRequestVerifier({ nonces: store });
    const secret = randomBytes(32);
    const request = { method: 'GET', pathWithQuery: '/', body: undefined };
    const header = signRequest({ secret, ...request })['portcullis-signature'];
    await assert.rejects(verifier.verify({ secret, scope: 'key_1', ...request, header }), (error) => isPortcullisError(error) && error.code === 'service.unavailable');
  });
});
