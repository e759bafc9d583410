import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HOTP, Secret, TOTP } from 'otpauth';
import { isPortcullisError } from '../../errors/index.js';
import { newTotpSecret, totpKeyUri, totpStepAt, verifyTotp } from './totp.js';

/** RFC 6238 appendix B, SHA-1 rows: the ASCII secret "12345678901234567890", eight digits. */
const RFC_SECRET = '12345678901234567890';
const RFC_VECTORS: readonly [seconds: number, code: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];
const RFC_SECRET_BASE32 = Secret.fromLatin1(RFC_SECRET).base32;

function codeAt(secretBase32: string, step: number): string {
  return HOTP.generate({ secret: Secret.fromBase32(secretBase32), counter: step, digits: 6 });
}

describe('TOTP against RFC 6238', () => {
  it('otpauth generates the RFC 6238 SHA-1 test vectors', () => {
    assert.equal(RFC_SECRET_BASE32, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    for (const [seconds, code] of RFC_VECTORS) {
      const generated = TOTP.generate({ secret: Secret.fromLatin1(RFC_SECRET), algorithm: 'SHA1', digits: 8, period: 30, timestamp: seconds * 1000 });
      assert.equal(generated, code, `T=${seconds}`);
    }
  });

  it('verifyTotp accepts the six-digit form of each vector (its last six digits) at its time', () => {
    for (const [seconds, code] of RFC_VECTORS) {
      const check = verifyTotp(RFC_SECRET_BASE32, code.slice(2), { now: seconds * 1000 });
      assert.deepEqual(check, { ok: true, step: Math.floor(seconds / 30) }, `T=${seconds}`);
    }
  });
});

describe('newTotpSecret and totpKeyUri', () => {
  it('makes distinct 160-bit base32 secrets', () => {
    const secrets = new Set(Array.from({ length: 100 }, () => newTotpSecret()));
    assert.equal(secrets.size, 100);
    for (const secret of secrets) {
      assert.match(secret, /^[A-Z2-7]{32}$/);
      assert.equal(Secret.fromBase32(secret).bytes.length, 20);
    }
  });

  it('builds an otpauth:// key URI with issuer, account, SHA1, 6 digits, 30 s', () => {
    const secret = newTotpSecret();
    const uri = new URL(totpKeyUri(secret, { issuer: 'Portcullis Demo', accountName: 'ada@example.com' }));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), '/Portcullis Demo:ada@example.com');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('issuer'), 'Portcullis Demo');
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
  });

  it('encodes hostile account names instead of letting them add parameters', () => {
    const secret = newTotpSecret();
    const uri = new URL(totpKeyUri(secret, { issuer: 'Portcullis', accountName: 'x?secret=AAAA&issuer=Evil#' }));
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('issuer'), 'Portcullis');
    assert.equal(uri.hash, '');
  });

  it('refuses an issuer with a colon, empty labels and a corrupt secret', () => {
    const secret = newTotpSecret();
    assert.throws(() => totpKeyUri(secret, { issuer: 'Evil:Corp', accountName: 'a@b.c' }), { code: 'config.invalid' });
    assert.throws(() => totpKeyUri(secret, { issuer: '', accountName: 'a@b.c' }), { code: 'config.invalid' });
    assert.throws(() => totpKeyUri(secret, { issuer: 'P', accountName: '' }), { code: 'request.bad_request' });
    assert.throws(() => totpKeyUri(secret, { issuer: 'P', accountName: 'a'.repeat(257) }), { code: 'request.bad_request' });
    assert.throws(() => totpKeyUri('not base32!', { issuer: 'P', accountName: 'a@b.c' }), { code: 'storage.secret_unreadable' });
  });
});

describe('verifyTotp', () => {
  const secret = newTotpSecret();
  const step = 57_000_000;
  const stepStart = step * 30_000;
  const code = codeAt(secret, step);

  it('accepts the current code and answers its step', () => {
    assert.equal(totpStepAt(stepStart + 29_999), step);
    assert.deepEqual(verifyTotp(secret, code, { now: stepStart + 10_000 }), { ok: true, step });
  });

  it('accepts one step either side and nothing beyond (window edges)', () => {
    // The code for `step` as time moves past it: good through the end of the next step.
    assert.deepEqual(verifyTotp(secret, code, { now: stepStart + 30_000 }), { ok: true, step });
    assert.deepEqual(verifyTotp(secret, code, { now: stepStart + 59_999 }), { ok: true, step });
    assert.deepEqual(verifyTotp(secret, code, { now: stepStart + 60_000 }), { ok: false });
    // And before it: good from the start of the previous step (a fast client clock).
    assert.deepEqual(verifyTotp(secret, code, { now: stepStart - 30_000 }), { ok: true, step });
    assert.deepEqual(verifyTotp(secret, code, { now: stepStart - 30_001 }), { ok: false });
  });

  it('refuses a replayed code: a step at or before the last used one', () => {
    const first = verifyTotp(secret, code, { now: stepStart, lastUsedStep: step - 1 });
    assert.deepEqual(first, { ok: true, step });
    assert.deepEqual(verifyTotp(secret, code, { now: stepStart + 1000, lastUsedStep: step }), { ok: false });
    assert.deepEqual(verifyTotp(secret, code, { now: stepStart + 1000, lastUsedStep: step + 1 }), { ok: false });
    assert.deepEqual(verifyTotp(secret, codeAt(secret, step + 1), { now: stepStart + 31_000, lastUsedStep: step }), { ok: true, step: step + 1 });
  });

  it('refuses the previous step’s code once the current step has been used, even inside the window', () => {
    const previous = codeAt(secret, step - 1);
    assert.equal(verifyTotp(secret, previous, { now: stepStart, lastUsedStep: null }).ok, true);
    assert.deepEqual(verifyTotp(secret, previous, { now: stepStart, lastUsedStep: step }), { ok: false });
  });

  it('fails closed on a nonsensical last used step', () => {
    assert.deepEqual(verifyTotp(secret, code, { now: stepStart, lastUsedStep: Number.NaN }), { ok: false });
  });

  it('refuses a wrong code and a code for another secret', () => {
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const others = [codeAt(secret, step - 1), codeAt(secret, step + 1)];
    if (!others.includes(wrong)) assert.deepEqual(verifyTotp(secret, wrong, { now: stepStart }), { ok: false });
    const stranger = codeAt(newTotpSecret(), step);
    if (![code, ...others].includes(stranger)) assert.deepEqual(verifyTotp(secret, stranger, { now: stepStart }), { ok: false });
  });

  it('refuses anything but six ASCII digits before touching the secret', () => {
    for (const bad of ['', '12345', '1234567', ' 123456', '123456 ', '12345a', '12 345', '١٢٣٤٥٦', '１２３４５６', '123456\n', '+12345', '1e5000']) {
      // A corrupt secret would throw if it were read: the shape check must come first.
      assert.deepEqual(verifyTotp('corrupt', bad, { now: stepStart }), { ok: false }, JSON.stringify(bad));
    }
    assert.deepEqual(verifyTotp(secret, 123456 as unknown as string, { now: stepStart }), { ok: false });
    assert.deepEqual(verifyTotp(secret, `${code}${code}`, { now: stepStart }), { ok: false });
  });

  it('throws storage.secret_unreadable, without quoting it, for a corrupt stored secret', () => {
    assert.throws(
      () => verifyTotp('SECRET-MATERIAL-1!', '123456'),
      (error: unknown) => isPortcullisError(error) && error.code === 'storage.secret_unreadable' && !(error.detail ?? '').includes('SECRET-MATERIAL'),
    );
    assert.throws(() => verifyTotp('ABCDEFGH', '123456'), { code: 'storage.secret_unreadable' });
  });

  it('never accepts a step outside the window or not after the last used step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 100_000_000 }),
        fc.integer({ min: -3, max: 3 }),
        fc.option(fc.integer({ min: 0, max: 100_000_003 }), { nil: null }),
        fc.integer({ min: 0, max: 29_999 }),
        (current, offset, lastUsedStep, within) => {
          const presented = codeAt(secret, current + offset);
          const check = verifyTotp(secret, presented, { now: current * 30_000 + within, lastUsedStep });
          if (check.ok) {
            assert.ok(Math.abs(check.step - current) <= 1);
            assert.ok(lastUsedStep === null || check.step > lastUsedStep);
            assert.equal(codeAt(secret, check.step), presented);
          } else {
            assert.ok(Math.abs(offset) > 1 || (lastUsedStep !== null && current + offset <= lastUsedStep));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
