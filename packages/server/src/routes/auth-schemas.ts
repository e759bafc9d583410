import { z } from 'zod';

/**
 * Request bodies of the identity routes. Every object is strict (an unknown key is a 400, so no
 * client can set a field it was not offered, A-mass-assignment), every string is bounded before
 * any hashing or lookup, and passwords are only bounded here: the password policy reports its
 * rules field by field.
 */
const email = z.email().max(254);
const password = z.string().min(1).max(1024);
const code = z.string().trim().min(6).max(32);
const name = z.string().trim().min(1).max(100);

export const registerBody = z.strictObject({ email, password, name });

export const loginBody = z.strictObject({
  email,
  password,
  totp: code.optional(),
  /** `cookie` (default, browsers) or `body` (non-browser clients keep the refresh token themselves). */
  refreshTokenIn: z.enum(['cookie', 'body']).optional(),
});

export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(256).optional() });

export const forgotPasswordBody = z.strictObject({ email });
export const resetPasswordBody = z.strictObject({ token: z.string().min(1).max(256), password });
export const changePasswordBody = z.strictObject({ currentPassword: password, newPassword: password });

export const mfaCodeBody = z.strictObject({ code });
export const mfaDisableBody = z.strictObject({ password, code });

export const sessionParams = z.strictObject({ id: z.uuid() });

export const updateMeBody = z.strictObject({ name });
