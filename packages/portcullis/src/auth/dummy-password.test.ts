import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { isPortcullisError } from '../errors/index.js';
import { dummyHashVerifications, prepareDummyHash, useDummySecretForTests, verifyAgainstDummyHash } from './dummy-password.js';
import { passwordHashNeedsUpgrade, verifyPassword } from './password-hash.js';

describe('verifyAgainstDummyHash', () => {
  it('makes one argon2id hash at the current parameters and shares it, even while it is being made', async () => {
    const first = prepareDummyHash();
    assert.equal(prepareDummyHash(), first);
    const stored = await first;
    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(passwordHashNeedsUpgrade(stored), false);
  });

  it('answers false and counts each verification', async () => {
    const before = dummyHashVerifications();
    assert.equal(await verifyAgainstDummyHash('any password at all'), false);
    assert.equal(dummyHashVerifications(), before + 1);
    assert.equal(await verifyAgainstDummyHash('another one', { pepper: 'pepper' }), false);
    assert.equal(dummyHashVerifications(), before + 2);
  });

  it("answers false even for the dummy's own secret, which a real verify would accept", async () => {
    const stored = await useDummySecretForTests('the dummy secret');
    assert.equal(await verifyPassword(stored, 'the dummy secret'), true);
    const before = dummyHashVerifications();
    assert.equal(await verifyAgainstDummyHash('the dummy secret'), false);
    assert.equal(dummyHashVerifications(), before + 1);
  });

  it('applies the same pepper rules as verifyPassword: an empty pepper is a configuration error', async () => {
    const before = dummyHashVerifications();
    await assert.rejects(
      verifyAgainstDummyHash('password', { pepper: '' }),
      (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid',
    );
    assert.equal(dummyHashVerifications(), before);
  });
});
