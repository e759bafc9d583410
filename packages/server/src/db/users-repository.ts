import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { PortcullisError } from 'portcullis/errors';
import type { Database, UserRole, UserStatus } from './schema.js';

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
}

export interface NewUser {
  readonly email: string;
  /** Already hashed (see `hashPassword` in portcullis/auth); never a plain password. */
  readonly passwordHash: string;
  readonly role: UserRole;
  readonly status?: UserStatus;
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
  if (row === undefined) return undefined;
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    role: row.role,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
