import { z } from 'zod';

/**
 * What `GET /v1/admin/audit` sends (V6, L1): each row's event and its (already redacted) fields,
 * never the chain's MACs. Event names and outcomes are plain strings: a row keeps the name it was
 * written with, even after the catalogue changes. `fields` differ from one event to the next.
 */
export const auditEventView = z.object({
  seq: z.int(),
  at: z.string(),
  event: z.string(),
  requestId: z.string().nullable(),
  principal: z.string().nullable(),
  clientAddress: z.string().nullable(),
  method: z.string().nullable(),
  route: z.string().nullable(),
  outcome: z.string(),
  fields: z.record(z.string(), z.unknown()),
});

/** `next`: the cursor of the following (older) page, or null on the last one. */
export const auditPage = z.object({ events: z.array(auditEventView), next: z.string().nullable() });
