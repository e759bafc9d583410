import { PortcullisError } from '../errors/index.js';

/**
 * Z2: which role may do what, as `resource:action` permissions in one declarative table. The
 * same names are API-key scopes, so a key can be given exactly a subset of what its owner may do.
 * Deny by default: an unknown role, or a permission no role lists, is never granted.
 */

export const PERMISSION_PATTERN = /^[a-z][a-z0-9_-]{0,31}:[a-z][a-z0-9_-]{0,31}$/;

export interface PermissionTable<Role extends string = string> {
  readonly roles: readonly Role[];
  /** Every permission some role has, sorted. */
  readonly permissions: readonly string[];
  /** Whether `role` has `permission`; false for an unknown or absent role. */
  can(role: string | undefined, permission: string): boolean;
  /** The role's permissions (empty for an unknown role). */
  permissionsOf(role: string | undefined): ReadonlySet<string>;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Builds the table, refusing (`config.invalid`) a permission that is not `resource:action`.
 *
 * @example
 * const rbac = definePermissions({ user: ['posts:read'], admin: ['posts:read', 'users:write'] });
 * rbac.can('user', 'users:write'); // false
 */
export function definePermissions<Role extends string>(table: Readonly<Record<Role, readonly string[]>>): PermissionTable<Role> {
  const byRole = new Map<string, ReadonlySet<string>>();
  const all = new Set<string>();
  for (const [role, permissions] of Object.entries(table) as [Role, readonly string[]][]) {
    if (!Array.isArray(permissions)) throw new PortcullisError('config.invalid', { detail: `permissions of role ${role} must be a list` });
    for (const permission of permissions) {
      if (typeof permission !== 'string' || !PERMISSION_PATTERN.test(permission)) {
        throw new PortcullisError('config.invalid', { detail: `role ${role}: permission names are resource:action in a-z 0-9 _ -` });
      }
      all.add(permission);
    }
    byRole.set(role, new Set(permissions));
  }
  const roles = Object.freeze([...byRole.keys()] as Role[]);
  return Object.freeze({
    roles,
    permissions: Object.freeze([...all].sort()),
    can: (role: string | undefined, permission: string) => (role === undefined ? false : (byRole.get(role)?.has(permission) ?? false)),
    permissionsOf: (role: string | undefined) => (role === undefined ? NONE : (byRole.get(role) ?? NONE)),
  });
}
