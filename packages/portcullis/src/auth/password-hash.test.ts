import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { isPortcullisError } from '../errors/index.js';
import { hashPassword, passwordHashNeedsUpgrade, verifyPassword } from './password-hash.js';

const PASSWORD = 'correct horse battery staple';

function isCode(code: string) {
  return (error: unknown) => isPortcullisError(error) && error.code === code;
}

describe('hashPassword / verifyPassword', () => {
  it('round-trips and refuses a wrong password', async () => {
    const stored = await hashPassword(PASSWORD);
    assert.equal(await verifyPassword(stored, PASSWORD), true);
    assert.equal(await verifyPassword(stored, PASSWORD + ' '), false);
    assert.equal(await verifyPassword(stored, ''), false);
  });

  it('uses argon2id at the OWASP parameters with a fresh salt each time', async () => {
    const first = await hashPassword(PASSWORD);
    const second = await hashPassword(PASSWORD);
    assert.match(first, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.notEqual(first, second);
    assert.equal(passwordHashNeedsUpgrade(first), false);
  });

  it('binds the hash to the pepper', async () => {
    const peppered = await hashPassword(PASSWORD, { pepper: 'pepper-one' });
    assert.equal(await verifyPassword(peppered, PASSWORD, { pepper: 'pepper-one' }), true);
    assert.equal(await verifyPassword(peppered, PASSWORD, { pepper: 'pepper-two' }), false);
    assert.equal(await verifyPassword(peppered, PASSWORD), false);
    const plain = await hashPassword(PASSWORD);
    assert.equal(await verifyPassword(plain, PASSWORD, { pepper: 'pepper-one' }), false);
  });

  it('refuses an empty pepper as a configuration error', async () => {
    await assert.rejects(hashPassword(PASSWORD, { pepper: '' }), isCode('config.invalid'));
  });

  it('accepts 128 characters and refuses 129, and caps multi-byte input by bytes', async () => {
    const longest = 'a'.repeat(128);
    assert.equal(await verifyPassword(await hashPassword(longest), longest), true);
    await assert.rejects(hashPassword('a'.repeat(129)), isCode('auth.password_too_long'));
    // 128 code points of a 4-byte character is 512 bytes: allowed; the byte cap is for longer forms.
    const emoji = '\u{1F511}'.repeat(128);
    assert.equal(await verifyPassword(await hashPassword(emoji), emoji), true);
    await assert.rejects(hashPassword('\u{1F511}'.repeat(300)), isCode('auth.password_too_long'));
  });

  it('refuses a huge password quickly, before hashing', async () => {
    const started = performance.now();
    await assert.rejects(hashPassword('x'.repeat(10_000_000)), isCode('auth.password_too_long'));
    assert.equal(await verifyPassword('$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB', 'x'.repeat(10_000_000)), false);
    assert.ok(performance.now() - started < 1000);
  });

  it('refuses a password that NFKC normalisation expands past the cap', async () => {
    // U+FDFA expands to 18 code points under NFKC, so 10 of them become 180 characters.
    await assert.rejects(hashPassword('\uFDFA'.repeat(10)), isCode('auth.password_too_long'));
  });

  it('verifies a password typed in another Unicode form', async () => {
    const composed = 'caf\u00e9-passphrase';
    const decomposed = 'cafe\u0301-passphrase';
    const stored = await hashPassword(composed);
    assert.equal(await verifyPassword(stored, decomposed), true);
  });

  it('answers false, not an exception, for malformed or foreign hashes', async () => {
    for (const bad of ['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$', '$2b$10$abcdefghijklmnopqrstuv', '$argon2id$garbage']) {
      assert.equal(await verifyPassword(bad, PASSWORD), false, bad);
      assert.equal(passwordHashNeedsUpgrade(bad), true, bad);
    }
  });

  it('flags hashes made with weaker parameters for upgrade', async () => {
    const { hash } = await import('@node-rs/argon2');
    const weak = await hash(PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1 });
    assert.equal(await verifyPassword(weak, PASSWORD), true);
    assert.equal(passwordHashNeedsUpgrade(weak), true);
  });
});
