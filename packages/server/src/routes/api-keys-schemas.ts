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

/**
 * What the /v1/api-keys routes send (V6, L1). Plain (stripping) objects: a column added to a key
 * row (its hash, its owner) never leaves unless it is named here.
 */
export const apiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  displayPrefix: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  rateLimit: z.object({ limit: z.int(), windowSeconds: z.int() }).nullable(),
  quota: z.object({ daily: z.int().optional(), monthly: z.int().optional() }).nullable(),
});
export const apiKeyList = z.object({ keys: z.array(apiKeyView) });
export const apiKeyUsageView = z.object({ keyId: z.string(), usage: z.array(z.object({ route: z.string(), day: z.string(), count: z.int() })) });

/**
 * Only for the two answers that issue a secret, creation and rotation (sent with no-store): the
 * key and its signing secret, shown this once. No other view may name these fields.
 */
export const issuedApiKeyView = apiKeyView.extend({ key: z.string(), signingSecret: z.string() });
/** Rotation issues a new secret and says until when the previous one still works. */
export const rotatedApiKeyView = issuedApiKeyView.extend({ previousSecretExpiresAt: z.string() });
