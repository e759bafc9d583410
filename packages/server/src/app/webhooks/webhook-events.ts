import { randomBytes } from 'node:crypto';
import type { Post } from '../../db/posts-repository.js';
import { publicPost } from '../../routes/posts-routes.js';
import { RBAC } from '../permissions.js';
import { canSeePost, holdsPermission, type PostCaller, type PostFacts } from '../posts/post-access.js';

/**
 * What a webhook receives, as pure functions (Z3 applied to deliveries). Post events carry the
 * post as the posts routes serialise it (publicPost: no emails, nothing beyond ids), taken when
 * the event happened. A webhook acts as its owner: it receives a post event only when the owner,
 * as a person with their current role and memberships, may see that post in that state and holds
 * `posts:read` and `webhooks:manage`. So a draft reaches its owner's webhooks and its
 * organisation's moderators', a private post never leaves them, a deleted post is judged as it
 * was just before deletion, and a disabled account's webhooks receive nothing.
 */

export const WEBHOOK_EVENT_TYPES = ['post.created', 'post.published', 'post.deleted'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent by POST /v1/webhooks/:id/test to that webhook only. */
export const TEST_EVENT_TYPE = 'webhook.test';

export const newEventId = (): string => `evt_${randomBytes(12).toString('base64url')}`;

/** The JSON body of a post event: `{ id, type, createdAt, data: { post } }`. */
export function postEventBody(eventId: string, type: WebhookEventType, post: Post, createdAt: string): string {
  return JSON.stringify({ id: eventId, type, createdAt, data: { post: publicPost(post) } });
}

export function testEventBody(eventId: string, webhookId: string, createdAt: string): string {
  return JSON.stringify({ id: eventId, type: TEST_EVENT_TYPE, createdAt, data: { webhookId } });
}

const STATUSES = new Set(['draft', 'published']);
const VISIBILITIES = new Set(['private', 'org', 'public']);

/** The post facts a stored post event was made from; undefined when the body is not one. */
export function postFactsOf(body: string): PostFacts | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const post = (parsed as { data?: { post?: Record<string, unknown> } })?.data?.post;
  if (typeof post !== 'object' || post === null) return undefined;
  const { ownerId, orgId, status, visibility } = post;
  if (typeof ownerId !== 'string' || typeof orgId !== 'string' || !STATUSES.has(status as string) || !VISIBILITIES.has(visibility as string)) return undefined;
  return { ownerId, orgId, status: status as PostFacts['status'], visibility: visibility as PostFacts['visibility'] };
}

/**
 * Whether a webhook owned by `owner` (a person: no API key scopes) may receive an event about
 * `post`. Undefined `owner` (missing or disabled account) receives nothing.
 */
export function webhookOwnerMayReceive(owner: PostCaller | undefined, post: PostFacts): boolean {
  if (owner === undefined || owner.scopes !== undefined) return false;
  if (!RBAC.can(owner.globalRole, 'webhooks:manage')) return false;
  return canSeePost(owner, post) && holdsPermission(owner, 'posts:read', post.orgId);
}
