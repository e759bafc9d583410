/**
 * Server-side pieces of the order route: the body schema every validating variant uses
 * (so validation cost is alike) and the reply every variant sends.
 */
import { z } from 'zod';

/** Strict: an unknown key is a 400, as a mass-assignment-aware API would want. */
export const orderSchema = z.strictObject({
  item: z.string().min(1).max(100),
  quantity: z.number().int().min(1).max(1000),
  note: z.string().max(500).optional(),
});

export const orderReplySchema = z.object({
  id: z.string(),
  item: z.string(),
  quantity: z.number().int(),
});

export type Order = z.infer<typeof orderSchema>;
export type OrderReply = z.infer<typeof orderReplySchema>;

export function orderReply(order: Pick<Order, 'item' | 'quantity'>): OrderReply {
  return { id: 'ord_1', item: order.item, quantity: order.quantity };
}

/** Same refusal body on every validating side, so a 400 costs the same to send. */
export const invalidOrderReply = { error: 'invalid_body' } as const;
