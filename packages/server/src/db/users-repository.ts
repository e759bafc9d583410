import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Updateable } from 'kysely';
import { PortcullisError } from 'portcullis/errors';
import type { Database, UserRole, UserStatus, UsersTable } from './schema.js';

/**
 * Reads and writes user accounts. Emails are normalised on the way in, both when stored and when
 * looked up, so `Alice@Example.com ` and `alice@example.com` are one account. Uniqueness is left
 * to the database constraint (no check-then-insert race); its violation becomes `user.email_taken`.
 */

/** A user as the application sees it. `passwordHash` must never be serialised to a client. */
export interface User {
  readonly id: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly role: UserRole;
  readonly status: UserStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly name: string;
  readonly mfaEnabled: boolean;
  /** Sealed TOTP secret; never serialised. */
  readonly mfaSecret: string | null;
  readonly mfaPendingSecret: string | null;
  readonly mfaLastStep: number | null;
}

export interface NewUser {
  readonly email: string;
  /** Already hashed (see `hashPassword` in portcullis/auth); never a plain password. */
  readonly passwordHash: string;
  readonly role: UserRole;
  readonly status?: UserStatus;
  readonly name?: string;
}

/** The stored form of an email: trimmed and lowercased. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Matches the unique-email violation on either dialect, and nothing else. */
function isDuplicateEmail(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint, message } = error as { code?: unknown; constraint?: unknown; message?: unknown };
  if (code === '23505') return constraint === 'users_email_unique';
  return code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof message === 'string' && message.includes('users.email');
}

/**
 * Inserts a user and returns its new id (a random UUID). Throws `user.email_taken` when the
 * normalised email already belongs to someone.
 *
 * @example
 * const id = await createUser(db, { email, passwordHash: await hashPassword(password), role: 'admin' });
 */
export async function createUser(db: Kysely<Database>, user: NewUser): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  try {
    await db
      .insertInto('users')
      .values({
        id,
        email: normaliseEmail(user.email),
        password_hash: user.passwordHash,
        role: user.role,
        status: user.status ?? 'active',
        name: user.name ?? '',
        created_at: now,
        updated_at: now,
      })
      .execute();
  } catch (cause) {
    if (isDuplicateEmail(cause)) throw new PortcullisError('user.email_taken', { cause });
    throw cause;
  }
  return id;
}

/**
 * Finds a user by email (normalised first), or `undefined`.
 *
 * @example
 * const user = await findUserByEmail(db, body.email);
 */
export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('email', '=', normaliseEmail(email)).executeTakeFirst();
  return row === undefined ? undefined : toUser(row);
}

/** Finds a user by id, or `undefined`. */
export async function findUserById(db: Kysely<Database>, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toUser(row);
}

function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    role: row.role,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    name: row.name,
    mfaEnabled: Number(row.mfa_enabled) === 1,
    mfaSecret: row.mfa_secret,
    mfaPendingSecret: row.mfa_pending_secret,
    mfaLastStep: row.mfa_last_step === null ? null : Number(row.mfa_last_step),
  };
}

/** The fields of a user that may change after creation. */
export type UserChanges = Partial<{
  passwordHash: string;
  name: string;
  mfaEnabled: boolean;
  mfaSecret: string | null;
  mfaPendingSecret: string | null;
  mfaLastStep: number | null;
}>;

/** Updates a user; returns false when there is no such user. */
export async function updateUser(db: Kysely<Database>, id: string, changes: UserChanges): Promise<boolean> {
  const set: Updateable<UsersTable> = { updated_at: new Date().toISOString() };
  if (changes.passwordHash !== undefined) set.password_hash = changes.passwordHash;
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.mfaEnabled !== undefined) set.mfa_enabled = changes.mfaEnabled ? 1 : 0;
  if (changes.mfaSecret !== undefined) set.mfa_secret = changes.mfaSecret;
  if (changes.mfaPendingSecret !== undefined) set.mfa_pending_secret = changes.mfaPendingSecret;
  if (changes.mfaLastStep !== undefined) set.mfa_last_step = changes.mfaLastStep;
  const result = await db.updateTable('users').set(set).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * Records `step` as the last TOTP time step used, only if it is later than the one stored: true
 * for exactly one caller per step, so a code works once even when sent twice at the same moment.
 */
export async function acceptTotpStep(db: Kysely<Database>, id: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ mfa_last_step: step })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('mfa_last_step', 'is', null), eb('mfa_last_step', '<', step)]))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
