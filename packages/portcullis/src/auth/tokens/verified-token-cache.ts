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
 * - the map compares two strings only after their hashes match, and compares from the first
 *   character, which is the token's public header and payload; the signature is reached only by a
 *   candidate that already repeats a cached token's header and payload byte for byte.
 *
 * Bounded: at capacity the oldest entry gives way (insertion order), and an entry met after its
 * token expired is dropped. Capacity 0 turns the cache off.
 */
export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;
export const MAX_VERIFIED_TOKEN_CACHE_SIZE = 1_000_000;

export class VerifiedTokenCache<Entry> {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string): Entry | undefined {
    return this.entries.get(token);
  }

  remember(token: string, entry: Entry): void {
    if (this.capacity === 0) return;
    if (this.entries.size >= this.capacity) {
      // Map iteration starts with the oldest insertion.
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(token, entry);
  }

  forget(token: string): void {
    this.entries.delete(token);
  }
}
