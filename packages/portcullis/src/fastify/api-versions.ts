/**
 * L2 in Fastify: one onRequest hook on each route under a version's prefix (`/v1`), put there
 * when the route is registered, so other routes (health probes, /openapi.json) never run it and a
 * current version without a sunset date runs nothing at all. While the version is served, its precomputed
 * lifecycle headers go on every response, refusals included; once its sunset instant has passed,
 * every route under it answers 410 problem+json, before authentication or any other work. The
 * version's `Link` is added last, in an onSend hook, after any `Link` the route set itself
 * (pagination, ...), comma-joined as RFC 8288 allows: neither replaces the other.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { VersionLifecycle } from '../headers/index.js';

type Hook = (request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) => void;
type SendHook = (request: FastifyRequest, reply: FastifyReply, payload: unknown, next: (error: null, payload: unknown) => void) => void;

/** `headers` without `link`, which goes on at send time (see linkAppender); undefined when empty. */
function withoutLink(headers: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  if (headers === undefined) return undefined;
  const { link: _link, ...rest } = headers;
  return Object.keys(rest).length === 0 ? undefined : rest;
}

/**
 * The onSend hook adding the version's `link` to the reply's own: set when there is none,
 * comma-joined after it otherwise, and left alone when already there (a 410 carries it).
 */
export function linkAppender(link: string): SendHook {
  return function appendVersionLink(_request, reply, payload, next) {
    const current = reply.getHeader('link');
    const existing = current === undefined ? '' : Array.isArray(current) ? current.join(', ') : String(current);
    if (existing === '') reply.header('link', link);
    else if (!existing.includes(link)) reply.header('link', `${existing}, ${link}`);
    next(null, payload);
  };
}

/**
 * The onRequest hook enforcing `lifecycle` (410 once gone; `Deprecation` and `Sunset` while
 * served), or undefined when the version needs none. `Link` is the onSend hook's (linkAppender).
 */
export function apiVersionHook(lifecycle: VersionLifecycle): Hook | undefined {
  const { goneFrom, gone } = lifecycle;
  const headers = withoutLink(lifecycle.headers);
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
  const link = lifecycle.headers?.['link'];
  const sendHook = link === undefined ? undefined : linkAppender(link);
  if (hook === undefined && sendHook === undefined) return;
  const nested = `${prefix}/`;
  app.addHook('onRoute', (route) => {
    if (route.url !== prefix && !route.url.startsWith(nested)) return;
    const target = route as { onRequest?: unknown; onSend?: unknown };
    if (hook !== undefined) target.onRequest = first(hook, target.onRequest);
    if (sendHook !== undefined) target.onSend = last(sendHook, target.onSend);
  });
}

function first(hook: unknown, own: unknown): unknown[] {
  return own === undefined ? [hook] : Array.isArray(own) ? [hook, ...own] : [hook, own];
}

function last(hook: unknown, own: unknown): unknown[] {
  return own === undefined ? [hook] : Array.isArray(own) ? [...own, hook] : [own, hook];
}
