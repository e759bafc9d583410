import { PortcullisError } from '../../errors/index.js';

/**
 * What an API key may do (A8). A scope is a plain lower-case name (`orders:read`,
 * `billing.invoices:write`) compared by exact string equality: no wildcards and no hierarchy, so
 * no scope can be read as granting more than its literal self. A route states the scopes it needs;
 * a key is created with a subset of its owner's permissions.
 */

/** A scope name: a lower-case letter, then up to 63 of `a-z 0-9 _ . : -`. */
export const SCOPE_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;

/**
 * Throws `config.invalid` unless `scopes` is an array of valid scope names. For scope lists written
 * in code or configuration (route requirements, role definitions). The detail names the position,
 * never the value.
 *
 * @example
 * assertScopes(['orders:read', 'orders:write']);
 */
export function assertScopes(scopes: readonly string[]): void {
  if (!Array.isArray(scopes)) throw new PortcullisError('config.invalid', { detail: 'scopes must be an array of scope names' });
  scopes.forEach((scope, index) => {
    if (typeof scope !== 'string' || !SCOPE_PATTERN.test(scope)) {
      throw new PortcullisError('config.invalid', { detail: `scopes[${index}] is not a valid scope name (${SCOPE_PATTERN.source})` });
    }
  });
}

/**
 * Throws `auth.scope_missing` unless every `required` scope is `granted`; the detail names the
 * first missing one (route requirements are public, the key's grants are not listed).
 *
 * @example
 * const { scopes } = await apiKeys.verify(bearer);
 * requireScopes(scopes, ['orders:read']);
 */
export function requireScopes(granted: ReadonlySet<string>, required: readonly string[]): void {
  for (const scope of required) {
    if (!granted.has(scope)) throw new PortcullisError('auth.scope_missing', { detail: `this route requires the scope "${scope}"` });
  }
}

/**
 * The first `requested` scope that is not in `allowed`, or undefined when all are: a key may only
 * be given a subset of what its owner may do.
 *
 * @example
 * const outside = scopesWithin(body.scopes, permissionsOf(user));
 * if (outside !== undefined) throw new PortcullisError('auth.forbidden');
 */
export function scopesWithin(requested: readonly string[], allowed: ReadonlySet<string> | readonly string[]): string | undefined {
  const permitted: ReadonlySet<string> = allowed instanceof Set ? allowed : new Set(allowed);
  return requested.find((scope) => !permitted.has(scope));
}
