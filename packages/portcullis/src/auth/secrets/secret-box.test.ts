import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { isPortcullisError } from '../../errors/index.js';
import { createSecretBox, newSecretBoxKey } from './secret-box.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const unreadable = { code: 'storage.secret_unreadable' };
const invalidConfig = { code: 'config.invalid' };

/** Flips one bit of one base64url part of a sealed value, keeping it canonical. */
function flipBit(sealed: string, partIndex: number, byteIndex = 0): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[partIndex] as string, 'base64url');
  bytes[byteIndex] = (bytes[byteIndex] as number) ^ 0x01;
  parts[partIndex] = bytes.toString('base64url');
  return parts.join('.');
}

describe('createSecretBox', () => {
  const box = createSecretBox({ keys: [{ id: 'a', key: keyA }], current: 'a' });

  it('opens what it seals, text or bytes, with and without associated data', () => {
    assert.equal(box.openText(box.seal('JBSWY3DPEHPK3PXP', 'user-1'), 'user-1'), 'JBSWY3DPEHPK3PXP');
    const bytes = randomBytes(100);
    assert.deepEqual(box.open(box.seal(bytes)), bytes);
    assert.equal(box.openText(box.seal('')), '');
  });

  it('writes v1.<keyId>.<iv>.<ciphertext>.<tag> with a 96-bit IV and a 128-bit tag', () => {
    const parts = box.seal('secret').split('.');
    assert.equal(parts.length, 5);
    assert.equal(parts[0], 'v1');
    assert.equal(parts[1], 'a');
    assert.equal(Buffer.from(parts[2] as string, 'base64url').length, 12);
    assert.equal(Buffer.from(parts[3] as string, 'base64url').length, 6);
    assert.equal(Buffer.from(parts[4] as string, 'base64url').length, 16);
    assert.ok(!box.seal('secret').includes('secret'));
  });

  it('uses a fresh IV for every seal', () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 2000; i++) ivs.add(box.seal('same').split('.')[2] as string);
    assert.equal(ivs.size, 2000);
  });

  it('refuses a tampered IV, ciphertext or tag', () => {
    const sealed = box.seal('a secret worth stealing', 'user-1');
    for (const part of [2, 3, 4]) {
      assert.throws(() => box.open(flipBit(sealed, part), 'user-1'), unreadable, `part ${part}`);
    }
    assert.throws(() => box.open(flipBit(sealed, 3, 22), 'user-1'), unreadable);
  });

  it('refuses a truncated tag or a swapped ciphertext', () => {
    const one = box.seal('first secret!').split('.');
    const two = box.seal('other secret!').split('.');
    assert.throws(() => box.open([...one.slice(0, 4), (one[4] as string).slice(0, 16)].join('.')), unreadable);
    assert.throws(() => box.open([one[0], one[1], one[2], two[3], one[4]].join('.')), unreadable);
  });

  it('refuses the wrong associated data, including none', () => {
    const sealed = box.seal('secret', 'user-1');
    assert.throws(() => box.open(sealed, 'user-2'), unreadable);
    assert.throws(() => box.open(sealed), unreadable);
    assert.throws(() => box.open(box.seal('secret'), 'user-1'), unreadable);
  });

  it('authenticates the key id: relabelling a value for another ring key does not open it', () => {
    const ring = createSecretBox({ keys: [{ id: 'a', key: keyA }, { id: 'b', key: keyA }], current: 'a' });
    const sealed = ring.seal('secret');
    assert.equal(ring.openText(sealed), 'secret');
    assert.throws(() => ring.open(sealed.replace(/^v1\.a\./, 'v1.b.')), unreadable);
  });

  it('refuses a value sealed under a key id not in the ring, and says so without echoing data', () => {
    const other = createSecretBox({ keys: [{ id: 'b', key: keyB }], current: 'b' });
    const sealed = other.seal('do-not-leak', 'user-1');
    assert.throws(
      () => box.open(sealed, 'user-1'),
      (error: unknown) => isPortcullisError(error) && error.code === 'storage.secret_unreadable' && /not in the ring/.test(error.detail ?? '') && !(error.detail ?? '').includes('user-1'),
    );
    assert.throws(() => box.needsReseal(sealed), unreadable);
  });

  it('refuses malformed values', () => {
    const sealed = box.seal('secret');
    const [, , iv, ct, tag] = sealed.split('.');
    for (const bad of [
      '',
      'v1',
      'v1.a',
      `v2.a.${iv}.${ct}.${tag}`,
      `v1.a.${iv}.${ct}.${tag}.x`,
      `v1.a.${iv}=.${ct}.${tag}`,
      `v1.a.${iv}.${ct}.${tag}+`,
      `v1.a.${(iv as string).slice(1)}.${ct}.${tag}`,
      `v1.a/b.${iv}.${ct}.${tag}`,
      `v1.a.${iv}.${'A'.repeat(300_000)}.${tag}`,
    ]) {
      assert.throws(() => box.open(bad), unreadable, bad.slice(0, 60));
    }
    assert.throws(() => box.open(undefined as unknown as string), unreadable);
  });

  it('never throws anything but storage.secret_unreadable on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), (input, aad) => {
        assert.throws(() => box.open(input, aad), unreadable);
      }),
    );
  });

  it('round-trips arbitrary bytes and associated data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.string(), (plaintext, aad) => {
        assert.deepEqual(new Uint8Array(box.open(box.seal(plaintext, aad), aad)), plaintext);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses bytes that are not UTF-8 when opened as text', () => {
    assert.throws(() => box.openText(box.seal(Buffer.from([0xff, 0xfe, 0x80]))), unreadable);
  });
});

describe('secret box key rotation', () => {
  it('opens old values under the old key, seals new ones under the current key, and flags old ones', () => {
    const before = createSecretBox({ keys: [{ id: 'k1', key: keyA }], current: 'k1' });
    const old = before.seal('totp-secret', 'user-1');
    const after = createSecretBox({ keys: [{ id: 'k1', key: keyA }, { id: 'k2', key: keyB }], current: 'k2' });
    assert.equal(after.currentKeyId, 'k2');
    assert.equal(after.openText(old, 'user-1'), 'totp-secret');
    assert.equal(after.needsReseal(old), true);
    const resealed = after.seal(after.open(old, 'user-1'), 'user-1');
    assert.equal(resealed.split('.')[1], 'k2');
    assert.equal(after.needsReseal(resealed), false);
    assert.equal(before.needsReseal(old), false);
    assert.throws(() => before.open(resealed, 'user-1'), unreadable);
  });

  it('accepts keys as base64 and base64url text', () => {
    const text = newSecretBoxKey();
    assert.equal(Buffer.from(text, 'base64url').length, 32);
    const fromUrl = createSecretBox({ keys: [{ id: 'x', key: text }], current: 'x' });
    const fromStd = createSecretBox({ keys: [{ id: 'x', key: Buffer.from(text, 'base64url').toString('base64') }], current: 'x' });
    assert.equal(fromStd.openText(fromUrl.seal('same key')), 'same key');
  });

  it('refuses a bad key ring at construction', () => {
    for (const options of [
      { keys: [], current: 'a' },
      { keys: [{ id: 'a', key: randomBytes(31) }], current: 'a' },
      { keys: [{ id: 'a', key: randomBytes(33) }], current: 'a' },
      { keys: [{ id: 'a', key: 'correct horse battery staple 123' }], current: 'a' },
      { keys: [{ id: 'a', key: randomBytes(32).toString('hex') }], current: 'a' },
      { keys: [{ id: 'a', key: randomBytes(24).toString('base64') }], current: 'a' },
      { keys: [{ id: 'a.b', key: keyA }], current: 'a.b' },
      { keys: [{ id: '', key: keyA }], current: '' },
      { keys: [{ id: 'x'.repeat(33), key: keyA }], current: 'x'.repeat(33) },
      { keys: [{ id: 'a:b', key: keyA }], current: 'a:b' },
      { keys: [{ id: 'a', key: keyA }, { id: 'a', key: keyB }], current: 'a' },
      { keys: [{ id: 'a', key: keyA }], current: 'b' },
      { keys: [{ id: 'a', key: keyA }], current: '__proto__' },
    ]) {
      assert.throws(() => createSecretBox(options), invalidConfig, JSON.stringify(options.keys.map((k) => k.id)));
    }
    assert.throws(() => createSecretBox(undefined as never), invalidConfig);
  });

  it('does not keep a reference to the caller’s key buffer', () => {
    const key = Buffer.from(keyA);
    const box = createSecretBox({ keys: [{ id: 'a', key }], current: 'a' });
    const sealed = box.seal('secret');
    key.fill(0);
    assert.equal(box.openText(sealed), 'secret');
  });
});
