import type { Kysely } from 'kysely';
import type { Database, WebhookDeliveryStatus, WebhookAttemptOutcome } from './schema.js';

/**
 * Webhooks, their event outbox, deliveries and attempts (V7, V9). This file stores and fetches;
 * who receives what is decided in app/webhooks. Every query about a webhook a person asked for is
 * scoped to that person's user id, so another user's webhook is simply not found. A delivery is
 * claimed with a conditional update (a lease), so two dispatchers never send the same attempt,
 * and a lease left by a crashed process runs out and the delivery is picked up again.
 */

export interface Webhook {
  readonly id: string;
  readonly userId: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly createdAt: string;
}

export interface WebhookWithSecret extends Webhook {
  readonly secretSealed: string;
}

export interface WebhookEvent {
  readonly id: string;
  readonly type: string;
  readonly body: string;
  readonly onlyWebhookId: string | null;
  readonly createdAt: string;
}

export interface DeliveryAttempt {
  readonly attempt: number;
  readonly attemptedAt: string;
  readonly durationMs: number;
  readonly outcome: WebhookAttemptOutcome;
  readonly statusCode: number | null;
  readonly errorCode: string | null;
}

export interface DeliverySummary {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A claimed delivery with what sending it needs. */
export interface DeliveryToSend {
  readonly id: string;
  readonly attempts: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly body: string;
  readonly webhook: WebhookWithSecret;
}

function toWebhook(row: { id: string; user_id: string; url: string; events: string; created_at: string; secret_sealed: string }): WebhookWithSecret {
  return { id: row.id, userId: row.user_id, url: row.url, events: JSON.parse(row.events) as string[], createdAt: row.created_at, secretSealed: row.secret_sealed };
}

/** The public part of a stored webhook: never its sealed secret. */
export function withoutSecret(webhook: WebhookWithSecret): Webhook {
  return { id: webhook.id, userId: webhook.userId, url: webhook.url, events: webhook.events, createdAt: webhook.createdAt };
}

export async function insertWebhook(db: Kysely<Database>, webhook: WebhookWithSecret): Promise<void> {
  await db
    .insertInto('webhooks')
    .values({ id: webhook.id, user_id: webhook.userId, url: webhook.url, events: JSON.stringify(webhook.events), secret_sealed: webhook.secretSealed, created_at: webhook.createdAt })
    .execute();
}

export async function countWebhooksOf(db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db.selectFrom('webhooks').select((eb) => eb.fn.countAll<number | string>().as('count')).where('user_id', '=', userId).executeTakeFirst();
  return Number(row?.count ?? 0);
}

export async function listWebhooksOf(db: Kysely<Database>, userId: string): Promise<Webhook[]> {
  const rows = await db.selectFrom('webhooks').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
  return rows.map((row) => withoutSecret(toWebhook(row)));
}

/** The caller's webhook with this id; another user's is not found, exactly like a missing one. */
export async function findWebhookOf(db: Kysely<Database>, userId: string, id: string): Promise<WebhookWithSecret | undefined> {
  const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return row === undefined ? undefined : toWebhook(row);
}

/** Deletes the caller's webhook (its deliveries go with it); false when it is not theirs or missing. */
export async function deleteWebhookOf(db: Kysely<Database>, userId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('webhooks').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function updateWebhookSecret(db: Kysely<Database>, id: string, secretSealed: string): Promise<void> {
  await db.updateTable('webhooks').set({ secret_sealed: secretSealed }).where('id', '=', id).execute();
}

/** Every webhook subscribed to `type`, across users, for fanning an event out. */
export async function webhooksSubscribedTo(db: Kysely<Database>, type: string): Promise<Webhook[]> {
  const rows = await db.selectFrom('webhooks').selectAll().orderBy('id').execute();
  return rows.map((row) => withoutSecret(toWebhook(row))).filter((webhook) => webhook.events.includes(type));
}

export async function insertWebhookEvent(db: Kysely<Database>, event: WebhookEvent): Promise<void> {
  await db
    .insertInto('webhook_events')
    .values({ id: event.id, type: event.type, body: event.body, only_webhook_id: event.onlyWebhookId, created_at: event.createdAt, fanned_out_at: null })
    .execute();
}

/** Events not yet turned into deliveries, oldest first. */
export async function eventsToFanOut(db: Kysely<Database>, limit: number): Promise<WebhookEvent[]> {
  const rows = await db.selectFrom('webhook_events').selectAll().where('fanned_out_at', 'is', null).orderBy('created_at').orderBy('id').limit(limit).execute();
  return rows.map((row) => ({ id: row.id, type: row.type, body: row.body, onlyWebhookId: row.only_webhook_id, createdAt: row.created_at }));
}

/**
 * Records one pending delivery per recipient and marks the event fanned out, in one transaction.
 * A delivery that already exists (another dispatcher got there first) is left as it is.
 */
export async function fanOutEvent(db: Kysely<Database>, eventId: string, deliveries: readonly { readonly id: string; readonly webhookId: string }[], now: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (deliveries.length > 0) {
      await trx
        .insertInto('webhook_deliveries')
        .values(
          deliveries.map((delivery) => ({
            id: delivery.id,
            webhook_id: delivery.webhookId,
            event_id: eventId,
            status: 'pending' as const,
            attempts: 0,
            next_attempt_at: now,
            locked_until: null,
            last_status_code: null,
            last_error: null,
            created_at: now,
            updated_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['webhook_id', 'event_id']).doNothing())
        .execute();
    }
    await trx.updateTable('webhook_events').set({ fanned_out_at: now }).where('id', '=', eventId).where('fanned_out_at', 'is', null).execute();
  });
}

/** Ids of pending deliveries whose time has come and which no live lease holds. */
export async function dueDeliveryIds(db: Kysely<Database>, now: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}

/** Takes the lease on a due delivery; false when another dispatcher holds it or it is no longer pending. */
export async function claimDelivery(db: Kysely<Database>, id: string, now: string, leaseUntil: string): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ locked_until: leaseUntil })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A claimed delivery with its event body and webhook, or undefined when the webhook is gone. */
export async function deliveryToSend(db: Kysely<Database>, id: string): Promise<DeliveryToSend | undefined> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .select([
      'd.id as id',
      'd.attempts as attempts',
      'e.id as event_id',
      'e.type as event_type',
      'e.body as body',
      'w.id as webhook_id',
      'w.user_id as user_id',
      'w.url as url',
      'w.events as events',
      'w.secret_sealed as secret_sealed',
      'w.created_at as webhook_created_at',
    ])
    .where('d.id', '=', id)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    attempts: row.attempts,
    eventId: row.event_id,
    eventType: row.event_type,
    body: row.body,
    webhook: toWebhook({ id: row.webhook_id, user_id: row.user_id, url: row.url, events: row.events, secret_sealed: row.secret_sealed, created_at: row.webhook_created_at }),
  };
}

export interface AttemptRecord extends DeliveryAttempt {
  readonly deliveryId: string;
  /** The delivery's state after this attempt. */
  readonly status: WebhookDeliveryStatus;
  readonly nextAttemptAt: string;
}

/** Records an attempt and moves the delivery on (done, failed, or due again later), releasing the lease. */
export async function recordAttempt(db: Kysely<Database>, record: AttemptRecord): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_delivery_attempts')
      .values({
        delivery_id: record.deliveryId,
        attempt: record.attempt,
        attempted_at: record.attemptedAt,
        duration_ms: record.durationMs,
        outcome: record.outcome,
        status_code: record.statusCode,
        error_code: record.errorCode,
      })
      .execute();
    await trx
      .updateTable('webhook_deliveries')
      .set({
        status: record.status,
        attempts: record.attempt,
        next_attempt_at: record.nextAttemptAt,
        locked_until: null,
        last_status_code: record.statusCode,
        last_error: record.errorCode,
        updated_at: record.attemptedAt,
      })
      .where('id', '=', record.deliveryId)
      .execute();
  });
}

/** The webhook's latest deliveries, newest first, each with its attempts in order. */
export async function recentDeliveries(db: Kysely<Database>, webhookId: string, limit: number): Promise<(DeliverySummary & { readonly attemptLog: DeliveryAttempt[] })[]> {
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select([
      'd.id as id',
      'd.event_id as event_id',
      'e.type as event_type',
      'd.status as status',
      'd.attempts as attempts',
      'd.next_attempt_at as next_attempt_at',
      'd.last_status_code as last_status_code',
      'd.last_error as last_error',
      'd.created_at as created_at',
      'd.updated_at as updated_at',
    ])
    .where('d.webhook_id', '=', webhookId)
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(limit)
    .execute();
  const ids = rows.map((row) => row.id);
  const attempts =
    ids.length === 0 ? [] : await db.selectFrom('webhook_delivery_attempts').selectAll().where('delivery_id', 'in', ids).orderBy('delivery_id').orderBy('attempt').execute();
  return rows.map((row) => ({
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    attemptLog: attempts
      .filter((attempt) => attempt.delivery_id === row.id)
      .map((attempt) => ({
        attempt: attempt.attempt,
        attemptedAt: attempt.attempted_at,
        durationMs: attempt.duration_ms,
        outcome: attempt.outcome,
        statusCode: attempt.status_code,
        errorCode: attempt.error_code,
      })),
  }));
}
