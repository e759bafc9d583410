import type { FieldError } from 'portcullis/errors';
import type { AccessPrincipal } from 'portcullis/fastify';

/**
 * Everything the identity routes need from the library, bound once to this server's
 * configuration (keys, pepper, secrets): the routes and services see these verbs only.
 */
export interface IdentityKit {
  /** Every password rule the password breaks (empty when it is acceptable). */
  passwordProblems(password: string, context: { readonly email?: string; readonly name?: string }): Promise<readonly FieldError[]>;
  hashPassword(password: string): Promise<string>;
  verifyPassword(storedHash: string, password: string): Promise<boolean>;
  passwordNeedsRehash(storedHash: string): boolean;
  /** Verifies against a dummy hash (unknown accounts), so both paths cost the same. */
  verifyDummyPassword(password: string): Promise<void>;

  issueAccessToken(subject: { readonly userId: string; readonly role: string; readonly sessionId: string }): IssuedAccessToken;
  /** Throws `auth.token_invalid` / `auth.token_expired`. */
  verifyAccessToken(token: string): AccessPrincipal;
  /** The public JWKS when tokens are signed with an asymmetric key. */
  readonly jwks: object | undefined;

  /** AES-256-GCM under the server's key ring, bound to `context` (e.g. the user id). */
  sealSecret(plaintext: string, context: string): string;
  openSecret(sealed: string, context: string): string;
  /** True when `sealed` is under a previous key: re-seal it with the current one. */
  secretNeedsReseal(sealed: string): boolean;

  newTotpSecret(accountName: string): { readonly secret: string; readonly uri: string };
  /** The time step the code matched, or undefined. Replay is the caller's check. */
  matchTotp(secret: string, code: string): number | undefined;
  newBackupCodes(): { readonly codes: readonly string[]; readonly hashes: readonly string[] };
  /** Index of the matching hash, or -1. */
  matchBackupCode(code: string, hashes: readonly string[]): number;

  newOpaqueToken(): string;
  /** Keyed hash for storage; undefined when `token` is not shaped like one of ours. */
  hashOpaqueToken(token: string): string | undefined;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly tokenId: string;
  /** Seconds. */
  readonly expiresIn: number;
  /** Epoch seconds. */
  readonly expiresAt: number;
}
