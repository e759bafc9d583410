import { z } from 'zod';

/** Bodies and parameters of the /v1/api-keys routes: strict, so an unknown member is a 400. */

const scope = z.string().regex(/^[a-z][a-z0-9_.:-]{0,63}$/, 'must be a permission name such as profile:read');

export const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(scope).min(1).max(50),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  rateLimit: z.strictObject({ limit: z.int().min(1).max(1_000_000), windowSeconds: z.int().min(1).max(86_400) }).optional(),
  quota: z
    .strictObject({ daily: z.int().min(1).max(1_000_000_000).optional(), monthly: z.int().min(1).max(1_000_000_000).optional() })
    .refine((quota) => quota.daily !== undefined || quota.monthly !== undefined, 'give daily, monthly or both')
    .optional(),
});

/** No body, or `{}`, means the default grace of one day. */
export const rotateApiKeyBody = z.strictObject({ graceSeconds: z.int().min(0).max(30 * 86_400).default(86_400) }).default({ graceSeconds: 86_400 });

export const apiKeyParams = z.strictObject({ id: z.string().regex(/^key_[A-Za-z0-9_-]{16}$/) });
