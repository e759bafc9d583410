import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { policy } from 'portcullis/authz';

/**
 * Administration (Z1, L3). `GET /v1/admin/routes` lists every route with its method, path, policy,
 * rate-limit policies and which inputs a schema checks, and flags gaps; admins only (permission
 * `admin:read`, which API keys of admins may carry).
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

export function registerAdminRoutes(v1: FastifyInstance, deps: { readonly authenticate: Hook }): void {
  v1.get('/admin/routes', { onRequest: deps.authenticate, config: { portcullis: { policy: policy.permission('admin:read') } } }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const routes = v1.portcullisRoutes().sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
    return { routes, gaps: routes.filter((route) => route.gaps.length > 0).length };
  });
}
