/**
 * CRC-32 (IEEE 802.3, the polynomial zlib and PNG use) for the checksum at the end of an API key.
 * Written here because `zlib.crc32` arrived only in Node 22. A CRC is not a security check: it
 * lets a parser and a secret scanner tell a real key from a typo or a look-alike without any
 * storage, and it catches every single-character change and every adjacent swap, since both are
 * bursts shorter than 32 bits.
 */

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32 of the low byte of each UTF-16 code unit of `text`, as an unsigned 32-bit number. For the
 * ASCII text it is meant for, that is the CRC-32 of the text's bytes.
 *
 * @example
 * crc32('123456789'); // 0xcbf43926
 */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc = (TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
