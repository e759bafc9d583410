import type { UserRole } from '../db/schema.js';

/**
 * What each role may do, as permission strings. API keys carry a subset of their owner's
 * permissions as scopes (A8); a key can never be given more than its owner has. The authorization
 * checkpoint (issue 6) builds on the same strings.
 */
const USER = ['profile:read', 'profile:write', 'usage:read'] as const;
const MODERATOR = [...USER, 'moderation:read', 'moderation:write'] as const;
const ADMIN = [...MODERATOR, 'admin:read', 'admin:write'] as const;

export const ROLE_PERMISSIONS: Readonly<Record<UserRole, ReadonlySet<string>>> = Object.freeze({
  user: new Set(USER),
  moderator: new Set(MODERATOR),
  admin: new Set(ADMIN),
});

/** Every permission any role has: the scopes an API key may name at all. */
export const ALL_PERMISSIONS: readonly string[] = Object.freeze([...ADMIN]);
