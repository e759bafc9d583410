import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { createCorsPolicy } from '../cors/index.js';
import { PortcullisError, PROBLEM_CONTENT_TYPE, newErrorId, toProblem } from '../errors/index.js';
import { buildSecurityHeaders, PRESET_HEADERS_SUPPORTED, PresetHeaderResponse, presetHeaderBlock } from '../headers/index.js';
// Per-module imports: the input index also exports the HTML sanitiser and upload helpers, which
// every app using the plugin would otherwise load at start.
import { assertSafeQueryKeys, parseJsonBody } from '../input/json-body.js';
import { isForbiddenQueryKey } from '../input/forbidden-keys.js';
import { assertSafeUrlText } from '../input/text-safety.js';
import { assertSingleValuedQuery, hasRepeatedParameter, NO_QUERY_LISTS, type QueryListRules } from '../input/query-repeats.js';
import { LoadShedder, type RateLimitPolicy } from '../ratelimit/index.js';
import { assertHttps, createHttpsPolicy, createProxyTrust } from '../transport/index.js';
import { fromFrameworkError } from './framework-errors.js';
import { HandlerDeadlines } from './handler-deadline.js';
import { DEFAULT_LIMITS, type PortcullisFastifyOptions, type PortcullisRouteConfig } from './options.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { resolveRequestTransport } from './request-transport.js';
import { createResponseHeaderSets } from './response-headers.js';
import { createRateLimitHook, refundSuccessful, type RouteRateLimit } from './rate-limit-hooks.js';
import { describePolicy, policyGaps, policyHook, routePolicyOf, type RouteInventoryEntry } from './route-authorization.js';
import { compileRouteInput, refusingQueryParameters } from './route-input.js';
import { routeOutputHook } from './route-output.js';
import { MULTIPART_MEDIA_TYPE, multipartGuard } from './multipart-opt-in.js';
import { wireMetrics } from './metrics-hooks.js';
import { collectRouteDescriptions } from './openapi.js';
import { wireSecurityEvents } from './security-events.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Canonical client address, from the socket or a trusted proxy's X-Forwarded-For (T1). */
    clientAddress: string;
    /** Whether the client's leg was HTTPS. */
    secureTransport: boolean;
    /** JSON depth limit of the matched route; 0 means the global one. */
    jsonDepthLimit: number;
    /** Set on routes with `keepRawBody`, so the body parser keeps the text. */
    keepRawBody: boolean;
    /** The request body's exact text, on routes with `keepRawBody` (undefined without a body). */
    rawBody: string | undefined;
  }
  interface FastifyInstance {
    /** Every route registered after the plugin: method, path, policy, rate limits, validated inputs, gaps (L3). */
    portcullisRoutes(): RouteInventoryEntry[];
  }
  interface FastifyContextConfig {
    portcullis?: PortcullisRouteConfig;
  }
}

type Hook = (request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) => void;

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const UTF8_CHARSET = /charset="?utf-8"?\s*(;|$)/i;
const SHUTTING_DOWN_HEADERS = Object.freeze({ 'retry-after': '5', connection: 'close' });

type HookPhase = 'onRequest' | 'preValidation' | 'preHandler' | 'onResponse';

function prependRouteHook(route: Partial<Record<HookPhase, unknown>>, hook: Hook, phase: HookPhase = 'onRequest'): void {
  const current = route[phase];
  const own = current === undefined ? [] : Array.isArray(current) ? current : [current];
  route[phase] = [hook, ...own];
}

function appendRouteHook(route: Partial<Record<HookPhase, unknown>>, hook: Hook, phase: HookPhase): void {
  const current = route[phase];
  const own = current === undefined ? [] : Array.isArray(current) ? current : [current];
  route[phase] = [...own, hook];
}

function wireCheckpoints(app: FastifyInstance, options: PortcullisFastifyOptions): void {
  // Everything is computed here, once; the hooks only read it. Bad configuration throws here.
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const cors = options.cors === undefined || options.cors === false ? undefined : createCorsPolicy(options.cors);
  const headerSets = createResponseHeaderSets(buildSecurityHeaders(options.headers), cors);
  const trust = createProxyTrust(options.transport?.trustedProxies ?? []);
  const https = createHttpsPolicy(options.transport?.requireHttps ?? true, options.transport?.httpsExemptPaths ?? []);
  const allowDottedKeys = options.input?.allowDottedKeys ?? false;
  const isForbiddenQuery = (key: string): boolean => isForbiddenQueryKey(key, allowDottedKeys);
  const typeBase = options.problemTypeBase;
  const deadlines = new HandlerDeadlines(Math.max(10, Math.min(250, Math.floor(limits.handlerTimeoutMs / 4))));
  const routeMethods = new Set<string>();
  let closing = false;
  const securityEvents = wireSecurityEvents(app, options.securityEvents);
  const shedding = options.loadShedding === false ? undefined : options.loadShedding ?? {};
  const shedder = shedding === undefined ? undefined : new LoadShedder({
    ...shedding,
    onChange: (event) => {
      void app.securityEvent(event.event, { delayMs: event.delayMs });
      shedding.onChange?.(event);
    },
  });
  const shedExempt = new Set(shedding?.exemptPaths ?? []);
  const general = options.rateLimit?.general;
  const loggedPolicies = new Set<RateLimitPolicy>();
  const logPolicyEvents = (policy: RateLimitPolicy): void => {
    if (loggedPolicies.has(policy)) return;
    loggedPolicies.add(policy);
    options.metrics?.watchStore(policy);
    policy.addListener(({ event, ...fields }) => void app.securityEvent(event, fields));
  };
  const rateLimitHooks = (limits: readonly RouteRateLimit[]): Hook[] => {
    const policyField = limits.map((limit) => limit.policy.policyItem).join(', ');
    return limits.map((limit, index) => {
      logPolicyEvents(limit.policy);
      return createRateLimitHook(limit, index === 0 ? { policyField } : {});
    });
  };

  app.decorateRequest('clientAddress', '');
  app.decorateRequest('secureTransport', false);
  app.decorateRequest('jsonDepthLimit', 0);
  app.decorateRequest('keepRawBody', false);
  app.decorateRequest('rawBody', undefined);

  // Per-route settings become route-level hooks, so routes without them pay nothing.
  const inventory: RouteInventoryEntry[] = [];
  app.decorate('portcullisRoutes', () => [...inventory]);
  collectRouteDescriptions(app, general);
  if (options.metrics !== undefined) wireMetrics(app, options.metrics);
  // V2: the query parameters each route takes as lists, by its `config.portcullis` (shared by HEAD).
  const queryListsByRoute = new WeakMap<object, QueryListRules>();

  // A function, not an arrow: `this` is the scope registering the route (its content-type parsers).
  app.addHook('onRoute', function describeRoute(route) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routeMethods.add(method);
    const config = route.config?.portcullis;
    const authorization = options.authorization;
    const routePolicy = authorization === undefined ? config?.policy : routePolicyOf(route, methods, authorization);
    if (authorization !== undefined && routePolicy !== undefined) {
      const enforce = policyHook(routePolicy, authorization);
      // After the route's own onRequest hooks (authentication), before the body is read.
      if (enforce !== undefined) appendRouteHook(route, enforce, 'onRequest');
    }
    const input = config?.input;
    const compiled = compileRouteInput(input, `${methods.join(',')} ${route.url}`, route.handler);
    if (compiled.hook !== undefined) appendRouteHook(route, compiled.hook, 'preValidation');
    else if (compiled.refuseQueryInHandler) route.handler = refusingQueryParameters(route.handler as Parameters<typeof refusingQueryParameters>[0]) as typeof route.handler;
    if (config?.output !== undefined) {
      const enforceOutput = routeOutputHook(config.output, `${methods.join(',')} ${route.url}`);
      const own = route.preSerialization;
      route.preSerialization = own === undefined ? [enforceOutput] : [...(Array.isArray(own) ? own : [own]), enforceOutput] as typeof route.preSerialization;
    }
    const multipart = config?.multipart;
    const mediaGuard = multipartGuard(this.hasContentTypeParser(MULTIPART_MEDIA_TYPE), multipart, `${methods.join(',')} ${route.url}`);
    if (mediaGuard !== undefined) appendRouteHook(route, mediaGuard, 'onRequest');
    if (config !== undefined && compiled.queryLists !== NO_QUERY_LISTS) queryListsByRoute.set(config, compiled.queryLists);
    const routeLimitNames = route.config?.portcullis?.rateLimit;
    const limitNames = routeLimitNames === false ? [] : [...(general !== undefined && routeLimitNames?.general !== false ? [general.policy.name] : []), ...(routeLimitNames?.limits ?? []).map((limit) => limit.policy.name)];
    for (const method of methods) {
      inventory.push({
        method,
        path: route.url,
        policy: routePolicy === undefined ? 'none' : describePolicy(routePolicy),
        rateLimits: limitNames,
        validates: compiled.validates,
        unknownFields: compiled.unknownFields,
        fields: compiled.fields,
        ...(multipart === undefined ? {} : { multipart: multipart.description }),
        gaps: method === 'HEAD' ? [] : [...policyGaps(method, route.url, routePolicy, input, multipart !== undefined), ...compiled.gaps],
      });
    }
    if (typeof route.handlerTimeout === 'number' && route.handlerTimeout > 0) {
      // Timed by Fastify's own handlerTimeout alone.
      prependRouteHook(route, (_request, reply, next) => {
        deadlines.release(reply);
        next();
      });
    }
    const routeLimit = route.config?.portcullis?.rateLimit;
    if (routeLimit !== false) {
      // In the order they run: every onRequest limit before every preHandler one.
      const limits = [...(general !== undefined && routeLimit?.general !== false ? [general] : []), ...(routeLimit?.limits ?? [])].sort(
        (a, b) => Number(a.phase === 'preHandler') - Number(b.phase === 'preHandler'),
      );
      const hooks = rateLimitHooks(limits);
      // Prepended last-first, so the general limit runs first and before the route's own hooks.
      for (let index = limits.length - 1; index >= 0; index -= 1) {
        prependRouteHook(route, hooks[index] as Hook, limits[index]?.phase ?? 'onRequest');
      }
      if (limits.some((limit) => limit.skipSuccessful === true)) prependRouteHook(route, refundSuccessful, 'onResponse');
    }
    if (route.config?.portcullis?.keepRawBody === true) {
      prependRouteHook(route, (request, _reply, next) => {
        request.keepRawBody = true;
        next();
      });
    }
    const depth = route.config?.portcullis?.jsonDepth;
    if (depth !== undefined) {
      prependRouteHook(route, (request, _reply, next) => {
        request.jsonDepthLimit = depth;
        next();
      });
    }
  });

  app.addHook('onRequest', function admitRequest(request, reply, next) {
    const raw = request.raw;
    resolveRequestTransport(request, trust);
    const origin = raw.headers.origin;
    const preflight = cors !== undefined && raw.method === 'OPTIONS' && origin !== undefined && raw.headers['access-control-request-method'] !== undefined;
    const response = reply.raw;
    if (preflight) reply.headers(headerSets.forPreflight(request.secureTransport, origin));
    // On a server from portcullisServerOptions the fixed headers go out as one pre-validated block;
    // elsewhere (another server factory, inject()) through the reply like any header.
    else if (PRESET_HEADERS_SUPPORTED && response instanceof PresetHeaderResponse) response.presetHeaders = presetHeaderBlock(headerSets.forRequest(request.secureTransport, origin));
    else reply.headers(headerSets.forRequest(request.secureTransport, origin));
    reply.header(REQUEST_ID_HEADER, request.id);

    if (closing) {
      next(new PortcullisError('service.shutting_down', { headers: SHUTTING_DOWN_HEADERS }));
      return;
    }
    const url = raw.url ?? '/';
    const queryAt = url.indexOf('?');
    if (shedder !== undefined && shedder.overloaded && !shedExempt.has(queryAt === -1 ? url : url.slice(0, queryAt))) {
      next(shedder.refusal);
      return;
    }
    try {
      if (https.required && !request.secureTransport) assertHttps(https, false, queryAt === -1 ? url : url.slice(0, queryAt));
      assertSafeUrlText(url);
      if (queryAt !== -1) {
        const query = request.query as Record<string, unknown>;
        assertSafeQueryKeys(query, isForbiddenQuery);
        // V2: a repeated parameter is refused unless the route's query schema takes it as a list.
        if (hasRepeatedParameter(query)) assertSingleValuedQuery(query, queryListsByRoute.get(request.routeOptions.config?.portcullis ?? NO_QUERY_LISTS) ?? NO_QUERY_LISTS);
      }
    } catch (error) {
      next(error as Error);
      return;
    }
    if (preflight) {
      reply.code(204).send();
      return;
    }
    deadlines.track(reply, limits.handlerTimeoutMs);
    next();
  });

  // V3: JSON is the only request body we accept; every other media type is 415. The one exception
  // is per route: `config.portcullis.multipart` with a parser in the route's scope (multipart-opt-in.ts).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, function parseJson(request, body, parsed) {
    const contentType = request.raw.headers['content-type'] ?? '';
    if (contentType.includes('charset') && !UTF8_CHARSET.test(contentType)) {
      parsed(new PortcullisError('request.unsupported_media_type', { detail: 'JSON bodies must be UTF-8.' }), undefined);
      return;
    }
    if (request.keepRawBody) request.rawBody = body as string;
    try {
      parsed(null, parseJsonBody(body as string, { maxDepth: request.jsonDepthLimit || limits.jsonDepth, allowDottedKeys }));
    } catch (error) {
      parsed(error as Error, undefined);
    }
  });

  app.setErrorHandler(function answerWithProblem(error, request, reply) {
    const errorId = newErrorId();
    const problem = toProblem(fromFrameworkError(error), errorId, typeBase);
    if (problem.unexpected) {
      request.log.error({ err: error, errorId }, 'unexpected error');
    } else {
      request.log.info({ code: problem.body.code, status: problem.status, errorId }, 'request refused');
      securityEvents.refused(request, problem.body.code);
    }
    reply.code(problem.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem.body));
  });

  // E1: 404 and 405 look the same on every path; 405 adds Allow with the methods that do exist.
  // 404s count against the general limit too, or scanning for routes would be free.
  const notFoundHooks = general === undefined ? {} : { preHandler: rateLimitHooks([general])[0] as Hook };
  app.setNotFoundHandler(notFoundHooks, function answerNotFound(request, reply) {
    const queryAt = request.url.indexOf('?');
    const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
    const allowed: string[] = [];
    for (const method of HTTP_METHODS) {
      if (method !== request.method && routeMethods.has(method) && app.findRoute({ method, url: path }) !== null) allowed.push(method);
    }
    if (allowed.length > 0) {
      reply.send(new PortcullisError('route.method_not_allowed', { headers: { allow: allowed.join(', ') } }));
      return;
    }
    reply.send(new PortcullisError('route.not_found'));
  });

  app.addHook('preClose', function stopAdmitting(next) {
    closing = true;
    next();
  });
  app.addHook('onClose', function stopDeadlines(_instance, next) {
    deadlines.stop();
    shedder?.stop();
    next();
  });
}

function portcullis(app: FastifyInstance, options: PortcullisFastifyOptions, done: (err?: Error) => void): void {
  // A bad configuration must reject `register` (and so refuse to start), not escape as an uncaught throw.
  try {
    wireCheckpoints(app, options);
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
}

/**
 * The Fastify 5 adapter: wires each checkpoint to its hook phase. `onRequest` decides transport
 * (client address, HTTPS), sets the precomputed security, CORS and request-id headers, and refuses
 * forbidden query keys, repeated query parameters and a `%00` in the URL; the JSON parser enforces media type, depth and forbidden keys; one error
 * handler and one not-found handler answer every refusal as problem+json.
 */
export const portcullisPlugin = fastifyPlugin(portcullis, { fastify: '5.x', name: 'portcullis' });
