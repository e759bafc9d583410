import { definePermissions } from 'portcullis/authz';
import type { UserRole } from '../db/schema.js';

/**
 * What each role may do, as `resource:action` permissions in one table (Z2). API keys carry a
 * subset of their owner's permissions as scopes (A8): a key can never be given more than its owner
 * has. Routes name these permissions in their policies.
 */
// webhooks:manage: everyone manages their own webhooks, which receive only what their owner may see.
const USER = ['profile:read', 'profile:write', 'usage:read', 'posts:read', 'posts:write', 'posts:publish', 'comments:read', 'comments:write', 'webhooks:manage'] as const;
const MODERATOR = [...USER, 'moderation:read', 'moderation:write', 'posts:moderate', 'comments:moderate'] as const;
const ADMIN = [...MODERATOR, 'admin:read', 'admin:write'] as const;

export const RBAC = definePermissions<UserRole>({ user: USER, moderator: MODERATOR, admin: ADMIN });

export const ROLE_PERMISSIONS: Readonly<Record<UserRole, ReadonlySet<string>>> = Object.freeze({
  user: RBAC.permissionsOf('user'),
  moderator: RBAC.permissionsOf('moderator'),
  admin: RBAC.permissionsOf('admin'),
});

/** Every permission any role has: the scopes an API key may name at all. */
export const ALL_PERMISSIONS: readonly string[] = RBAC.permissions;
