/**
 * L1: which credentials a route takes is decided by the authentication hooks it is given, not by
 * its policy (a permission policy passes a bearer token or an API key, but only if the route runs
 * the API-key hook). Each authentication hook factory marks the hook it returns, so the OpenAPI
 * document can state each operation's real security requirement. Marking costs nothing at request
 * time: it is a WeakMap entry read once, when the route is registered.
 */

/** `bearer`: an access token; `apiKey`: an API key; `signature`: API-key requests must be signed. */
export type CredentialKind = 'bearer' | 'apiKey' | 'signature';

const marks = new WeakMap<object, readonly CredentialKind[]>();

/** Records that `hook` authenticates with `kinds`, and returns it. */
export function markCredentialHook<T extends object>(hook: T, kinds: readonly CredentialKind[]): T {
  marks.set(hook, Object.freeze([...kinds]));
  return hook;
}

/** The credential kinds of one hook (empty when it is not an authentication hook). */
export function credentialKindsOfHook(hook: unknown): readonly CredentialKind[] {
  return (typeof hook === 'function' && marks.get(hook)) || [];
}

/** Every credential kind among a route's hooks, in any of the shapes Fastify takes them (one, a list, nested lists). */
export function credentialKindsOf(...hookLists: unknown[]): CredentialKind[] {
  const found = new Set<CredentialKind>();
  const visit = (value: unknown, depth: number): void => {
    if (Array.isArray(value)) {
      if (depth < 4) for (const item of value) visit(item, depth + 1);
      return;
    }
    for (const kind of credentialKindsOfHook(value)) found.add(kind);
  };
  for (const hooks of hookLists) visit(hooks, 0);
  return [...found];
}
