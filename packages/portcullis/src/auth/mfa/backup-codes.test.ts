import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { BACKUP_CODE_COUNT, hashBackupCode, matchBackupCode, newBackupCodes, normaliseBackupCode } from './backup-codes.js';

const secret = randomBytes(32);
const DISPLAY = /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/;

describe('newBackupCodes', () => {
  it('makes ten distinct codes shown as abcde-fghij, with one stored hash each', () => {
    const { codes, hashes } = newBackupCodes(secret);
    assert.equal(codes.length, BACKUP_CODE_COUNT);
    assert.equal(new Set(codes).size, 10);
    assert.equal(new Set(hashes).size, 10);
    for (const [index, code] of codes.entries()) {
      assert.match(code, DISPLAY);
      assert.equal(hashes[index], hashBackupCode(code, secret));
      assert.match(hashes[index] as string, /^[A-Za-z0-9_-]{43}$/);
      assert.ok(!(hashes[index] as string).includes(code.replace('-', '')));
    }
  });

  it('draws every one of the 32 symbols (5 bits a character, 50 bits a code)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) for (const code of newBackupCodes(secret).codes) for (const char of code.replace('-', '')) seen.add(char);
    assert.equal(seen.size, 32);
    for (const ambiguous of ['i', 'l', 'o', 'u']) assert.ok(!seen.has(ambiguous));
  });

  it('refuses a short secret and a silly count', () => {
    assert.throws(() => newBackupCodes(randomBytes(31)), { code: 'config.invalid' });
    assert.throws(() => newBackupCodes('too short'), { code: 'config.invalid' });
    assert.throws(() => newBackupCodes(secret, 0), { code: 'config.invalid' });
    assert.throws(() => newBackupCodes(secret, 1.5), { code: 'config.invalid' });
    assert.equal(newBackupCodes('s'.repeat(32), 3).codes.length, 3);
  });
});

describe('normaliseBackupCode', () => {
  it('ignores case, dashes and spaces, and reads i/l as 1 and o as 0', () => {
    assert.equal(normaliseBackupCode('abcde-fgh1j'), 'abcdefgh1j');
    assert.equal(normaliseBackupCode(' ABCDE FGH1J '), 'abcdefgh1j');
    assert.equal(normaliseBackupCode('ab-cd-ef-gh-1j'), 'abcdefgh1j');
    assert.equal(normaliseBackupCode('abcde-fghIj'), 'abcdefgh1j');
    assert.equal(normaliseBackupCode('abcde-fghLj'), 'abcdefgh1j');
    assert.equal(normaliseBackupCode('Oabcd-efghj'), '0abcdefghj');
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'abcde', 'abcde-fghijk', 'abcde-fghuj', 'abcde_fghij', 'abcde-fgh!j', 'ábcde-fghij', '-'.repeat(40) + 'abcdefghjk' + ' '.repeat(20)]) {
      assert.equal(normaliseBackupCode(bad), undefined, bad);
    }
    assert.equal(normaliseBackupCode(42 as unknown as string), undefined);
  });

  it('answers undefined or ten alphabet characters, for any input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (input) => {
        const normalised = normaliseBackupCode(input);
        assert.ok(normalised === undefined || /^[0-9a-hjkmnp-tv-z]{10}$/.test(normalised));
      }),
    );
  });
});

describe('matchBackupCode', () => {
  const { codes, hashes } = newBackupCodes(secret);

  it('answers the index of each code, however it is typed', () => {
    for (const [index, code] of codes.entries()) {
      assert.equal(matchBackupCode(code, hashes, secret), index);
      assert.equal(matchBackupCode(code.toUpperCase().replace('-', ' '), hashes, secret), index);
      assert.equal(matchBackupCode(code.replace('-', ''), hashes, secret), index);
    }
  });

  it('is single-use once the caller removes the matched entry', () => {
    const stored = [...hashes];
    const index = matchBackupCode(codes[3] as string, stored, secret);
    assert.equal(index, 3);
    stored.splice(index, 1);
    assert.equal(matchBackupCode(codes[3] as string, stored, secret), -1);
    assert.equal(matchBackupCode(codes[4] as string, stored, secret), 3);
  });

  it('answers -1 for a wrong code, another user’s code, or the wrong secret', () => {
    assert.equal(matchBackupCode('zzzzz-zzzzz', hashes, secret), -1);
    assert.equal(matchBackupCode(newBackupCodes(secret).codes[0] as string, hashes, secret), -1);
    assert.equal(matchBackupCode(codes[0] as string, hashes, randomBytes(32)), -1);
    assert.equal(matchBackupCode(codes[0] as string, [], secret), -1);
  });

  it('answers -1 for hostile input without hashing it, and survives junk stored entries', () => {
    for (const bad of ['', 'x'.repeat(1_000_000), '123456', `${codes[0]}\u0000`, `${codes[0]};drop table`]) {
      assert.equal(matchBackupCode(bad, hashes, secret), -1);
    }
    const junk = ['', 'short', undefined as unknown as string, 'A'.repeat(43), hashes[5] as string];
    assert.equal(matchBackupCode(codes[5] as string, junk, secret), 4);
  });

  it('answers the first index when a hash is stored twice (every entry is still compared)', () => {
    assert.equal(matchBackupCode(codes[2] as string, [hashes[2] as string, hashes[1] as string, hashes[2] as string], secret), 0);
  });

  it('matches any typed variant of a code and nothing that differs in a symbol', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
        fc.array(fc.constantFrom('', '', '-', ' ', '  '), { minLength: 11, maxLength: 11 }),
        fc.integer({ min: 0, max: 9 }),
        (which, upper, separators, position) => {
          const plain = (codes[which] as string).replace('-', '');
          const typed = [...plain].map((char, i) => (separators[i] ?? '') + (upper[i] ? char.toUpperCase() : char)).join('') + (separators[10] ?? '');
          assert.equal(matchBackupCode(typed, hashes, secret), which);
          const swapped = plain.slice(0, position) + (plain[position] === 'z' ? 'y' : 'z') + plain.slice(position + 1);
          assert.equal(matchBackupCode(swapped, [hashes[which] as string], secret), -1);
        },
      ),
    );
  });
});
