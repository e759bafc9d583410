import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { policy } from 'portcullis/authz';
import { PortcullisError } from 'portcullis/errors';
import { isSsrfRefusal } from 'portcullis/outbound';
import type { z } from 'zod';
import type { WebhookService } from '../app/webhooks/webhook-service.js';
import type { Database } from '../db/schema.js';
import { findUserById } from '../db/users-repository.js';
import type { Webhook } from '../db/webhooks-repository.js';
import { noBody, sends, sendsNothing, routeConfig as route } from './common-schemas.js';
import { createdWebhookView, createWebhookBody, queuedTestEventView, webhookList, webhookParams, webhookWithDeliveriesView } from './webhooks-schemas.js';

/**
 * /v1/webhooks (V7, V9). Who may: every role holds `webhooks:manage` (a person manages their own
 * webhooks); an API key needs that scope, and to create one also `posts:read`, because a webhook
 * receives post events as its owner and a key must not gain through a webhook what it could not
 * read itself. Each handler scopes its query to the caller's user id: another user's webhook
 * answers 404 `webhook.not_found`, exactly like a missing one. The secret appears once, in the
 * creation answer, with `Cache-Control: no-store`. Log lines name the URL's host only, never
 * its path or query (a receiver's token often lives there).
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

export interface WebhookRouteDeps {
  readonly db: Kysely<Database>;
  readonly webhooks: WebhookService;
  /** onRequest hooks: an API key holding `scopes`, or else a bearer access token. */
  readonly byKeyOr: (scopes: readonly string[]) => Hook[];
}

const OWN = "the caller's own webhooks (queries scoped to the caller)";

function publicWebhook(webhook: Webhook) {
  return { id: webhook.id, url: webhook.url, events: webhook.events, createdAt: webhook.createdAt };
}

function hostOf(raw: string): string | undefined {
  try {
    return new URL(raw).host;
  } catch {
    return undefined;
  }
}

export function registerWebhookRoutes(v1: FastifyInstance, deps: WebhookRouteDeps): void {
  const { db, webhooks, byKeyOr } = deps;

  /** The active account behind the credential (a person or an API key's owner). */
  const callerId = async (request: FastifyRequest): Promise<string> => {
    const userId = request.principal?.userId ?? request.apiKey?.key.userId;
    const user = userId === undefined ? undefined : await findUserById(db, userId);
    if (user === undefined || user.status !== 'active') throw new PortcullisError('auth.unauthenticated');
    return user.id;
  };

  v1.post(
    '/webhooks',
    {
      onRequest: byKeyOr(['webhooks:manage', 'posts:read']),
      config: route(policy.owned(policy.permission('webhooks:manage', 'posts:read'), OWN), { body: createWebhookBody }, sends(createdWebhookView, 201)),
    },
    async (request, reply) => {
      const body = request.body as z.infer<typeof createWebhookBody>;
      const userId = await callerId(request);
      let created;
      try {
        created = await webhooks.create(userId, body);
      } catch (error) {
        if (isSsrfRefusal(error)) {
          await request.securityEvent('ssrf.refused', { code: error.code, host: hostOf(body.url), stage: 'webhook.create' });
        }
        throw error;
      }
      await request.securityEvent('webhook.created', { webhookId: created.id, host: hostOf(created.url), events: created.events.join(',') });
      reply.code(201).header('cache-control', 'no-store').header('location', `/v1/webhooks/${created.id}`);
      return { ...publicWebhook(created), secret: created.secret };
    },
  );

  v1.get('/webhooks', { onRequest: byKeyOr(['webhooks:manage']), config: route(policy.owned(policy.permission('webhooks:manage'), OWN), {}, sends(webhookList)) }, async (request) => ({
    webhooks: (await webhooks.list(await callerId(request))).map(publicWebhook),
  }));

  v1.get(
    '/webhooks/:id',
    { onRequest: byKeyOr(['webhooks:manage']), config: route(policy.owned(policy.permission('webhooks:manage'), OWN), { params: webhookParams }, sends(webhookWithDeliveriesView)) },
    async (request) => {
      const { id } = request.params as z.infer<typeof webhookParams>;
      const found = await webhooks.get(await callerId(request), id);
      return { ...publicWebhook(found), deliveries: found.deliveries };
    },
  );

  v1.delete(
    '/webhooks/:id',
    { onRequest: byKeyOr(['webhooks:manage']), config: route(policy.owned(policy.permission('webhooks:manage'), OWN), { params: webhookParams }, sendsNothing) },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof webhookParams>;
      const userId = await callerId(request);
      await webhooks.remove(userId, id);
      await request.securityEvent('webhook.deleted', { webhookId: id });
      return reply.code(204).send();
    },
  );

  v1.post(
    '/webhooks/:id/test',
    { onRequest: byKeyOr(['webhooks:manage']), config: route(policy.owned(policy.permission('webhooks:manage'), OWN), { params: webhookParams, body: noBody }, sends(queuedTestEventView, 202)) },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof webhookParams>;
      const eventId = await webhooks.test(await callerId(request), id);
      reply.code(202);
      return { eventId };
    },
  );
}
