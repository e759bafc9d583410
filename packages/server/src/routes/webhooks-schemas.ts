import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../app/webhooks/webhook-events.js';

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
