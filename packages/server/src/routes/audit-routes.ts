import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { SECURITY_EVENT_NAMES } from 'portcullis/audit';
import { policy } from 'portcullis/authz';
import { z } from 'zod';
import { queryAuditEvents } from '../db/audit-repository.js';
import type { Database } from '../db/schema.js';
import { auditPage } from './audit-schemas.js';
import { sends } from './common-schemas.js';

/**
 * `GET /v1/admin/audit` (E3): the audit trail for administrators, newest first, at most 100 rows a
 * page, filtered by event name, principal, outcome, client address and time range; `next` is the
 * cursor of the following (older) page. Rows show the event and its fields, never the chain's
 * MACs; the fields were redacted before they were stored. The trail is verified with
 * `npm run cli -- audit verify`, not here: a reader of this endpoint is not the one to trust.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

export interface AuditRouteDeps {
  readonly db: Kysely<Database>;
  readonly authenticate: Hook;
}

export const MAX_AUDIT_PAGE = 100;

const isoTime = z.iso.datetime({ offset: true }).transform((value) => new Date(value).toISOString());

const auditQuery = z
  .strictObject({
    event: z.enum(SECURITY_EVENT_NAMES as [string, ...string[]]).optional(),
    principal: z
      .string()
      .regex(/^(user|api_key):[A-Za-z0-9_-]{1,64}$/, 'user:<id> or api_key:<id>')
      .optional(),
    outcome: z.enum(['success', 'failure', 'denied', 'blocked', 'detected', 'changed', 'error']).optional(),
    address: z.union([z.ipv4(), z.ipv6()]).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    cursor: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).default(50),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, 'from must not be after to');

export function registerAuditRoutes(v1: FastifyInstance, deps: AuditRouteDeps): void {
  v1.get(
    '/admin/audit',
    { onRequest: deps.authenticate, config: { portcullis: { policy: policy.permission('admin:read'), input: { query: auditQuery }, output: sends(auditPage) } } },
    async (request, reply) => {
      const query = request.query as z.infer<typeof auditQuery>;
      const events = await queryAuditEvents(deps.db, {
        event: query.event,
        principal: query.principal,
        outcome: query.outcome,
        address: query.address,
        from: query.from,
        to: query.to,
        before: query.cursor,
        limit: query.limit,
      });
      reply.header('cache-control', 'no-store');
      return { events, next: events.length === query.limit ? String(events[events.length - 1]?.seq) : null };
    },
  );
}
