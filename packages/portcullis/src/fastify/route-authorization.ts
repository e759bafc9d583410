import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { decideAccess, describePolicy, isRoutePolicy, type Caller, type PermissionTable, type RoutePolicy } from '../authz/index.js';
import { PortcullisError } from '../errors/index.js';
import type { ParseSchema } from '../input/validate-schema.js';
import { RepeatGate } from '../audit/index.js';
import { addressKey } from '../ratelimit/index.js';
import { afterEvent, emitRequestEvent } from './security-events.js';

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
  /** A query parameter declared as an array may repeat (all values passed); any other repeat is 400. */
  readonly query?: ParseSchema<unknown>;
  readonly params?: ParseSchema<unknown>;
  /**
   * An object schema of the headers the route reads, lower-case names only. Only the headers it
   * declares are validated (every other header passes untouched); the parsed values are merged
   * into `request.headers`.
   */
  readonly headers?: ParseSchema<unknown>;
  /**
   * Unknown body and query fields: `'refuse'` (the default) expects strict object schemas and
   * lists a route whose schema accepts them as a gap; `'strip'` drops top-level fields the
   * schema does not declare before it runs.
   */
  readonly unknownFields?: 'refuse' | 'strip';
}

export interface RouteInventoryEntry {
  readonly method: string;
  readonly path: string;
  readonly policy: string;
  readonly rateLimits: readonly string[];
  readonly validates: { readonly body: boolean; readonly query: boolean; readonly params: boolean; readonly headers: boolean };
  /** What happens to body and query fields the schemas do not declare. */
  readonly unknownFields: 'refuse' | 'strip';
  /** Top-level field names each object schema declares (empty when there is none or it cannot be read). */
  readonly fields: { readonly body: readonly string[]; readonly query: readonly string[]; readonly headers: readonly string[] };
  /** For a route taking multipart/form-data (`config.portcullis.multipart`): what the body holds. */
  readonly multipart?: string;
  /**
   * What is missing: no policy, a method that takes a body without a body schema, path parameters
   * or a handler reading the query without a schema, a schema that does not refuse unknown fields.
   */
  readonly gaps: readonly string[];
}

export function defaultCaller(request: FastifyRequest): Caller | undefined {
  if (request.principal !== undefined) return { role: request.principal.role };
  if (request.apiKey !== undefined) return { role: undefined, scopes: request.apiKey.scopes };
  return undefined;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** `multipartBody`: the route opted in to a multipart body, which its handler checks part by part (no schema). */
export function policyGaps(method: string, path: string, policy: RoutePolicy | undefined, input: RouteInput | undefined, multipartBody = false): string[] {
  const gaps: string[] = [];
  if (policy === undefined) gaps.push('no authorization policy');
  if (BODY_METHODS.has(method) && input?.body === undefined && !multipartBody) gaps.push('body not validated by a schema');
  if (path.includes(':') && input?.params === undefined) gaps.push('path parameters not validated by a schema');
  return gaps;
}

/** The hook enforcing `routePolicy`, or undefined for a public route (nothing to check). */
export function policyHook(routePolicy: RoutePolicy, options: AuthorizationOptions): Hook | undefined {
  if (routePolicy.access.kind === 'public') return undefined;
  const callerOf = options.callerOf ?? defaultCaller;
  // Anonymous refusals are what scanners produce by the thousand: all logged, one trail row per address and minute.
  const anonymousTrail = new RepeatGate();
  return function enforcePolicy(request, _reply, done) {
    const decision = decideAccess(routePolicy, callerOf(request), options.permissions);
    if (decision.allowed) {
      done();
      return;
    }
    const refusal =
      decision.code === 'auth.unauthenticated'
        ? new PortcullisError('auth.unauthenticated', { headers: { 'www-authenticate': 'Bearer realm="api"' } })
        : new PortcullisError('auth.forbidden', { detail: `This route requires ${decision.missing ?? 'a permission you do not have'}.` });
    // E3: route, method, address and principal come from the request; a full audit queue delays the answer.
    const pending = emitRequestEvent(request, 'authz.denied', {
      userId: request.principal?.userId ?? request.apiKey?.key.userId,
      keyId: request.apiKey?.key.id,
      required: decision.missing,
      code: decision.code,
    }, { trail: decision.code !== 'auth.unauthenticated' || anonymousTrail.admits(addressKey(request.clientAddress)) });
    afterEvent(pending, () => done(refusal));
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
