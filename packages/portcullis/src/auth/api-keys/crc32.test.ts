import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { crc32 } from './crc32.js';

/** zlib's own CRC-32 of `text`, read from the trailer of a gzip member (RFC 1952). */
function zlibCrc32(text: string): number {
  const member = gzipSync(Buffer.from(text, 'latin1'));
  return member.readUInt32LE(member.length - 8);
}

describe('crc32', () => {
  it('matches the published check values', () => {
    assert.equal(crc32('123456789'), 0xcbf43926);
    assert.equal(crc32(''), 0);
    assert.equal(crc32('The quick brown fox jumps over the lazy dog'), 0x414fa339);
  });

  it('agrees with zlib on any ASCII text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 200 }), (text) => {
        assert.equal(crc32(text), zlibCrc32(text));
      }),
    );
  });
});
