import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { newApiKey } from './api-key-format.js';
import { hashApiKey, sameApiKeyHash } from './api-key-hash.js';

const secret = randomBytes(32);

describe('hashApiKey', () => {
  it('is HMAC-SHA256 base64url under the secret, never the key itself', () => {
    const { key } = newApiKey('live');
    const hash = hashApiKey(secret, key);
    assert.equal(hash, createHmac('sha256', secret).update(key).digest('base64url'));
    assert.match(hash, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(hashApiKey(secret, key), hash);
    assert.notEqual(hashApiKey(randomBytes(32), key), hash);
    assert.notEqual(hashApiKey(secret, newApiKey('live').key), hash);
    assert.ok(!hash.includes(key.slice(8, 16)));
  });

  it('refuses a secret shorter than 32 bytes', () => {
    const { key } = newApiKey('test');
    for (const weak of ['short', randomBytes(31), 'x'.repeat(31)]) assert.throws(() => hashApiKey(weak, key), { code: 'config.invalid' });
    assert.doesNotThrow(() => hashApiKey('x'.repeat(32), key));
  });
});

describe('sameApiKeyHash', () => {
  it('answers true only for equal non-empty hashes', () => {
    const { key } = newApiKey('live');
    const hash = hashApiKey(secret, key);
    assert.equal(sameApiKeyHash(hash, hashApiKey(secret, key)), true);
    assert.equal(sameApiKeyHash(hash, hashApiKey(secret, newApiKey('live').key)), false);
    assert.equal(sameApiKeyHash(hash, hash.slice(1)), false);
    assert.equal(sameApiKeyHash('', ''), false);
  });
});
