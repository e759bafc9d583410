import type { Kysely } from 'kysely';
import { PortcullisError } from 'portcullis/errors';
import { replaceBackupCodes } from '../../db/backup-codes-repository.js';
import type { Database } from '../../db/schema.js';
import { findUserById, updateUser } from '../../db/users-repository.js';
import type { IdentityService } from './identity-service.js';
import type { RequestContext, SecurityEventSink } from './security-events.js';

/**
 * TOTP enrolment and backup codes (A6, V9). The secret is sealed (AES-256-GCM, bound to the user
 * id) before it is stored; setup keeps it pending until a valid code proves the authenticator
 * has it; enabling returns 10 backup codes once, stored only as keyed hashes.
 */
export class MfaService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly identity: IdentityService,
    private readonly events: SecurityEventSink,
  ) {}

  /** Starts enrolment: a new pending secret, returned once for the authenticator app. */
  async setup(userId: string): Promise<{ secret: string; otpauthUri: string }> {
    const user = await findUserById(this.db, userId);
    if (user === undefined) throw new PortcullisError('auth.unauthenticated');
    if (user.mfaEnabled) throw new PortcullisError('auth.mfa_already_enabled');
    const kit = this.identity.kit;
    const { secret, uri } = kit.newTotpSecret(user.email);
    await updateUser(this.db, userId, { mfaPendingSecret: kit.sealSecret(secret, user.id) });
    return { secret, otpauthUri: uri };
  }

  /** Confirms enrolment with a code from the pending secret; returns the backup codes. */
  async enable(userId: string, code: string, context: RequestContext): Promise<readonly string[]> {
    const user = await findUserById(this.db, userId);
    if (user === undefined) throw new PortcullisError('auth.unauthenticated');
    if (user.mfaEnabled) throw new PortcullisError('auth.mfa_already_enabled');
    if (user.mfaPendingSecret === null) throw new PortcullisError('auth.mfa_setup_missing');
    const kit = this.identity.kit;
    const step = /^\d{6}$/.test(code) ? kit.matchTotp(kit.openSecret(user.mfaPendingSecret, user.id), code) : undefined;
    if (step === undefined) {
      await this.events('auth.mfa_failed', context, { userId, stage: 'enable' });
      throw new PortcullisError('auth.mfa_invalid');
    }
    const backup = kit.newBackupCodes();
    await updateUser(this.db, userId, { mfaEnabled: true, mfaSecret: user.mfaPendingSecret, mfaPendingSecret: null, mfaLastStep: step });
    await replaceBackupCodes(this.db, userId, backup.hashes);
    await this.events('auth.mfa_enabled', context, { userId });
    return backup.codes;
  }

  /** Turns TOTP off; needs the current password and a code (TOTP or backup). */
  async disable(userId: string, input: { readonly password: string; readonly code: string }, context: RequestContext): Promise<void> {
    const user = await findUserById(this.db, userId);
    if (user === undefined) throw new PortcullisError('auth.unauthenticated');
    if (!user.mfaEnabled) throw new PortcullisError('auth.mfa_not_enabled');
    if (!(await this.identity.kit.verifyPassword(user.passwordHash, input.password))) throw new PortcullisError('auth.reauthentication_failed');
    await this.identity.checkSecondFactor(userId, input.code, context);
    await updateUser(this.db, userId, { mfaEnabled: false, mfaSecret: null, mfaPendingSecret: null, mfaLastStep: null });
    await replaceBackupCodes(this.db, userId, []);
    await this.events('auth.mfa_disabled', context, { userId });
  }

  /** Replaces the backup codes after a valid code; the old ones stop working. */
  async regenerateBackupCodes(userId: string, code: string, context: RequestContext): Promise<readonly string[]> {
    await this.identity.checkSecondFactor(userId, code, context);
    const backup = this.identity.kit.newBackupCodes();
    await replaceBackupCodes(this.db, userId, backup.hashes);
    await this.events('auth.backup_codes_regenerated', context, { userId });
    return backup.codes;
  }
}
