import { z } from 'zod';
import { userRoles, userStatuses } from '../db/schema.js';

/**
 * What the /v1/admin routes send (V6, L1). Plain (stripping) objects: a column added to a user
 * row (its password hash, its MFA secrets) never reaches even an administrator unless it is named
 * here.
 */

/** One row of the route inventory (the library's RouteInventoryEntry). */
const inventoriedRoute = z.object({
  method: z.string(),
  path: z.string(),
  policy: z.string(),
  rateLimits: z.array(z.string()),
  validates: z.object({ body: z.boolean(), query: z.boolean(), params: z.boolean(), headers: z.boolean() }),
  unknownFields: z.enum(['refuse', 'strip']),
  fields: z.object({ body: z.array(z.string()), query: z.array(z.string()), headers: z.array(z.string()) }),
  multipart: z.string().optional(),
  gaps: z.array(z.string()),
});
/** `gaps`: how many routes have at least one gap. */
export const routeInventoryView = z.object({ routes: z.array(inventoriedRoute), gaps: z.int() });

const role = z.enum(userRoles);
const status = z.enum(userStatuses);

/** `next`: the cursor of the following page, or null on the last one. */
export const adminUserList = z.object({
  users: z.array(z.object({ id: z.string(), email: z.string(), name: z.string(), role, status, createdAt: z.string() })),
  next: z.string().nullable(),
});

/** The account after a change: its id, role and status only. */
export const accountChangedView = z.object({ id: z.string(), role, status });
