import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../app/webhooks/webhook-events.js';
import { webhookAttemptOutcomes, webhookDeliveryStatuses } from '../db/schema.js';

/** Bodies and parameters of the /v1/webhooks routes: strict, so an unknown member is a 400. */

export const createWebhookBody = z.strictObject({
  // Shape only here; the outbound rules (scheme, credentials, port, address) are checked by the service.
  url: z.string().trim().min(1).max(2048),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1)
    .max(WEBHOOK_EVENT_TYPES.length)
    .refine((events) => new Set(events).size === events.length, 'list each event once'),
});

export const webhookParams = z.strictObject({ id: z.string().regex(/^wh_[A-Za-z0-9_-]{16}$/) });

/**
 * What the /v1/webhooks routes send (V6, L1). Plain (stripping) objects: a column added to a
 * webhook row (its owner, its sealed secret) never leaves unless it is named here. Event names
 * are strings, not the current list: a stored webhook or delivery may name an event type retired
 * since, and reading it must not fail.
 */
export const webhookView = z.object({ id: z.string(), url: z.string(), events: z.array(z.string()), createdAt: z.string() });
/** Only for the creation answer (sent with no-store): the signing secret, shown this once. */
export const createdWebhookView = webhookView.extend({ secret: z.string() });
export const webhookList = z.object({ webhooks: z.array(webhookView) });

const deliveryAttemptView = z.object({
  attempt: z.int(),
  attemptedAt: z.string(),
  durationMs: z.number(),
  outcome: z.enum(webhookAttemptOutcomes),
  statusCode: z.int().nullable(),
  errorCode: z.string().nullable(),
});
const deliveryView = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(webhookDeliveryStatuses),
  attempts: z.int(),
  nextAttemptAt: z.string(),
  lastStatusCode: z.int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  attemptLog: z.array(deliveryAttemptView),
});
/** One webhook with its latest deliveries and their attempts. */
export const webhookWithDeliveriesView = webhookView.extend({ deliveries: z.array(deliveryView) });
/** A test ping is queued (202), not sent: the answer names its event. */
export const queuedTestEventView = z.object({ eventId: z.string() });
