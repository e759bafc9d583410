/**
 * E5 in Fastify: records every response in the app's metrics. Each route gets its own onResponse
 * hook holding its pattern and its cached label children, so a request costs no route lookup and
 * no string building; requests that matched no route are recorded by one app-level hook under a
 * single label. Refusals are counted where they are already known: the 429's policy from the
 * rate-limit hook, the 401/403's code from an onError hook, which only errors reach. Nothing here
 * is wired when the app has no metrics.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { UNMATCHED_ROUTE, type PortcullisMetrics, type RouteRecorder } from '../audit/metrics.js';
import { isPortcullisError } from '../errors/index.js';
import { rateLimitRefusalOf } from './rate-limit-hooks.js';

type Hook = (request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) => void;

export function wireMetrics(app: FastifyInstance, metrics: PortcullisMetrics): void {
  const record = (recorder: RouteRecorder, request: FastifyRequest, reply: FastifyReply): void => {
    const status = reply.statusCode;
    recorder.record(request.method, status, reply.elapsedTime / 1000);
    if (status === 429) {
      const policy = rateLimitRefusalOf(request);
      if (policy !== undefined) metrics.countRateLimitRefusal(policy);
    }
  };

  app.addHook('onRoute', (route) => {
    const recorder = metrics.forRoute(route.url);
    const hook: Hook = function recordResponse(request, reply, next) {
      record(recorder, request, reply);
      next();
    };
    const target = route as { onResponse?: unknown };
    const own = target.onResponse;
    target.onResponse = own === undefined ? [hook] : Array.isArray(own) ? [...own, hook] : [own, hook];
  });

  const unmatched = metrics.forRoute(UNMATCHED_ROUTE);
  app.addHook('onResponse', function recordUnmatched(request, reply, next) {
    if (request.is404) record(unmatched, request, reply);
    next();
  });

  app.addHook('onError', function countAuthFailure(_request, _reply, error, next) {
    if (isPortcullisError(error) && (error.status === 401 || error.status === 403) && error.code.startsWith('auth.')) metrics.countAuthFailure(error.code);
    next();
  });
}
