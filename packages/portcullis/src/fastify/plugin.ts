import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { createCorsPolicy } from '../cors/index.js';
import { PortcullisError, PROBLEM_CONTENT_TYPE, newErrorId, toProblem } from '../errors/index.js';
import { buildSecurityHeaders } from '../headers/index.js';
import { isForbiddenQueryKey, parseJsonBody, assertSafeQueryKeys } from '../input/index.js';
import { canonicalAddress, createHttpsPolicy, createProxyTrust, resolveTransport } from '../transport/index.js';
import { fromFrameworkError } from './framework-errors.js';
import { HandlerDeadlines } from './handler-deadline.js';
import { DEFAULT_LIMITS, type PortcullisFastifyOptions, type PortcullisRouteConfig } from './options.js';
import { REQUEST_ID_HEADER } from './request-id.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Canonical client address, from the socket or a trusted proxy's X-Forwarded-For (T1). */
    clientAddress: string;
    /** Whether the client's leg was HTTPS. */
    secureTransport: boolean;
  }
  interface FastifyContextConfig {
    portcullis?: PortcullisRouteConfig;
  }
}

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

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

function wireCheckpoints(app: FastifyInstance, options: PortcullisFastifyOptions): void {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  // Everything below is computed once; the hooks only read it.
  const securityHeaders = buildSecurityHeaders(options.headers);
  const alwaysHeaders = securityHeaders.always;
  const httpsHeaders = securityHeaders.httpsOnly;
  const cors = options.cors === undefined || options.cors === false ? undefined : createCorsPolicy(options.cors);
  const trust = createProxyTrust(options.transport?.trustedProxies ?? []);
  const https = createHttpsPolicy(options.transport?.requireHttps ?? true, options.transport?.httpsExemptPaths ?? []);
  const allowDottedKeys = options.input?.allowDottedKeys ?? false;
  const isForbiddenQuery = (key: string): boolean => isForbiddenQueryKey(key, allowDottedKeys);
  const typeBase = options.problemTypeBase;
  const deadlines = new HandlerDeadlines(Math.max(10, Math.min(250, Math.floor(limits.handlerTimeoutMs / 4))));
  const releaseDefaultDeadline = (_request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction): void => {
    deadlines.release(reply);
    next();
  };
  const routeMethods = new Set<string>();
  let closing = false;

  app.decorateRequest('clientAddress', '');
  app.decorateRequest('secureTransport', false);

  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) routeMethods.add(method);
    // A route with its own Fastify `handlerTimeout` is timed by Fastify alone.
    if (typeof route.handlerTimeout === 'number' && route.handlerTimeout > 0) {
      const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
      route.onRequest = [releaseDefaultDeadline, ...own] as typeof route.onRequest;
    }
  });

  app.addHook('onRequest', function admitRequest(request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) {
    const raw = request.raw;
    const headers = raw.headers;
    const socket = raw.socket;
    const encrypted = (socket as { encrypted?: boolean }).encrypted === true;
    if (trust.enabled) {
      const facts = resolveTransport(
        encrypted,
        socket.remoteAddress,
        headers['x-forwarded-for'] as string | undefined,
        headers['x-forwarded-proto'] as string | undefined,
        trust,
      );
      request.clientAddress = facts.clientAddress;
      request.secureTransport = facts.secure;
    } else {
      request.clientAddress = (socket.remoteAddress === undefined ? undefined : canonicalAddress(socket.remoteAddress)) ?? '0.0.0.0';
      request.secureTransport = encrypted;
    }

    reply.headers(alwaysHeaders);
    if (request.secureTransport) reply.headers(httpsHeaders);
    reply.header(REQUEST_ID_HEADER, request.id);

    let preflight = false;
    if (cors !== undefined) {
      const origin = headers.origin;
      preflight = raw.method === 'OPTIONS' && origin !== undefined && headers['access-control-request-method'] !== undefined;
      const corsHeaders = preflight ? cors.forPreflight(origin) : cors.forRequest(origin);
      if (corsHeaders !== undefined) reply.headers(corsHeaders);
      else if (cors.variesByOrigin) reply.header('vary', 'Origin');
    }

    if (closing) {
      next(new PortcullisError('service.shutting_down', { headers: { 'retry-after': '5', connection: 'close' } }));
      return;
    }
    const url = raw.url ?? '/';
    const queryAt = url.indexOf('?');
    try {
      if (https.required) https.exemptPaths.size === 0 ? assertHttpsFast(request.secureTransport) : assertHttpsFor(request.secureTransport, queryAt === -1 ? url : url.slice(0, queryAt));
      if (queryAt !== -1) assertSafeQueryKeys(request.query as Record<string, unknown>, isForbiddenQuery);
    } catch (error) {
      next(error as Error);
      return;
    }
    if (preflight) {
      reply.code(204).send();
      return;
    }
    deadlines.track(reply, Date.now() + limits.handlerTimeoutMs);
    next();
  });

  function assertHttpsFast(secure: boolean): void {
    if (!secure) throw httpsRequired();
  }
  function assertHttpsFor(secure: boolean, path: string): void {
    if (!secure && !https.exemptPaths.has(path)) throw httpsRequired();
  }
  function httpsRequired(): PortcullisError {
    return new PortcullisError('transport.https_required', {
      detail: 'This API is served over HTTPS only. Do not retry over plain HTTP: credentials sent that way may already be exposed.',
    });
  }

  // V3: JSON is the only request body we accept; every other media type is 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, function parseJson(request, body, parsed) {
    const contentType = request.headers['content-type'] ?? '';
    if (contentType.includes('charset') && !/charset="?utf-8"?\s*(;|$)/i.test(contentType)) {
      parsed(new PortcullisError('request.unsupported_media_type', { detail: 'JSON bodies must be UTF-8.' }), undefined);
      return;
    }
    try {
      const maxDepth = request.routeOptions.config?.portcullis?.jsonDepth ?? limits.jsonDepth;
      parsed(null, parseJsonBody(body as string, { maxDepth, allowDottedKeys }));
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
    }
    reply.code(problem.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem.body));
  });

  // E1: 404 and 405 look the same on every path; 405 adds Allow with the methods that do exist.
  app.setNotFoundHandler(function answerNotFound(request, reply) {
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
    next();
  });
}

/**
 * The Fastify 5 adapter: wires each checkpoint to its hook phase. `onRequest` decides transport
 * (client address, HTTPS), sets the precomputed security headers, the request id and CORS, and
 * refuses forbidden query keys; the JSON parser enforces media type, depth and forbidden keys; one
 * error handler and one not-found handler answer every refusal as problem+json.
 */
export const portcullisPlugin = fastifyPlugin(portcullis, { fastify: '5.x', name: 'portcullis' });
