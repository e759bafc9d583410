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

/**
 * What the identity routes send (V6, L1). Plain (stripping) objects: a column added to a user or
 * session row never leaves unless it is named here.
 */
export const registeredView = z.object({ id: z.string(), email: z.string(), name: z.string(), createdAt: z.string() });

export const sessionList = z.object({
  sessions: z.array(
    z.object({
      id: z.string(),
      current: z.boolean(),
      createdAt: z.string(),
      lastUsedAt: z.string(),
      expiresAt: z.string(),
      userAgent: z.string().nullable(),
      ipAddress: z.string().nullable(),
    }),
  ),
});

export const resetRequestedView = z.object({ status: z.literal('accepted'), message: z.string() });

const accessTokenView = { accessToken: z.string(), tokenType: z.literal('Bearer'), expiresIn: z.int() };

/**
 * Only for login and refresh, the two answers that issue tokens (sent with no-store): the access
 * token, and either the refresh token itself (body mode) or the CSRF token that goes with the
 * refresh cookie (cookie mode). No other view may name these fields.
 */
export const signedInView = z.union([
  z.object({ ...accessTokenView, refreshToken: z.string(), refreshExpiresIn: z.int() }),
  z.object({ ...accessTokenView, csrfToken: z.string() }),
]);

/** Only for TOTP setup (no-store): the pending secret and its otpauth URI, shown this once. */
export const totpSetupView = z.object({ secret: z.string(), otpauthUri: z.string() });

/** Only for enabling TOTP and regenerating codes (no-store): the backup codes, shown this once. */
export const totpEnabledView = z.object({ enabled: z.literal(true), backupCodes: z.array(z.string()) });
export const backupCodesView = z.object({ backupCodes: z.array(z.string()) });
