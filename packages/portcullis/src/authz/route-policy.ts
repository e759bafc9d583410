import { PortcullisError } from '../errors/index.js';
import type { PermissionTable } from './permission-table.js';

/**
 * Z1: every route says who may call it, and nothing is allowed by omission. A policy is one of
 * public, authenticated, permission(s) (all required) or role(s) (any one), and may name the
 * object-ownership check its handler applies, so the route inventory shows where BOLA is guarded.
 *
 * Callers are people (an access token: a role) or API keys (scopes, which were a subset of the
 * owner's permissions when the key was made). A key passes a permission policy only with every
 * permission among its scopes, and never passes a role policy: roles are for people.
 */

export type RouteAccess =
  | { readonly kind: 'public' }
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'permissions'; readonly permissions: readonly string[] }
  | { readonly kind: 'roles'; readonly roles: readonly string[] };

export interface RoutePolicy {
  readonly access: RouteAccess;
  /** The ownership rule the handler enforces (e.g. "post owner or same-org moderator"), for the inventory. */
  readonly ownership?: string;
}

/** Who is calling, as far as authorization cares. */
export interface Caller {
  /** The person's role; undefined for an API key. */
  readonly role: string | undefined;
  /** An API key's scopes; undefined for a person. */
  readonly scopes?: ReadonlySet<string> | undefined;
}

export type AccessDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly code: 'auth.unauthenticated' | 'auth.forbidden'; readonly missing?: string };

function nonEmpty(items: readonly string[], what: string): readonly string[] {
  if (items.length === 0 || items.some((item) => typeof item !== 'string' || item === '')) {
    throw new PortcullisError('config.invalid', { detail: `a ${what} policy needs at least one non-empty name` });
  }
  return Object.freeze([...items]);
}

/** The policy builders; `.owned(rule)` on the result adds the ownership note. */
export const policy = {
  public: (): RoutePolicy => Object.freeze({ access: Object.freeze({ kind: 'public' as const }) }),
  authenticated: (ownership?: string): RoutePolicy =>
    Object.freeze({ access: Object.freeze({ kind: 'authenticated' as const }), ...(ownership === undefined ? {} : { ownership }) }),
  permission: (...permissions: string[]): RoutePolicy =>
    Object.freeze({ access: Object.freeze({ kind: 'permissions' as const, permissions: nonEmpty(permissions, 'permission') }) }),
  role: (...roles: string[]): RoutePolicy => Object.freeze({ access: Object.freeze({ kind: 'roles' as const, roles: nonEmpty(roles, 'role') }) }),
  /** The same policy with the ownership rule its handler applies. */
  owned: (base: RoutePolicy, ownership: string): RoutePolicy => Object.freeze({ ...base, ownership }),
};

/** One line for listings: `public`, `authenticated`, `permission posts:publish`, `role admin`, plus `; owner: ...`. */
export function describePolicy(routePolicy: RoutePolicy): string {
  const { access } = routePolicy;
  const base =
    access.kind === 'public' || access.kind === 'authenticated'
      ? access.kind
      : access.kind === 'permissions'
        ? `permission ${access.permissions.join(' + ')}`
        : `role ${access.roles.join(' | ')}`;
  return routePolicy.ownership === undefined ? base : `${base}; owner: ${routePolicy.ownership}`;
}

/** Whether a route declared with something that is really a policy (for start-up checks). */
export function isRoutePolicy(value: unknown): value is RoutePolicy {
  if (typeof value !== 'object' || value === null) return false;
  const access = (value as { access?: { kind?: unknown } }).access;
  return typeof access === 'object' && access !== null && ['public', 'authenticated', 'permissions', 'roles'].includes(access.kind as string);
}

/**
 * Decides a call: a missing caller on a non-public route is unauthenticated (401), anything else
 * not granted is forbidden (403), naming the first missing permission or role.
 *
 * @example
 * const decision = decideAccess(policy.permission('posts:publish'), { role: 'user' }, rbac);
 */
export function decideAccess(routePolicy: RoutePolicy, caller: Caller | undefined, table: PermissionTable): AccessDecision {
  const { access } = routePolicy;
  if (access.kind === 'public') return { allowed: true };
  if (caller === undefined) return { allowed: false, code: 'auth.unauthenticated' };
  if (access.kind === 'authenticated') return { allowed: true };
  if (access.kind === 'roles') {
    if (caller.scopes === undefined && caller.role !== undefined && access.roles.includes(caller.role)) return { allowed: true };
    return { allowed: false, code: 'auth.forbidden', missing: `role ${access.roles.join(' | ')}` };
  }
  for (const permission of access.permissions) {
    const granted = caller.scopes !== undefined ? caller.scopes.has(permission) : table.can(caller.role, permission);
    if (!granted) return { allowed: false, code: 'auth.forbidden', missing: permission };
  }
  return { allowed: true };
}
