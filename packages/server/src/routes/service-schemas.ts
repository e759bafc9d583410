import { z } from 'zod';

/**
 * What the service says of itself (V6, L1): the probes `/health` and `/ready`, and the `/v1`
 * index. A not-ready instance answers 503 problem+json, not this body.
 */
export const liveView = z.object({ status: z.literal('ok') });
export const readyView = z.object({ status: z.literal('ready'), checks: z.object({ database: z.literal('ok'), redis: z.enum(['ok', 'not_configured']) }) });
export const v1IndexView = z.object({ name: z.string(), version: z.string() });
