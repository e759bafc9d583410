import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { decideAccess, describePolicy, isRoutePolicy, type Caller, type PermissionTable, type RoutePolicy } from '../authz/index.js';
import { PortcullisError } from '../errors/index.js';
import type { ParseSchema } from '../input/index.js';

/**
 * Z1 and L3 in Fastify: each route's declared policy (`config.portcullis.policy`) is checked when
 * the route is registered, so a route without one stops the server from starting, naming it; it
 * is enforced after the route's own authentication hooks and before its body is read; and every
 * route goes into an inventory (method, path, policy, rate limits, which inputs a schema checks)
 * that flags gaps. Each refusal is a security event (`authz.denied`) with the principal and route.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

export interface AuthorizationOptions {
  readonly permissions: PermissionTable;
  /** Who is calling; by default a bearer principal's role, or an API key's scopes. */
  readonly callerOf?: (request: FastifyRequest) => Caller | undefined;
  /** Refuse to register a route without a policy. Default true. */
  readonly requirePolicy?: boolean;
}

/** Schemas the plugin checks before the handler runs (V1); the inventory reports them. */
export interface RouteInput {
  readonly body?: ParseSchema<unknown>;
  readonly query?: ParseSchema<unknown>;
  readonly params?: ParseSchema<unknown>;
}

export interface RouteInventoryEntry {
  readonly method: string;
  readonly path: string;
  readonly policy: string;
  readonly rateLimits: readonly string[];
  readonly validates: { readonly body: boolean; readonly query: boolean; readonly params: boolean };
  /** What is missing: no policy, or a method that takes a body without a body schema, or path parameters without a schema. */
  readonly gaps: readonly string[];
}

export function defaultCaller(request: FastifyRequest): Caller | undefined {
  if (request.principal !== undefined) return { role: request.principal.role };
  if (request.apiKey !== undefined) return { role: undefined, scopes: request.apiKey.scopes };
  return undefined;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function policyGaps(method: string, path: string, policy: RoutePolicy | undefined, input: RouteInput | undefined): string[] {
  const gaps: string[] = [];
  if (policy === undefined) gaps.push('no authorization policy');
  if (BODY_METHODS.has(method) && input?.body === undefined) gaps.push('body not validated by a schema');
  if (path.includes(':') && input?.params === undefined) gaps.push('path parameters not validated by a schema');
  return gaps;
}

/** The hook enforcing `routePolicy`, or undefined for a public route (nothing to check). */
export function policyHook(routePolicy: RoutePolicy, options: AuthorizationOptions): Hook | undefined {
  if (routePolicy.access.kind === 'public') return undefined;
  const callerOf = options.callerOf ?? defaultCaller;
  return function enforcePolicy(request, _reply, done) {
    const decision = decideAccess(routePolicy, callerOf(request), options.permissions);
    if (decision.allowed) {
      done();
      return;
    }
    request.log.warn(
      {
        event: 'authz.denied',
        route: request.routeOptions.url,
        method: request.method,
        userId: request.principal?.userId ?? request.apiKey?.key.userId,
        apiKeyId: request.apiKey?.key.id,
        required: decision.missing,
        clientAddress: request.clientAddress,
      },
      'request refused by route policy',
    );
    done(
      decision.code === 'auth.unauthenticated'
        ? new PortcullisError('auth.unauthenticated', { headers: { 'www-authenticate': 'Bearer realm="api"' } })
        : new PortcullisError('auth.forbidden', { detail: `This route requires ${decision.missing ?? 'a permission you do not have'}.` }),
    );
  };
}

/** The route's policy, or throws `config.invalid` naming the route when it has none (and one is required) or it is malformed. */
export function routePolicyOf(route: RouteOptions, methods: readonly string[], options: AuthorizationOptions): RoutePolicy | undefined {
  const declared: unknown = route.config?.portcullis?.policy;
  const name = `${methods.join(',')} ${route.url}`;
  if (declared === undefined) {
    if (options.requirePolicy === false) return undefined;
    throw new PortcullisError('config.invalid', { detail: `route ${name} declares no authorization policy (config.portcullis.policy)` });
  }
  if (!isRoutePolicy(declared)) throw new PortcullisError('config.invalid', { detail: `route ${name}: config.portcullis.policy is not a policy; build it with policy.*()` });
  return declared;
}

export { describePolicy };
