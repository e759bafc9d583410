import { hash } from 'node:crypto';

/**
 * E3: HMAC-SHA256 (RFC 2104) for the audit chain's per-row MACs, computed from the padded key
 * blocks prepared once per key: SHA256((K ^ opad) || SHA256((K ^ ipad) || message)). The output
 * is byte for byte createHmac('sha256', key)'s (hmac-sha256.test.ts checks it over random keys
 * and messages); only the cost differs. createHmac builds a key object and a native HMAC context
 * per call (~2.5 us here, and the trail MACs every row); two one-shot `crypto.hash` calls over
 * buffers prepared in place cost ~1.2 us. The inner digest comes back as latin1 text (one char
 * per byte, so it round-trips exactly) on purpose: asking `hash` for a Buffer allocates one from
 * C++ and costs more than the text round trip, and latin1 is the cheapest text to write back.
 *
 * An instance reuses one scratch buffer per key, which is safe because `hex` is synchronous.
 */

const BLOCK = 64;
const DIGEST = 32;
const IPAD = 0x36;
const OPAD = 0x5c;
/** Scratch room for messages up to this many UTF-16 units before the buffer has to grow. */
const INITIAL_MESSAGE_UNITS = 1024;

export class HmacSha256 {
  /** (K ^ ipad) followed by the message being MACed. */
  #inner: Buffer;
  /** (K ^ opad) followed by the inner digest. */
  readonly #outer: Buffer;

  constructor(key: Uint8Array) {
    // RFC 2104: a key longer than the block is replaced by its hash; a shorter one is zero-padded.
    const block = Buffer.alloc(BLOCK);
    if (key.byteLength > BLOCK) block.set(hash('sha256', key, 'buffer'));
    else block.set(key);
    this.#inner = Buffer.allocUnsafe(BLOCK + INITIAL_MESSAGE_UNITS * 3);
    this.#outer = Buffer.allocUnsafe(BLOCK + DIGEST);
    for (let index = 0; index < BLOCK; index += 1) {
      const byte = block[index] as number;
      this.#inner[index] = byte ^ IPAD;
      this.#outer[index] = byte ^ OPAD;
    }
  }

  /** The MAC of `message` (encoded as UTF-8), as 64 lowercase hex digits. */
  hex(message: string): string {
    // A UTF-16 unit takes at most 3 bytes in UTF-8 (a surrogate pair: 4 for 2 units), so this
    // bound never truncates; Buffer.byteLength would cost a second pass over the text.
    const room = BLOCK + message.length * 3;
    if (room > this.#inner.length) {
      const grown = Buffer.allocUnsafe(room);
      this.#inner.copy(grown, 0, 0, BLOCK);
      this.#inner = grown;
    }
    const written = this.#inner.write(message, BLOCK, 'utf8');
    // 'binary' is Node's name for latin1 in `hash`'s typed encodings.
    this.#outer.write(hash('sha256', this.#inner.subarray(0, BLOCK + written), 'binary'), BLOCK, 'latin1');
    return hash('sha256', this.#outer, 'hex');
  }
}
