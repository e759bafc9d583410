import type { Kysely } from 'kysely';
import { PortcullisError } from 'portcullis/errors';
import { createPasswordReset, findLivePasswordReset, spendPasswordReset } from '../../db/password-resets-repository.js';
import type { Database } from '../../db/schema.js';
import { findUserByEmail, findUserById } from '../../db/users-repository.js';
import type { Mailer } from '../mailer.js';
import type { IdentityService } from './identity-service.js';
import type { RequestContext, SecurityEventSink } from './security-events.js';

/**
 * Password reset (A7). The request is answered before any lookup happens: the token is made and
 * mailed in the background, so the answer (always 202, same body) and its timing are the same
 * whether or not the account exists. Tokens are single-use, stored as keyed hashes and live
 * 30 minutes; completing a reset ends every session and clears the lockout.
 */

export const RESET_TOKEN_TTL_MS = 30 * 60_000;

export interface PasswordResetDeps {
  readonly db: Kysely<Database>;
  readonly identity: IdentityService;
  readonly mailer: Mailer;
  readonly appUrl: string;
  readonly events: SecurityEventSink;
  /** Where a failure of the background work is reported (it cannot reach the client). */
  readonly onBackgroundError: (error: unknown) => void;
  readonly now?: () => Date;
}

export class PasswordResetService {
  readonly #deps: PasswordResetDeps;
  readonly #now: () => Date;
  readonly #pending = new Set<Promise<void>>();

  constructor(deps: PasswordResetDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Starts a reset for `email` if it belongs to an active account; returns at once either way. */
  request(email: string, context: RequestContext): void {
    const work = this.#issue(email, context).catch(this.#deps.onBackgroundError);
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  /** Resolves once every background reset has finished (shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  async #issue(email: string, context: RequestContext): Promise<void> {
    const user = await findUserByEmail(this.#deps.db, email);
    if (user === undefined || user.status !== 'active') return;
    const kit = this.#deps.identity.kit;
    const token = kit.newOpaqueToken();
    const now = this.#now();
    await createPasswordReset(this.#deps.db, user.id, kit.hashOpaqueToken(token) as string, now, new Date(now.getTime() + RESET_TOKEN_TTL_MS));
    const link = new URL('/reset-password', this.#deps.appUrl);
    // In the fragment: it is not sent to the app's server or in Referer headers.
    link.hash = `token=${token}`;
    await this.#deps.mailer.send({
      to: user.email,
      subject: 'Reset your password',
      text: `Someone asked to reset the password of this account. If it was you, open this link within 30 minutes:\n\n${link.toString()}\n\nIf not, ignore this message; your password stays as it is.`,
    });
    await this.#events(context, user.id);
  }

  #events(context: RequestContext, userId: string): Promise<void> | undefined {
    return this.#deps.events('auth.password_reset_requested', context, { userId });
  }

  /** Sets the new password for the token's account. Throws `auth.reset_invalid` or `auth.password_rejected`. */
  async complete(token: string, newPassword: string, context: RequestContext): Promise<void> {
    const kit = this.#deps.identity.kit;
    const tokenHash = kit.hashOpaqueToken(token);
    if (tokenHash === undefined) throw new PortcullisError('auth.reset_invalid');
    const userId = await findLivePasswordReset(this.#deps.db, tokenHash, this.#now());
    const user = userId === undefined ? undefined : await findUserById(this.#deps.db, userId);
    if (user === undefined) throw new PortcullisError('auth.reset_invalid');
    // Checked before spending, so a refused password does not burn the token.
    await this.#deps.identity.assertAcceptablePassword(newPassword, { email: user.email, name: user.name });
    if ((await spendPasswordReset(this.#deps.db, tokenHash, this.#now())) !== user.id) throw new PortcullisError('auth.reset_invalid');
    await this.#deps.identity.completeReset(user.id, newPassword, context);
  }
}
