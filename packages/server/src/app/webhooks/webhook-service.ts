import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { PortcullisError } from 'portcullis/errors';
import type { OutboundClient } from 'portcullis/outbound';
import type { Database } from '../../db/schema.js';
import type { Post } from '../../db/posts-repository.js';
import {
  countWebhooksOf,
  deleteWebhookOf,
  findWebhookOf,
  insertWebhook,
  insertWebhookEvent,
  listWebhooksOf,
  recentDeliveries,
  withoutSecret,
  type Webhook,
} from '../../db/webhooks-repository.js';
import { TEST_EVENT_TYPE, newEventId, postEventBody, testEventBody, type WebhookEventType } from './webhook-events.js';

/**
 * What the /v1/webhooks routes do (V7, V9), every operation scoped to the caller's user id. A new
 * webhook's URL passes the outbound client's pre-connection checks (http(s), no credentials, an
 * allowed port, no forbidden address literal in any spelling) or is refused with 400; its names
 * are checked again, after DNS, every time a delivery connects. The signing secret is minted
 * here (256 bits), returned once, and stored only sealed with AES-256-GCM, bound to the webhook
 * id. Events are written to the outbox and the dispatcher is woken; nothing is sent from here.
 */

export interface WebhookServiceDeps {
  readonly db: Kysely<Database>;
  readonly client: OutboundClient;
  readonly maxPerUser: number;
  readonly sealSecret: (plaintext: string, webhookId: string) => string;
  /** Tells the dispatcher there is new work. */
  readonly wake: () => void;
}

export interface CreatedWebhook extends Webhook {
  /** The signing secret: shown in this answer only. */
  readonly secret: string;
}

const RECENT_DELIVERIES = 20;

export const newWebhookId = (): string => `wh_${randomBytes(12).toString('base64url')}`;
const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

export class WebhookService {
  constructor(private readonly deps: WebhookServiceDeps) {}

  /** Throws the outbound client's 400 codes for a refused URL, `webhook.limit_reached` at the cap. */
  async create(userId: string, input: { readonly url: string; readonly events: readonly WebhookEventType[] }): Promise<CreatedWebhook> {
    const target = this.deps.client.checkUrl(input.url);
    if ((await countWebhooksOf(this.deps.db, userId)) >= this.deps.maxPerUser) {
      throw new PortcullisError('webhook.limit_reached', { detail: `An account may have at most ${this.deps.maxPerUser} webhooks.` });
    }
    const id = newWebhookId();
    const secret = newWebhookSecret();
    const webhook = { id, userId, url: target.url.href, events: [...new Set(input.events)], createdAt: new Date().toISOString() };
    await insertWebhook(this.deps.db, { ...webhook, secretSealed: this.deps.sealSecret(secret, id) });
    return { ...webhook, secret };
  }

  list(userId: string): Promise<Webhook[]> {
    return listWebhooksOf(this.deps.db, userId);
  }

  /** The caller's webhook with its latest deliveries; `webhook.not_found` for anyone else's. */
  async get(userId: string, id: string) {
    const webhook = await this.ownWebhook(userId, id);
    return { ...webhook, deliveries: await recentDeliveries(this.deps.db, id, RECENT_DELIVERIES) };
  }

  async remove(userId: string, id: string): Promise<void> {
    if (!(await deleteWebhookOf(this.deps.db, userId, id))) throw new PortcullisError('webhook.not_found');
  }

  /** Queues a `webhook.test` event for this webhook only; returns its event id. */
  async test(userId: string, id: string): Promise<string> {
    await this.ownWebhook(userId, id);
    const eventId = newEventId();
    const createdAt = new Date().toISOString();
    await insertWebhookEvent(this.deps.db, { id: eventId, type: TEST_EVENT_TYPE, body: testEventBody(eventId, id, createdAt), onlyWebhookId: id, createdAt });
    this.deps.wake();
    return eventId;
  }

  /** Writes a post event to the outbox (the dispatcher decides who receives it). */
  async recordPostEvent(type: WebhookEventType, post: Post): Promise<void> {
    const eventId = newEventId();
    const createdAt = new Date().toISOString();
    await insertWebhookEvent(this.deps.db, { id: eventId, type, body: postEventBody(eventId, type, post, createdAt), onlyWebhookId: null, createdAt });
    this.deps.wake();
  }

  private async ownWebhook(userId: string, id: string): Promise<Webhook> {
    const webhook = await findWebhookOf(this.deps.db, userId, id);
    if (webhook === undefined) throw new PortcullisError('webhook.not_found');
    return withoutSecret(webhook);
  }
}
