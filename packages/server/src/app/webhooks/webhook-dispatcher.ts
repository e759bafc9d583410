import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import { isPortcullisError } from 'portcullis/errors';
import { WEBHOOK_SIGNATURE_HEADER, isSsrfRefusal, signWebhookPayload, type OutboundClient } from 'portcullis/outbound';
import { orgRolesOf } from '../../db/organisations-repository.js';
import type { Database, WebhookAttemptOutcome } from '../../db/schema.js';
import { findUserById } from '../../db/users-repository.js';
import {
  claimDelivery,
  deliveryToSend,
  dueDeliveryIds,
  eventsToFanOut,
  fanOutEvent,
  recordAttempt,
  updateWebhookSecret,
  webhooksSubscribedTo,
  type DeliveryToSend,
  type WebhookEvent,
} from '../../db/webhooks-repository.js';
import type { PostCaller } from '../posts/post-access.js';
import type { WebhookConfig } from './webhook-config.js';
import { RBAC } from '../permissions.js';
import { TEST_EVENT_TYPE, postFactsOf, webhookOwnerMayReceive } from './webhook-events.js';

/**
 * Sends webhook deliveries off the request path (V7). Each round it (1) turns outbox events into
 * one pending delivery per recipient that may see the post (webhook-events.ts), recorded before
 * anything is sent, then (2) claims due deliveries with a lease and sends each through the
 * SSRF-safe client, signed with the webhook's secret over timestamp and body, and records the
 * attempt: success on 2xx; a refusal by the SSRF rules fails at once (the address will not become
 * public by retrying); anything else is retried with exponential backoff until the attempts run
 * out. Retries may be spread over hours, so before every attempt the owner is judged again as at
 * fan-out (active, and still allowed to see the post as it was at the event): a delivery its owner
 * may no longer receive is cancelled (recorded as failed with `webhook.delivery_cancelled`, never
 * sent, never retried). Everything lives in the database, so a restart resumes pending work (at-least-once: an
 * attempt cut short by a crash is sent again once its lease runs out). `close()` stops taking
 * work and waits for the round in flight, whose sends are bounded by the attempt timeout.
 */

export interface DispatcherDeps {
  readonly db: Kysely<Database>;
  readonly client: OutboundClient;
  readonly settings: WebhookConfig;
  readonly log: FastifyBaseLogger;
  /** Opens a sealed webhook secret (bound to the webhook id), and says when to re-seal it. */
  readonly openSecret: (sealed: string, webhookId: string) => string;
  readonly sealSecret: (plaintext: string, webhookId: string) => string;
  readonly secretNeedsReseal: (sealed: string) => boolean;
  readonly now?: () => number;
}

const FAN_OUT_BATCH = 50;
const SEND_BATCH = 8;
const MAX_SEND_BATCHES_PER_ROUND = 10;
/** An answer to a webhook is not read; this is plenty for an acknowledgement. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The error code recorded on a delivery cancelled because its owner may no longer receive it. */
export const DELIVERY_CANCELLED = 'webhook.delivery_cancelled';

const newDeliveryId = (): string => `whd_${randomBytes(12).toString('base64url')}`;

/** Wait before attempt `attempt + 1`: base, 2x base, 4x base, ... up to the maximum. */
export function retryDelayMs(attempt: number, settings: Pick<WebhookConfig, 'retryBaseMs' | 'retryMaxMs'>): number {
  return Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.max(0, attempt - 1));
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closing = false;
  private readonly now: () => number;

  constructor(private readonly deps: DispatcherDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    if (this.timer !== undefined || this.closing) return;
    this.timer = setInterval(() => this.wake(), this.deps.settings.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Runs a round now, or right after the one in flight. */
  wake(): void {
    if (this.closing) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((error: unknown) => this.deps.log.warn({ err: error, event: 'webhook.dispatch_failed' }, 'webhook dispatch round failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.closing) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Stops taking work and waits for the round in flight to finish. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async round(): Promise<void> {
    await this.fanOut();
    for (let batch = 0; batch < MAX_SEND_BATCHES_PER_ROUND && !this.closing; batch++) {
      const claimed = await this.claimDue();
      if (claimed.length === 0) return;
      await Promise.all(claimed.map((id) => this.deliver(id)));
    }
  }

  private async fanOut(): Promise<void> {
    const events = await eventsToFanOut(this.deps.db, FAN_OUT_BATCH);
    for (const event of events) {
      if (this.closing) return;
      const recipients = await this.recipientsOf(event);
      await fanOutEvent(this.deps.db, event.id, recipients.map((webhookId) => ({ id: newDeliveryId(), webhookId })), new Date(this.now()).toISOString());
    }
  }

  private async recipientsOf(event: WebhookEvent): Promise<string[]> {
    if (event.type === TEST_EVENT_TYPE) return event.onlyWebhookId === null ? [] : [event.onlyWebhookId];
    const post = postFactsOf(event.body);
    if (post === undefined) return [];
    const owners = new Map<string, PostCaller | undefined>();
    const recipients: string[] = [];
    for (const webhook of await webhooksSubscribedTo(this.deps.db, event.type)) {
      if (!owners.has(webhook.userId)) owners.set(webhook.userId, await this.ownerAsCaller(webhook.userId));
      if (webhookOwnerMayReceive(owners.get(webhook.userId), post)) recipients.push(webhook.id);
    }
    return recipients;
  }

  /** The webhook's owner as the post rules see a signed-in person; undefined unless active. */
  private async ownerAsCaller(userId: string): Promise<PostCaller | undefined> {
    const user = await findUserById(this.deps.db, userId);
    if (user === undefined || user.status !== 'active') return undefined;
    return { userId: user.id, globalRole: user.role, orgRoles: await orgRolesOf(this.deps.db, user.id) };
  }

  /**
   * Whether the delivery may still go out now: the fan-out rule re-run with the owner as they are
   * at send time (a test ping needs only an active owner still holding `webhooks:manage`).
   */
  private async ownerMayStillReceive(delivery: DeliveryToSend): Promise<boolean> {
    const owner = await this.ownerAsCaller(delivery.webhook.userId);
    if (owner === undefined) return false;
    if (delivery.eventType === TEST_EVENT_TYPE) return RBAC.can(owner.globalRole, 'webhooks:manage');
    const post = postFactsOf(delivery.body);
    return post !== undefined && webhookOwnerMayReceive(owner, post);
  }

  private async claimDue(): Promise<string[]> {
    const now = this.now();
    const nowText = new Date(now).toISOString();
    // The lease outlives the longest attempt, so nobody else sends while this one is in flight.
    const leaseUntil = new Date(now + this.deps.settings.timeoutMs + 30_000).toISOString();
    const claimed: string[] = [];
    for (const id of await dueDeliveryIds(this.deps.db, nowText, SEND_BATCH)) {
      if (await claimDelivery(this.deps.db, id, nowText, leaseUntil)) claimed.push(id);
    }
    return claimed;
  }

  private secretOf(delivery: DeliveryToSend): string {
    const { webhook } = delivery;
    const secret = this.deps.openSecret(webhook.secretSealed, webhook.id);
    if (this.deps.secretNeedsReseal(webhook.secretSealed)) {
      // Sealed under a previous ENCRYPTION_KEY: re-seal under the current one (V9 rotation).
      void updateWebhookSecret(this.deps.db, webhook.id, this.deps.sealSecret(secret, webhook.id)).catch(() => undefined);
    }
    return secret;
  }

  private async deliver(id: string): Promise<void> {
    const delivery = await deliveryToSend(this.deps.db, id);
    if (delivery === undefined) return;
    const attempt = delivery.attempts + 1;
    const started = this.now();
    let statusCode: number | null = null;
    let errorCode: string | null = null;
    let permanent = false;
    if (!(await this.ownerMayStillReceive(delivery))) {
      await this.cancel(delivery, attempt, started);
      return;
    }
    try {
      const secret = this.secretOf(delivery);
      const response = await this.deps.client.request(delivery.webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [WEBHOOK_SIGNATURE_HEADER]: signWebhookPayload(secret, delivery.body, Math.floor(this.now() / 1000)),
          'portcullis-webhook-id': delivery.webhook.id,
          'portcullis-event-id': delivery.eventId,
          'portcullis-event-type': delivery.eventType,
          'portcullis-delivery-id': delivery.id,
          'portcullis-delivery-attempt': String(attempt),
        },
        body: delivery.body,
        // The signature is the receiver's proof of origin: it never follows a redirect elsewhere.
        credentialHeaders: [WEBHOOK_SIGNATURE_HEADER],
        maxResponseBytes: MAX_ANSWER_BYTES,
      });
      statusCode = response.status;
    } catch (error) {
      errorCode = isPortcullisError(error) ? error.code : 'internal.unexpected';
      // A body the receiver redirected to another origin with 307/308 is not re-sent there, ever.
      permanent = isSsrfRefusal(error) || (isPortcullisError(error) && (error.code === 'storage.secret_unreadable' || error.code === 'outbound.redirect_refused'));
    }
    const finished = this.now();
    const succeeded = statusCode !== null && statusCode >= 200 && statusCode <= 299;
    const outcome: WebhookAttemptOutcome = succeeded ? 'succeeded' : permanent || attempt >= this.deps.settings.maxAttempts ? 'failed' : 'retry';
    const nextAttemptAt = new Date(outcome === 'retry' ? finished + retryDelayMs(attempt, this.deps.settings) : finished).toISOString();
    await recordAttempt(this.deps.db, {
      deliveryId: delivery.id,
      attempt,
      attemptedAt: new Date(started).toISOString(),
      durationMs: Math.max(0, finished - started),
      outcome,
      statusCode,
      errorCode,
      status: outcome === 'retry' ? 'pending' : outcome,
      nextAttemptAt,
    });
    if (!succeeded) {
      this.deps.log.warn(
        {
          event: 'webhook.delivery_failed',
          webhookId: delivery.webhook.id,
          userId: delivery.webhook.userId,
          deliveryId: delivery.id,
          eventType: delivery.eventType,
          attempt,
          statusCode,
          errorCode,
          // The host only: a webhook URL's path and query may carry the receiver's token.
          host: hostOf(delivery.webhook.url),
          willRetry: outcome === 'retry',
          nextAttemptAt: outcome === 'retry' ? nextAttemptAt : undefined,
        },
        'webhook delivery attempt failed',
      );
    }
  }

  /** Records a delivery its owner may no longer receive as failed, without sending it. */
  private async cancel(delivery: DeliveryToSend, attempt: number, at: number): Promise<void> {
    const when = new Date(at).toISOString();
    await recordAttempt(this.deps.db, {
      deliveryId: delivery.id,
      attempt,
      attemptedAt: when,
      durationMs: 0,
      outcome: 'failed',
      statusCode: null,
      errorCode: DELIVERY_CANCELLED,
      status: 'failed',
      nextAttemptAt: when,
    });
    this.deps.log.info(
      { event: 'webhook.delivery_cancelled', webhookId: delivery.webhook.id, userId: delivery.webhook.userId, deliveryId: delivery.id, eventType: delivery.eventType, attempt },
      'webhook delivery cancelled: the owner may no longer receive it',
    );
  }
}
