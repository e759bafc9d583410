import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { policy } from 'portcullis/authz';
import { PortcullisError } from 'portcullis/errors';
import { z } from 'zod';
import type { IdentityService } from '../app/auth/identity-service.js';
import { changeAccount, listUsersPage, MAX_PAGE_SIZE } from '../db/admin-users-repository.js';
import { clearLockout } from '../db/lockouts-repository.js';
import type { Database } from '../db/schema.js';
import { userRoles } from '../db/schema.js';
import { findUserById, normaliseEmail } from '../db/users-repository.js';
import { requestContext } from './auth-routes.js';
import { accountChangedView, adminUserList, routeInventoryView } from './admin-schemas.js';
import { agentHeaders, noBody, sends, sendsNothing } from './common-schemas.js';

/**
 * Administration (Z1, L3, issue 6's admin functions), for admins only: `GET /v1/admin/routes`
 * lists every route with its method, path, policy, rate-limit policies and which inputs a schema
 * checks, and flags gaps; `/v1/admin/users` lists accounts a page at a time (cursor, at most 100),
 * changes a role, disables (`DELETE`) or re-enables an account, and clears a login lockout. A role
 * change or a disable ends every session of that user at once, so no access token keeps the old
 * rights; the last active admin can be neither demoted nor disabled.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

export interface AdminRouteDeps {
  readonly db: Kysely<Database>;
  readonly kind: 'sqlite' | 'postgres';
  readonly identity: IdentityService;
  readonly authenticate: Hook;
}

const userParams = z.strictObject({ id: z.uuid() });
const listQuery = z.strictObject({ after: z.uuid().optional(), limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50) });
const changeBody = z
  .strictObject({ role: z.enum(userRoles).optional(), status: z.enum(['active', 'disabled']).optional() })
  .refine((body) => body.role !== undefined || body.status !== undefined, 'give role, status or both');

const READ = policy.permission('admin:read');
const WRITE = policy.permission('admin:write');

export function registerAdminRoutes(v1: FastifyInstance, deps: AdminRouteDeps): void {
  const { db, identity, authenticate } = deps;

  v1.get('/admin/routes', { onRequest: authenticate, config: { portcullis: { policy: READ, output: sends(routeInventoryView) } } }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const routes = v1.portcullisRoutes().sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
    return { routes, gaps: routes.filter((route) => route.gaps.length > 0).length };
  });

  v1.get('/admin/users', { onRequest: authenticate, config: { portcullis: { policy: READ, input: { query: listQuery }, output: sends(adminUserList) } } }, async (request, reply) => {
    const { after, limit } = request.query as z.infer<typeof listQuery>;
    const users = await listUsersPage(db, after, limit);
    reply.header('cache-control', 'no-store');
    return { users, next: users.length === limit ? users[users.length - 1]?.id : null };
  });

  const change = async (request: FastifyRequest, id: string, body: z.infer<typeof changeBody>) => {
    const outcome = await changeAccount(db, deps.kind, id, body);
    if (outcome === 'not_found') throw new PortcullisError('user.not_found');
    if (outcome === 'last_admin') throw new PortcullisError('user.last_admin');
    const revokedSessions = await identity.logoutAll(id, requestContext(request));
    await request.securityEvent('admin.user_changed', { userId: id, by: request.principal?.userId, ...body, revokedSessions });
    const user = await findUserById(db, id);
    // Gone between the change and this read: answered as missing, not as a body without role and status.
    if (user === undefined) throw new PortcullisError('user.not_found');
    return { id, role: user.role, status: user.status };
  };

  v1.patch('/admin/users/:id', { onRequest: authenticate, config: { portcullis: { policy: WRITE, input: { params: userParams, body: changeBody, headers: agentHeaders }, output: sends(accountChangedView) } } }, async (request) => {
    const { id } = request.params as z.infer<typeof userParams>;
    return change(request, id, request.body as z.infer<typeof changeBody>);
  });

  v1.delete('/admin/users/:id', { onRequest: authenticate, config: { portcullis: { policy: WRITE, input: { params: userParams, headers: agentHeaders }, output: sendsNothing } } }, async (request, reply) => {
    const { id } = request.params as z.infer<typeof userParams>;
    await change(request, id, { status: 'disabled' });
    return reply.code(204).send();
  });

  v1.post('/admin/users/:id/unlock', { onRequest: authenticate, config: { portcullis: { policy: WRITE, input: { params: userParams, body: noBody }, output: sendsNothing } } }, async (request, reply) => {
    const { id } = request.params as z.infer<typeof userParams>;
    const user = await findUserById(db, id);
    if (user === undefined) throw new PortcullisError('user.not_found');
    await clearLockout(db, normaliseEmail(user.email));
    await request.securityEvent('admin.user_unlocked', { userId: id, by: request.principal?.userId });
    return reply.code(204).send();
  });
}
