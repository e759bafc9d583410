/**
 * Tokens that verified, remembered so that a client's next request with the same access token
 * costs a map lookup instead of a MAC or signature check and two base64url + JSON decodes. A
 * client sends one token for its whole 15-minute life, so nearly every authenticated request is a
 * repeat. Measured with `npm run bench:instructions` (bench/README.md): an HS256 verification was
 * about 80k of the ~350k instructions of the bench's whole authenticated request.
 *
 * Why a hit is as safe as verifying again:
 * - only a token that passed every check enters, so forged tokens cannot fill it, and a hit needs
 *   the exact string of such a token: one changed character is a miss and a full verification;
 * - what can change with time is checked again on every hit by the verifier (exp, nbf and iat
 *   against the clock, the key's retireAt), and revocation is never cached: the caller's denylist
 *   check runs on every request whatever this says;
 * - the map is keyed by the token's last 32 characters, which are signature (the shortest
 *   signature accepted, HS256's, is 43), and a hit also needs the whole presented token to equal
 *   the remembered one; that comparison runs from the first character, the token's public header
 *   and payload, and only for a candidate whose signature tail already matches a remembered
 *   token's exactly.
 *
 * Why the tail and not the whole token as the key: the presented token is a new string on every
 * request, so the map hashes it every time, and hashing ~300 characters cost ~0.3 us of the
 * bench's ~19 us request (a third of a microsecond: `get` was 2.3% of the server's profile);
 * hashing 32 and comparing the rest measured a third of that.
 *
 * Bounded: at capacity the oldest entry gives way (insertion order), and an entry met after its
 * token expired is dropped. Capacity 0 turns the cache off.
 */
export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;
export const MAX_VERIFIED_TOKEN_CACHE_SIZE = 1_000_000;

/** Characters of the token's end that key the map: signature in every token that can enter. */
const KEY_CHARS = 32;

interface Slot<Entry> {
  readonly token: string;
  readonly entry: Entry;
}

export class VerifiedTokenCache<Entry> {
  private readonly entries = new Map<string, Slot<Entry>>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string): Entry | undefined {
    const slot = this.entries.get(token.slice(-KEY_CHARS));
    return slot !== undefined && slot.token === token ? slot.entry : undefined;
  }

  /**
   * Remembers `token`. A remembered token with the same last 32 characters gives way to it: two
   * genuine signatures that end alike are as likely as guessing 192 random bits.
   */
  remember(token: string, entry: Entry): void {
    if (this.capacity === 0) return;
    const key = token.slice(-KEY_CHARS);
    if (!this.entries.delete(key) && this.entries.size >= this.capacity) {
      // Map iteration starts with the oldest insertion.
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { token, entry });
  }

  /** Forgets `token`, and only it: a different token ending the same way stays. */
  forget(token: string): void {
    const key = token.slice(-KEY_CHARS);
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }
}
