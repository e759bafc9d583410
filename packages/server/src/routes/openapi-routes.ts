import type { FastifyInstance } from 'fastify';
import { policy } from 'portcullis/authz';
import { cacheOpenApiDocument } from 'portcullis/fastify';
import type { VersionLifecycle } from 'portcullis/headers';
import { z } from 'zod';
import { registerDocsPage } from '../docs/docs-page.js';

/**
 * L1: `GET /openapi.json`, the OpenAPI 3.1 description of every route the inventory lists except
 * the documentation page's own assets (`/docs/...`), and the page itself at `/docs`. Both are
 * public: the document says which policy each route has, never anything a policy protects. It is
 * built once when the app is ready, so a route registered later than the others is still in it.
 */

export interface OpenApiRouteDeps {
  /** Lifecycle of each API version by name (`v1`), to mark deprecated operations. */
  readonly versions: Readonly<Record<string, VersionLifecycle>>;
}

export const OPENAPI_PATH = '/openapi.json';

const noQuery = z.strictObject({});

export function registerOpenApiRoutes(app: FastifyInstance, deps: OpenApiRouteDeps): void {
  const document = cacheOpenApiDocument(app, {
    title: 'Portcullis reference API',
    version: '1.0.0',
    description:
      'The reference API built with Portcullis. Every error is RFC 9457 problem+json with a stable `code`; rate-limit ' +
      'policies are listed per operation under `x-ratelimit-policies`, and announced on each response in the IETF ' +
      '`RateLimit-Policy` and `RateLimit` header fields.',
    exclude: (route) => route.path.startsWith('/docs/'),
    versionOf: (path) => {
      const segment = path.split('/')[1] ?? '';
      return Object.hasOwn(deps.versions, segment) ? deps.versions[segment] : undefined;
    },
  });
  app.get(OPENAPI_PATH, { config: { portcullis: { policy: policy.public(), input: { query: noQuery } } } }, async (_request, reply) => {
    reply.type('application/json; charset=utf-8');
    return document.json();
  });
  registerDocsPage(app);
}
