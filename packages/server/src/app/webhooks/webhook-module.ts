import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { createOutboundClient } from 'portcullis/outbound';
import type { Post } from '../../db/posts-repository.js';
import type { Database } from '../../db/schema.js';
import { registerWebhookRoutes } from '../../routes/webhooks-routes.js';
import type { IdentityKit } from '../auth/identity-kit.js';
import type { WebhookConfig } from './webhook-config.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import type { WebhookEventType } from './webhook-events.js';
import { WebhookService } from './webhook-service.js';

/**
 * Wires webhooks into the app (V7, V9): one SSRF-safe outbound client built from the
 * configuration (its refusals logged as `ssrf.refused`, host only), the service behind the
 * /v1/webhooks routes, and the dispatcher that delivers off the request path. The posts routes
 * report their events through `recordPostEvent`, which never fails the request that caused it:
 * a failure to write the event is logged instead. `close()` drains the dispatcher; the app calls
 * it before the database closes.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

export interface WebhookParts {
  readonly db: Kysely<Database>;
  readonly settings: WebhookConfig;
  /** The identity kit's secret box: AES-256-GCM under ENCRYPTION_KEY, with ENCRYPTION_KEY_PREVIOUS still opening (V9). */
  readonly identity: Pick<IdentityKit, 'sealSecret' | 'openSecret' | 'secretNeedsReseal'>;
  readonly byKeyOr: (scopes: readonly string[]) => Hook[];
  readonly log: FastifyBaseLogger;
}

export interface WebhookModule {
  /** Records a post event for delivery; resolves once it is stored (or its failure logged). */
  recordPostEvent(type: WebhookEventType, post: Post): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

/** Associated data of a sealed webhook secret: it opens only on its own webhook's row. */
export const sealContext = (webhookId: string): string => `webhook:${webhookId}`;

export function registerWebhooks(v1: FastifyInstance, parts: WebhookParts): WebhookModule {
  const { db, settings, identity, log } = parts;
  const client = createOutboundClient({
    allowedPorts: settings.allowedPorts,
    allowAddresses: settings.allowAddresses,
    connectTimeoutMs: Math.min(settings.connectTimeoutMs, settings.timeoutMs),
    timeoutMs: settings.timeoutMs,
    userAgent: 'Portcullis-Webhooks/1',
    // E3: a refused delivery is a security event (log, trail, alerts), outside any request.
    onRefused: (refusal) => void v1.securityEvent('ssrf.refused', { code: refusal.code, host: refusal.host, redirect: refusal.redirect, stage: 'webhook.delivery' }),
  });
  const dispatcher = new WebhookDispatcher({
    db,
    client,
    settings,
    log,
    openSecret: (sealed, webhookId) => identity.openSecret(sealed, sealContext(webhookId)),
    sealSecret: (plaintext, webhookId) => identity.sealSecret(plaintext, sealContext(webhookId)),
    secretNeedsReseal: (sealed) => identity.secretNeedsReseal(sealed),
  });
  const webhooks = new WebhookService({
    db,
    client,
    maxPerUser: settings.maxPerUser,
    sealSecret: (plaintext, webhookId) => identity.sealSecret(plaintext, sealContext(webhookId)),
    wake: () => dispatcher.wake(),
  });
  registerWebhookRoutes(v1, { db, webhooks, byKeyOr: parts.byKeyOr });

  return {
    async recordPostEvent(type, post) {
      try {
        await webhooks.recordPostEvent(type, post);
      } catch (error) {
        log.error({ err: error, event: 'webhook.event_not_recorded', eventType: type, postId: post.id }, 'a post event could not be recorded for webhooks');
      }
    },
    start: () => dispatcher.start(),
    close: () => dispatcher.close(),
  };
}
