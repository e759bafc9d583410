import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { PortcullisError } from 'portcullis/errors';
import { decidePostAction, type PostCaller } from '../posts/post-access.js';
import { orgRolesOf } from '../../db/organisations-repository.js';
import { findPost, type Post } from '../../db/posts-repository.js';
import type { Database } from '../../db/schema.js';
import { findUserById } from '../../db/users-repository.js';

/**
 * Attachments follow their post (V5 with Z3-Z6): reading one needs the post's `read` rule,
 * adding or removing one its `update` rule, both decided by app/posts/post-access.ts exactly as
 * the post routes decide them. A post the caller may not see answers 404 with the body of a
 * missing id, one it sees but may not change 403, and both are security events naming the post.
 */

export type AttachmentAction = 'read' | 'update';

/** Hidden and missing are one answer: the same code, no detail. */
export const notFound = (): PortcullisError => new PortcullisError('route.not_found');

export interface PostGuard {
  /** The signed-in person or API key owner, with its organisations; 401 when it is gone or disabled. */
  callerOf(request: FastifyRequest): Promise<PostCaller>;
  /** The post, when it exists and `action` on it is allowed to the caller; otherwise throws 404 or 403. */
  authorisedPost(request: FastifyRequest, caller: PostCaller, postId: string, action: AttachmentAction): Promise<Post>;
}

export function createPostGuard(db: Kysely<Database>): PostGuard {
  return {
    async callerOf(request) {
      const userId = request.principal?.userId ?? request.apiKey?.key.userId;
      const user = userId === undefined ? undefined : await findUserById(db, userId);
      if (user === undefined || user.status !== 'active') throw new PortcullisError('auth.unauthenticated');
      return { userId: user.id, globalRole: user.role, orgRoles: await orgRolesOf(db, user.id), scopes: request.apiKey?.scopes };
    },

    async authorisedPost(request, caller, postId, action) {
      const post = await findPost(db, postId);
      if (post === undefined) throw notFound();
      const decision = decidePostAction(caller, post, action);
      if (decision.outcome === 'allowed') return post;
      const event = { userId: caller.userId, keyId: request.apiKey?.key.id, objectId: post.id, action: `${action}_attachments` };
      if (decision.outcome === 'hidden') {
        await request.securityEvent('authz.hidden', event);
        throw notFound();
      }
      await request.securityEvent('authz.denied', { ...event, reason: decision.reason });
      throw new PortcullisError('auth.forbidden', { detail: decision.reason });
    },
  };
}
