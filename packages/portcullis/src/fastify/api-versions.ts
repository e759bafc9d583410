/**
 * L2 in Fastify: one onRequest hook on each route under a version's prefix (`/v1`), put there
 * when the route is registered, so other routes (health probes, /openapi.json) never run it and a
 * current version without a sunset date runs nothing at all. While the version is served, its precomputed
 * lifecycle headers go on every response, refusals included; once its sunset instant has passed,
 * every route under it answers 410 problem+json, before authentication or any other work.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { VersionLifecycle } from '../headers/index.js';

type Hook = (request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) => void;

/** The hook enforcing `lifecycle`, or undefined when the version needs none. */
export function apiVersionHook(lifecycle: VersionLifecycle): Hook | undefined {
  const { headers, goneFrom, gone } = lifecycle;
  if (goneFrom === undefined) {
    if (headers === undefined) return undefined;
    return function announceVersionLifecycle(_request, reply, next) {
      reply.headers(headers);
      next();
    };
  }
  return function enforceVersionLifecycle(_request, reply, next) {
    if (Date.now() >= goneFrom) {
      next(gone);
      return;
    }
    if (headers !== undefined) reply.headers(headers);
    next();
  };
}

/**
 * Applies `lifecycle` to every route under `prefix` (`/v1` and `/v1/...`), whichever plugin
 * registers it: the hook goes first on each such route's onRequest list as the route is
 * registered, so call this before registering them.
 *
 * @example
 * applyApiVersion(app, '/v1', versionLifecycle('v1', config.v1));
 */
export function applyApiVersion(app: FastifyInstance, prefix: string, lifecycle: VersionLifecycle): void {
  const hook = apiVersionHook(lifecycle);
  if (hook === undefined) return;
  const nested = `${prefix}/`;
  app.addHook('onRoute', (route) => {
    if (route.url !== prefix && !route.url.startsWith(nested)) return;
    const target = route as { onRequest?: unknown };
    const own = target.onRequest;
    target.onRequest = own === undefined ? [hook] : Array.isArray(own) ? [hook, ...own] : [hook, own];
  });
}
