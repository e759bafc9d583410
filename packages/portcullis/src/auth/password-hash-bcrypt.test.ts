import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { hash as bcryptHash, verify as bcryptVerify } from '@node-rs/bcrypt';
import { isPortcullisError } from '../errors/index.js';
import { BCRYPT_MAX_PASSWORD_BYTES, hashPassword, passwordHashNeedsUpgrade, verifyPassword } from './password-hash.js';

const PASSWORD = 'imported from the old system';
const PEPPER = 'server-side pepper';

function isCode(code: string) {
  return (error: unknown) => isPortcullisError(error) && error.code === code;
}

describe('verifyPassword: legacy bcrypt hashes', () => {
  it('verifies $2a$, $2b$ and $2y$ hashes, refuses a wrong password, and asks for an upgrade', async () => {
    for (const version of ['2a', '2b', '2y'] as const) {
      const stored = await bcryptHash(PASSWORD, { cost: 10, version });
      assert.ok(stored.startsWith(`$${version}$10$`));
      assert.equal(await verifyPassword(stored, PASSWORD), true, version);
      assert.equal(await verifyPassword(stored, PASSWORD + '!'), false, version);
      assert.equal(await verifyPassword(stored, ''), false, version);
      assert.equal(passwordHashNeedsUpgrade(stored), true, version);
    }
  });

  it('upgrades to argon2id on login: the new hash verifies and needs no further upgrade', async () => {
    const legacy = await bcryptHash(PASSWORD, { cost: 10 });
    assert.equal(await verifyPassword(legacy, PASSWORD, { pepper: PEPPER }), true);
    assert.equal(passwordHashNeedsUpgrade(legacy), true);
    const upgraded = await hashPassword(PASSWORD, { pepper: PEPPER });
    assert.match(upgraded, /^\$argon2id\$/);
    assert.equal(passwordHashNeedsUpgrade(upgraded), false);
    assert.equal(await verifyPassword(upgraded, PASSWORD, { pepper: PEPPER }), true);
    assert.equal(await verifyPassword(upgraded, PASSWORD), false);
  });

  it('answers false for malformed bcrypt hashes and for the $2x$ and $2$ prefixes', async () => {
    const stored = await bcryptHash(PASSWORD, { cost: 10 });
    // The native verifier accepts a relabelled $2x$ hash with the standard algorithm; we do not.
    const relabelled = stored.replace(/^\$2b\$/, '$2x$');
    assert.equal(await bcryptVerify(PASSWORD, relabelled), true);
    const malformed = [
      relabelled,
      stored.replace(/^\$2b\$/, '$2$'),
      stored.slice(0, -1),
      stored + 'A',
      stored.replace('$10$', '$1x$'),
      stored.slice(0, 29) + '!'.repeat(31),
      '$2b$10$',
      '$2b$',
    ];
    for (const bad of malformed) {
      assert.equal(await verifyPassword(bad, PASSWORD), false, bad);
      assert.equal(passwordHashNeedsUpgrade(bad), true, bad);
    }
  });

  it('refuses costs below 10 and above 14 even for the right password', async () => {
    const cheap = await bcryptHash(PASSWORD, { cost: 9 });
    assert.equal(await bcryptVerify(PASSWORD, cheap), true);
    assert.equal(await verifyPassword(cheap, PASSWORD), false);
    // Cost 15 takes about two seconds to make; verifying it would take as long again per login.
    const dear = await bcryptHash(PASSWORD, { cost: 15 });
    assert.equal(await verifyPassword(dear, PASSWORD), false);
  });

  it('verifies bcrypt without the pepper: a hash of the bare password passes, a peppered one does not', async () => {
    const bare = await bcryptHash(PASSWORD, { cost: 10 });
    assert.equal(await verifyPassword(bare, PASSWORD, { pepper: PEPPER }), true);
    const pepperedInput = createHmac('sha256', PEPPER).update(PASSWORD, 'utf8').digest('base64');
    const peppered = await bcryptHash(pepperedInput, { cost: 10 });
    assert.equal(await verifyPassword(peppered, PASSWORD, { pepper: PEPPER }), false);
    await assert.rejects(verifyPassword(bare, PASSWORD, { pepper: '' }), isCode('config.invalid'));
  });

  it('keeps the caps: an over-long password is refused even where bcrypt truncation would accept it', async () => {
    const stored = await bcryptHash('a'.repeat(BCRYPT_MAX_PASSWORD_BYTES), { cost: 10 });
    const overLong = 'a'.repeat(200);
    assert.equal(await bcryptVerify(overLong, stored), true);
    assert.equal(await verifyPassword(stored, overLong), false);
  });

  it('documents the 72-byte truncation of legacy hashes, and argon2id does not inherit it', async () => {
    const prefix = 'x'.repeat(BCRYPT_MAX_PASSWORD_BYTES);
    const legacy = await bcryptHash(prefix + 'original tail', { cost: 10 });
    assert.equal(await verifyPassword(legacy, prefix + 'another tail'), true);
    for (const options of [{}, { pepper: PEPPER }]) {
      const modern = await hashPassword(prefix + 'original tail', options);
      assert.equal(await verifyPassword(modern, prefix + 'original tail', options), true);
      assert.equal(await verifyPassword(modern, prefix + 'another tail', options), false);
    }
  });

  it('verifies a legacy hash of the password as typed and of its NFKC form', async () => {
    // Full-width letters: NFKC turns them into ASCII, which the old system never did.
    const typed = '\uFF50\uFF41\uFF53\uFF53\uFF50\uFF48\uFF52\uFF41\uFF53\uFF45-\u00e9t\u00e9';
    const asTyped = await bcryptHash(typed, { cost: 10 });
    assert.equal(await verifyPassword(asTyped, typed), true);
    const normalised = await bcryptHash(typed.normalize('NFKC'), { cost: 10 });
    assert.equal(await verifyPassword(normalised, typed), true);
    // A decomposed spelling of the same characters reaches the NFKC hash through normalisation.
    assert.equal(await verifyPassword(normalised, typed.normalize('NFKD')), true);
  });
});
