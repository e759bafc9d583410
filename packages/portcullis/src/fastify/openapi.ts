/**
 * L1 in Fastify: the OpenAPI document of an app, from the same route table the inventory (L3)
 * lists. When a route is registered, its schemas, policy, rate-limit policies and the credentials
 * its authentication hooks take are kept beside the inventory (the inventory itself stays plain
 * data for the CLI and the admin endpoint). The document is built once, when the app is ready and
 * every route is known, and served from memory afterwards.
 */
import type { FastifyInstance } from 'fastify';
import { isRoutePolicy } from '../authz/index.js';
import { PortcullisError } from '../errors/index.js';
import type { VersionLifecycle } from '../headers/index.js';
import { buildOpenApiDocument, type OpenApiDocument, type OpenApiDocumentOptions, type OpenApiRoute } from '../openapi/index.js';
import { credentialKindsOf } from './openapi-credentials.js';
import type { RouteRateLimit } from './rate-limit-hooks.js';
import type { RouteInventoryEntry } from './route-authorization.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** What the OpenAPI document says of each route, by `METHOD path` (L1). */
    portcullisRouteDescriptions(): ReadonlyMap<string, OpenApiRoute>;
  }
}

/**
 * Keeps each route's description as it is registered. The plugin calls it; `general` is the
 * general rate limit every route gets unless it opts out.
 */
export function collectRouteDescriptions(app: FastifyInstance, general: RouteRateLimit | undefined): void {
  const descriptions = new Map<string, OpenApiRoute>();
  app.decorate('portcullisRouteDescriptions', () => descriptions);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const config = route.config?.portcullis;
    const routeLimit = config?.rateLimit;
    const limits =
      routeLimit === false ? [] : [...(general !== undefined && routeLimit?.general !== false ? [general] : []), ...(routeLimit?.limits ?? [])];
    const rateLimits = limits.map(({ policy }) => ({ name: policy.name, limit: policy.spec.limit, windowMs: policy.spec.windowMs, algorithm: policy.spec.algorithm }));
    const credentials = credentialKindsOf(route.onRequest, route.preValidation, route.preHandler);
    const policy = isRoutePolicy(config?.policy) ? config.policy : undefined;
    for (const method of methods) {
      descriptions.set(`${method} ${route.url}`, { method, path: route.url, policy, input: config?.input, output: config?.output, credentials, rateLimits, multipart: config?.multipart?.description });
    }
  });
}

export interface OpenApiForAppOptions extends OpenApiDocumentOptions {
  /** Routes to leave out of the document (e.g. the documentation page's own assets). */
  readonly exclude?: (route: RouteInventoryEntry) => boolean;
  /** The lifecycle of the API version a path belongs to: deprecated versions' operations are marked so. */
  readonly versionOf?: (path: string) => VersionLifecycle | undefined;
}

/**
 * The document of every inventoried route of `app` (call it once every route is registered).
 *
 * @example
 * await app.ready();
 * const document = openApiDocumentOf(app, { title: 'Example API', version: '1.0.0' });
 */
export function openApiDocumentOf(app: FastifyInstance, options: OpenApiForAppOptions): OpenApiDocument {
  const descriptions = app.portcullisRouteDescriptions();
  const routes: OpenApiRoute[] = [];
  for (const entry of app.portcullisRoutes()) {
    if (options.exclude?.(entry) === true) continue;
    const description = descriptions.get(`${entry.method} ${entry.path}`) ?? { method: entry.method, path: entry.path };
    const lifecycle = options.versionOf?.(entry.path);
    const sunset = lifecycle?.goneFrom;
    routes.push({
      ...description,
      ...(lifecycle !== undefined && lifecycle.status !== 'current' ? { deprecated: true } : {}),
      ...(sunset !== undefined && sunset > 0 ? { sunset: new Date(sunset) } : {}),
    });
  }
  return buildOpenApiDocument(routes, options);
}

export interface CachedOpenApiDocument {
  /** The document as JSON text, built when the app became ready. */
  json(): string;
}

/**
 * Builds the document when `app` becomes ready (a route that the document cannot hold fails the
 * start) and keeps its JSON text for serving.
 *
 * @example
 * const openapi = cacheOpenApiDocument(app, { title: 'Example API', version: '1.0.0' });
 * app.get('/openapi.json', routeOptions, (_request, reply) => reply.type('application/json').send(openapi.json()));
 */
export function cacheOpenApiDocument(app: FastifyInstance, options: OpenApiForAppOptions): CachedOpenApiDocument {
  let json: string | undefined;
  app.addHook('onReady', function buildOpenApiDocument(done) {
    try {
      json = JSON.stringify(openApiDocumentOf(app, options));
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });
  return {
    json() {
      if (json === undefined) throw new PortcullisError('service.unavailable', { detail: 'The API description is not built yet.' });
      return json;
    },
  };
}
