import type { Kysely } from 'kysely';
import { lockoutPolicy, lockoutRemainingMs, type LockoutPolicy, type TokenDenylist } from 'portcullis/auth';
import { PortcullisError } from 'portcullis/errors';
import type { AuthConfig } from '../../config/server-config.js';
import { spendBackupCode, unusedBackupCodes } from '../../db/backup-codes-repository.js';
import { clearLockout, loadLockout, recordLoginFailure } from '../../db/lockouts-repository.js';
import { createPersonalOrganisation } from '../../db/organisations-repository.js';
import type { Database } from '../../db/schema.js';
import { addRefreshToken, createSession, listLiveSessions, revokeSessions, spendRefreshToken, type SessionRow } from '../../db/sessions-repository.js';
import { acceptTotpStep, createUser, findUserByEmail, findUserById, normaliseEmail, updateUser, type User } from '../../db/users-repository.js';
import type { IdentityKit, IssuedAccessToken } from './identity-kit.js';
import type { RequestContext, SecurityEventSink } from './security-events.js';

/**
 * Registration, login, sessions and their refresh-token families (A1-A5). Routes parse and
 * answer; this decides. Unknown accounts and wrong passwords take the same path to the same
 * error (the dummy hash runs for unknown ones), and lockout is keyed by the normalised email
 * whether or not it is registered, so neither timing, status nor lockout tells them apart.
 */

export interface SignedIn {
  readonly access: IssuedAccessToken;
  readonly refreshToken: string;
  /** Seconds the refresh token lives. */
  readonly refreshExpiresIn: number;
  readonly sessionId: string;
  readonly userId: string;
}

export interface IdentityServiceDeps {
  readonly db: Kysely<Database>;
  readonly kit: IdentityKit;
  readonly denylist: TokenDenylist;
  readonly config: AuthConfig;
  readonly events: SecurityEventSink;
  readonly now?: () => Date;
}

export class IdentityService {
  readonly #db: Kysely<Database>;
  readonly #kit: IdentityKit;
  readonly #denylist: TokenDenylist;
  readonly #config: AuthConfig;
  readonly #events: SecurityEventSink;
  readonly #now: () => Date;
  readonly #lockout: LockoutPolicy;

  constructor(deps: IdentityServiceDeps) {
    this.#db = deps.db;
    this.#kit = deps.kit;
    this.#denylist = deps.denylist;
    this.#config = deps.config;
    this.#events = deps.events;
    this.#now = deps.now ?? (() => new Date());
    this.#lockout = lockoutPolicy({ ...deps.config.lockout, forgetAfterMs: 24 * 60 * 60_000 });
  }

  get kit(): IdentityKit {
    return this.#kit;
  }

  /** Refuses a password that breaks a rule, listing every rule it breaks. */
  async assertAcceptablePassword(password: string, context: { readonly email?: string; readonly name?: string }): Promise<void> {
    const problems = await this.#kit.passwordProblems(password, context);
    if (problems.length > 0) throw new PortcullisError('auth.password_rejected', { fieldErrors: problems });
  }

  async register(input: { readonly email: string; readonly password: string; readonly name: string }, context: RequestContext): Promise<User> {
    await this.assertAcceptablePassword(input.password, { email: input.email, name: input.name });
    const passwordHash = await this.#kit.hashPassword(input.password);
    // The account and its personal organisation exist together or not at all.
    const id = await this.#db.transaction().execute(async (trx) => {
      const userId = await createUser(trx, { email: input.email, passwordHash, role: 'user', name: input.name });
      await createPersonalOrganisation(trx, userId, input.name);
      return userId;
    });
    await this.#events('auth.registered', context, { userId: id });
    return (await findUserById(this.#db, id)) as User;
  }

  /**
   * Checks credentials (and the second factor when enabled) and opens a session. Throws
   * `auth.account_locked` (429, Retry-After), `auth.invalid_credentials`, `auth.mfa_required` or
   * `auth.mfa_invalid`.
   */
  async login(input: { readonly email: string; readonly password: string; readonly totp?: string | undefined }, context: RequestContext): Promise<SignedIn> {
    const account = normaliseEmail(input.email);
    const now = this.#now();
    const lockout = await loadLockout(this.#db, account);
    const lockedForMs = lockoutRemainingMs(lockout, now.getTime());
    if (lockedForMs > 0) {
      await this.#events('auth.login_locked', context, { retryAfterSeconds: Math.ceil(lockedForMs / 1000) });
      throw new PortcullisError('auth.account_locked', { headers: { 'retry-after': String(Math.ceil(lockedForMs / 1000)) } });
    }

    const user = await findUserByEmail(this.#db, account);
    let passwordOk = false;
    if (user === undefined) await this.#kit.verifyDummyPassword(input.password);
    else passwordOk = await this.#kit.verifyPassword(user.passwordHash, input.password);
    if (user === undefined || !passwordOk || user.status !== 'active') {
      await recordLoginFailure(this.#db, account, now.getTime(), this.#lockout);
      await this.#events('auth.login_failed', context, { userId: user?.id, reason: user === undefined ? 'unknown_account' : !passwordOk ? 'wrong_password' : 'account_disabled' });
      throw new PortcullisError('auth.invalid_credentials');
    }

    if (user.mfaEnabled) {
      if (input.totp === undefined || input.totp === '') throw new PortcullisError('auth.mfa_required');
      if (!(await this.#secondFactorAccepted(user, input.totp, context))) {
        await recordLoginFailure(this.#db, account, now.getTime(), this.#lockout);
        await this.#events('auth.mfa_failed', context, { userId: user.id });
        throw new PortcullisError('auth.mfa_invalid');
      }
    }

    if (this.#kit.passwordNeedsRehash(user.passwordHash)) {
      await updateUser(this.#db, user.id, { passwordHash: await this.#kit.hashPassword(input.password) });
      await this.#events('auth.password_rehashed', context, { userId: user.id });
    }
    if (lockout !== undefined) await clearLockout(this.#db, account);
    const signedIn = await this.#openSession(user, context);
    await this.#events('auth.login_succeeded', context, { userId: user.id, sid: signedIn.sessionId, mfa: user.mfaEnabled });
    return signedIn;
  }

  /** A TOTP code (once per time step) or an unused backup code. */
  async #secondFactorAccepted(user: User, code: string, context: RequestContext): Promise<boolean> {
    if (user.mfaSecret === null) return false;
    if (/^\d{6}$/.test(code)) {
      const secret = this.#kit.openSecret(user.mfaSecret, user.id);
      const step = this.#kit.matchTotp(secret, code);
      const accepted = step !== undefined && (await acceptTotpStep(this.#db, user.id, step));
      // Key rotation (V9): a secret still sealed under a previous ENCRYPTION_KEY moves to the current one.
      if (accepted && this.#kit.secretNeedsReseal(user.mfaSecret)) await updateUser(this.#db, user.id, { mfaSecret: this.#kit.sealSecret(secret, user.id) });
      return accepted;
    }
    const unused = await unusedBackupCodes(this.#db, user.id);
    const index = this.#kit.matchBackupCode(code, unused.map((entry) => entry.codeHash));
    const match = unused[index];
    if (match === undefined || !(await spendBackupCode(this.#db, match.id, this.#now()))) return false;
    await this.#events('auth.backup_code_used', context, { userId: user.id, remaining: unused.length - 1 });
    return true;
  }

  /** Verifies a second factor for an already authenticated user (MFA disable, new backup codes). */
  async checkSecondFactor(userId: string, code: string, context: RequestContext): Promise<void> {
    const user = await findUserById(this.#db, userId);
    if (user === undefined || !user.mfaEnabled) throw new PortcullisError('auth.mfa_not_enabled');
    if (!(await this.#secondFactorAccepted(user, code, context))) {
      await this.#events('auth.mfa_failed', context, { userId });
      throw new PortcullisError('auth.mfa_invalid');
    }
  }

  async #openSession(user: User, context: RequestContext): Promise<SignedIn> {
    const now = this.#now();
    const refreshToken = this.#kit.newOpaqueToken();
    const refreshExpiresAt = new Date(now.getTime() + this.#config.refreshTokenTtlSeconds * 1000);
    const sessionId = await createSession(this.#db, {
      userId: user.id,
      tokenHash: this.#kit.hashOpaqueToken(refreshToken) as string,
      now,
      refreshExpiresAt,
      sessionExpiresAt: new Date(now.getTime() + this.#config.sessionMaxAgeSeconds * 1000),
      userAgent: context.userAgent,
      ipAddress: context.clientAddress,
    });
    const access = this.#kit.issueAccessToken({ userId: user.id, role: user.role, sessionId });
    return { access, refreshToken, refreshExpiresIn: this.#config.refreshTokenTtlSeconds, sessionId, userId: user.id };
  }

  /**
   * Rotates a refresh token: exactly one of any concurrent uses succeeds. A token used before
   * (reuse, the sign of a stolen token) revokes its whole session and raises `auth.token_reuse`.
   * Throws `auth.refresh_invalid` for every refusal.
   */
  async refresh(refreshToken: string, context: RequestContext): Promise<SignedIn> {
    const tokenHash = this.#kit.hashOpaqueToken(refreshToken);
    if (tokenHash === undefined) throw new PortcullisError('auth.refresh_invalid');
    const now = this.#now();
    const spent = await spendRefreshToken(this.#db, tokenHash, now);
    if (spent.outcome === 'reused') {
      await this.#revoke(spent.userId, { only: spent.sessionId }, 'token_reuse');
      await this.#events('auth.token_reuse', context, { userId: spent.userId, sid: spent.sessionId });
      throw new PortcullisError('auth.refresh_invalid');
    }
    if (spent.outcome === 'invalid') throw new PortcullisError('auth.refresh_invalid');
    const user = await findUserById(this.#db, spent.userId);
    if (user === undefined || user.status !== 'active') {
      await this.#revoke(spent.userId, { only: spent.sessionId }, 'account_inactive');
      throw new PortcullisError('auth.refresh_invalid');
    }
    const next = this.#kit.newOpaqueToken();
    const sessionEnds = Date.parse(spent.sessionExpiresAt);
    const expiresAt = new Date(Math.min(now.getTime() + this.#config.refreshTokenTtlSeconds * 1000, sessionEnds));
    await addRefreshToken(this.#db, spent.sessionId, this.#kit.hashOpaqueToken(next) as string, now, expiresAt);
    const access = this.#kit.issueAccessToken({ userId: user.id, role: user.role, sessionId: spent.sessionId });
    await this.#events('auth.token_refreshed', context, { userId: user.id, sid: spent.sessionId });
    return {
      access,
      refreshToken: next,
      refreshExpiresIn: Math.max(1, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
      sessionId: spent.sessionId,
      userId: user.id,
    };
  }

  /** Ends the session the access token belongs to, and refuses that token from now on. */
  async logout(principal: { readonly userId: string; readonly sessionId: string | undefined; readonly tokenId: string; readonly expiresAt: number }, context: RequestContext): Promise<void> {
    await this.#denylist.revoke(`jti:${principal.tokenId}`, principal.expiresAt * 1000);
    if (principal.sessionId !== undefined) await this.#revoke(principal.userId, { only: principal.sessionId }, 'logout');
    await this.#events('auth.logout', context, { userId: principal.userId, sid: principal.sessionId });
  }

  /** Ends every session of the user, this one included. */
  async logoutAll(userId: string, context: RequestContext): Promise<number> {
    const revoked = await this.#revoke(userId, { except: undefined }, 'logout_all');
    await this.#events('auth.logout_all', context, { userId, revokedCount: revoked.length });
    return revoked.length;
  }

  async listSessions(userId: string): Promise<SessionRow[]> {
    return listLiveSessions(this.#db, userId, this.#now());
  }

  /** Ends one of the user's own sessions; `auth.session_not_found` for any other id. */
  async revokeSession(userId: string, sessionId: string, context: RequestContext): Promise<void> {
    const revoked = await this.#revoke(userId, { only: sessionId }, 'revoked_by_user');
    if (revoked.length === 0) throw new PortcullisError('auth.session_not_found');
    await this.#events('auth.session_revoked', context, { userId, sid: sessionId });
  }

  /** Changes the password after checking the current one; every other session ends. */
  async changePassword(userId: string, currentSessionId: string | undefined, input: { readonly currentPassword: string; readonly newPassword: string }, context: RequestContext): Promise<void> {
    const user = await findUserById(this.#db, userId);
    if (user === undefined) throw new PortcullisError('auth.unauthenticated');
    if (!(await this.#kit.verifyPassword(user.passwordHash, input.currentPassword))) {
      await this.#events('auth.login_failed', context, { userId, reason: 'wrong_current_password' });
      throw new PortcullisError('auth.reauthentication_failed');
    }
    await this.assertAcceptablePassword(input.newPassword, { email: user.email, name: user.name });
    await updateUser(this.#db, userId, { passwordHash: await this.#kit.hashPassword(input.newPassword) });
    const revoked = await this.#revoke(userId, { except: currentSessionId }, 'password_changed');
    await this.#events('auth.password_changed', context, { userId, revokedCount: revoked.length });
  }

  /** Sets a new password from a spent reset token: all sessions end and the lockout clears. */
  async completeReset(userId: string, newPassword: string, context: RequestContext): Promise<void> {
    const user = await findUserById(this.#db, userId);
    if (user === undefined) throw new PortcullisError('auth.reset_invalid');
    await this.assertAcceptablePassword(newPassword, { email: user.email, name: user.name });
    await updateUser(this.#db, userId, { passwordHash: await this.#kit.hashPassword(newPassword) });
    const revoked = await this.#revoke(userId, { except: undefined }, 'password_reset');
    await clearLockout(this.#db, user.email);
    await this.#events('auth.password_reset', context, { userId, revokedCount: revoked.length });
  }

  /** Clears an account's lockout (admin unlock; the CLI calls it). */
  async unlock(email: string): Promise<void> {
    await clearLockout(this.#db, normaliseEmail(email));
  }

  /** Revokes sessions and denylists them until their last access token has expired. */
  async #revoke(userId: string, which: { readonly only: string } | { readonly except: string | undefined }, reason: string): Promise<string[]> {
    const revoked = await revokeSessions(this.#db, userId, which, reason, this.#now());
    const until = this.#now().getTime() + this.#config.accessTokenTtlSeconds * 1000;
    for (const sessionId of revoked) await this.#denylist.revoke(`sid:${sessionId}`, until);
    return revoked;
  }
}
