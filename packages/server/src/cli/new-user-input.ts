import { z } from 'zod';
import { MAX_PASSWORD_CHARACTERS } from 'portcullis/auth';
import { PortcullisError } from 'portcullis/errors';
import { userRoles, type UserRole } from '../db/schema.js';

/**
 * Checks what an operator typed for a new account before anything touches the database. Messages
 * name the problem, never the value: a password pasted into the wrong flag must not be echoed.
 */

/** A1's floor; the full policy (blocklist, strength estimate) belongs to the registration flow. */
export const MIN_PASSWORD_CHARACTERS = 12;
const MAX_EMAIL_LENGTH = 254;

const emailShape = z.email();

function usage(detail: string): PortcullisError {
  return new PortcullisError('cli.usage', { detail });
}

/** The trimmed email, or a `cli.usage` error when it is missing or not an address. */
export function checkEmail(email: string | undefined): string {
  if (email === undefined || email.trim() === '') throw usage('--email is required');
  const trimmed = email.trim();
  if (trimmed.length > MAX_EMAIL_LENGTH || !emailShape.safeParse(trimmed).success) {
    throw usage('--email is not a valid email address');
  }
  return trimmed;
}

/** The role, or a `cli.usage` error listing the allowed ones. */
export function checkRole(role: string | undefined): UserRole {
  const allowed = userRoles.join(', ');
  if (role === undefined || role === '') throw usage(`--role is required (one of: ${allowed})`);
  const match = userRoles.find((candidate) => candidate === role);
  if (match === undefined) throw usage(`--role must be one of: ${allowed}`);
  return match;
}

/** Returns the password unchanged if it is 12 to 128 characters (code points), else `cli.usage`. */
export function checkPassword(password: string): string {
  const characters = [...password].length;
  if (characters < MIN_PASSWORD_CHARACTERS || characters > MAX_PASSWORD_CHARACTERS) {
    throw usage(`the password must be ${MIN_PASSWORD_CHARACTERS} to ${MAX_PASSWORD_CHARACTERS} characters long (got ${characters})`);
  }
  return password;
}
