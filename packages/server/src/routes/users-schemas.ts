import { z } from 'zod';
import { userRoles } from '../db/schema.js';

/**
 * What /v1/users/me sends (V6, L1): the caller's own profile. A plain (stripping) object, so the
 * password hash, status and MFA secrets on the user row never leave unless they are named here.
 * The PATCH body lives with the other account inputs in auth-schemas.ts.
 */
export const userView = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(userRoles),
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
