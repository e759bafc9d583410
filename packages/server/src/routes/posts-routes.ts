import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { policy } from 'portcullis/authz';
import { PortcullisError } from 'portcullis/errors';
import type { z } from 'zod';
import { canSeePost, decideCommentDeletion, decidePostAction, visibleScope, type ObjectDecision, type PostAction, type PostCaller } from '../app/posts/post-access.js';
import { orgRolesOf, organisationExists, personalOrganisationOf } from '../db/organisations-repository.js';
import {
  deleteComment,
  deletePost,
  findComment,
  findPost,
  insertComment,
  insertPost,
  listComments,
  listVisiblePosts,
  setPostStatus,
  updatePost,
  type Comment,
  type Post,
} from '../db/posts-repository.js';
import type { Database } from '../db/schema.js';
import { findUserById } from '../db/users-repository.js';
import { commentPage, commentParams, commentView, createCommentBody, createPostBody, listCommentsQuery, listPostsQuery, postPage, postParams, postView, updatePostBody } from './posts-schemas.js';
import { noBody, sends, sendsNothing, routeConfig as route } from './common-schemas.js';

/**
 * /v1/posts and their comments (issue 6: Z3-Z6, V6). The route policy checks the permission (an
 * API key's scope); the handler then applies the object rules of app/posts/post-access.ts to the
 * stored post. A post or comment the caller may not see answers 404 with exactly the body of a
 * missing id (`route.not_found`, no detail); one it sees but may not act on answers 403
 * `auth.forbidden`. Both are logged as security events (`authz.hidden`, `authz.denied`) with the
 * user, key, route and object id. Replies list their fields one by one, and never carry a user's
 * email or anything about an account beyond its id.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

export interface PostsRouteDeps {
  readonly db: Kysely<Database>;
  /** onRequest hooks: an API key holding `scopes`, or else a bearer access token. */
  readonly byKeyOr: (scopes: readonly string[]) => Hook[];
  /** Collects a post's attached files before it is deleted; the returned function removes them after (V5). */
  readonly detachFiles?: (postId: string) => Promise<() => Promise<void>>;
  /** Told of each post created, published or deleted (the post as it was), e.g. to queue webhooks; it must not throw. */
  readonly onPostEvent?: (type: PostEvent, post: Post) => Promise<void>;
}

/** The post events other modules may follow (webhooks). */
export type PostEvent = 'post.created' | 'post.published' | 'post.deleted';

export function publicPost(post: Post) {
  return {
    id: post.id,
    orgId: post.orgId,
    ownerId: post.ownerId,
    title: post.title,
    body: post.body,
    status: post.status,
    visibility: post.visibility,
    createdAt: post.createdAt,
    updatedAt: post.updatedAt,
  };
}

export function publicComment(comment: Comment) {
  return { id: comment.id, postId: comment.postId, authorId: comment.authorId, body: comment.body, createdAt: comment.createdAt };
}

/** Hidden and missing are one answer: the same code, no detail, nothing to tell them apart. */
const notFound = () => new PortcullisError('route.not_found');

const VISIBLE = 'posts the caller may see (post-access)';
const OWNER_OR_ADMIN = 'post owner or admin, on a post the caller may see';

export function registerPostsRoutes(v1: FastifyInstance, deps: PostsRouteDeps): void {
  const { db, byKeyOr } = deps;

  const callerOf = async (request: FastifyRequest): Promise<PostCaller> => {
    const userId = request.principal?.userId ?? request.apiKey?.key.userId;
    const user = userId === undefined ? undefined : await findUserById(db, userId);
    if (user === undefined || user.status !== 'active') throw new PortcullisError('auth.unauthenticated');
    return { userId: user.id, globalRole: user.role, orgRoles: await orgRolesOf(db, user.id), scopes: request.apiKey?.scopes };
  };

  /** Throws the 404 or 403 for a refusal, after logging it as a security event (Z6). */
  const enforce = async (request: FastifyRequest, decision: ObjectDecision, objectId: string, action: string): Promise<void> => {
    if (decision.outcome === 'allowed') return;
    // E3: route, method, address and principal come from the request.
    const event = { userId: request.principal?.userId ?? request.apiKey?.key.userId, keyId: request.apiKey?.key.id, objectId, action };
    if (decision.outcome === 'hidden') {
      await request.securityEvent('authz.hidden', event);
      throw notFound();
    }
    await request.securityEvent('authz.denied', { ...event, reason: decision.reason });
    throw new PortcullisError('auth.forbidden', { detail: decision.reason });
  };

  /** The post, when it exists and `action` on it is allowed to the caller. */
  const authorisedPost = async (request: FastifyRequest, caller: PostCaller, id: string, action: PostAction): Promise<Post> => {
    const post = await findPost(db, id);
    if (post === undefined) throw notFound();
    await enforce(request, decidePostAction(caller, post, action), post.id, action);
    return post;
  };

  const gone = (post: Post | undefined): Post => {
    if (post === undefined) throw notFound();
    return post;
  };

  v1.get('/posts', { onRequest: byKeyOr(['posts:read']), config: route(policy.owned(policy.permission('posts:read'), VISIBLE), { query: listPostsQuery }, sends(postPage)) }, async (request) => {
    const { after, limit, orgId } = request.query as z.infer<typeof listPostsQuery>;
    const caller = await callerOf(request);
    const rows = await listVisiblePosts(db, visibleScope(caller), { after, limit, orgId });
    // The SQL filter and the rule must agree; the rule has the last word.
    const posts = rows.filter((post) => canSeePost(caller, post)).map(publicPost);
    return { posts, next: rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null };
  });

  v1.post(
    '/posts',
    { onRequest: byKeyOr(['posts:write']), config: route(policy.owned(policy.permission('posts:write'), 'member of the target organisation'), { body: createPostBody }, sends(postView, 201)) },
    async (request, reply) => {
      const body = request.body as z.infer<typeof createPostBody>;
      const caller = await callerOf(request);
      const orgId = body.orgId ?? (await personalOrganisationOf(db, caller.userId));
      if (orgId === undefined) throw notFound();
      if (!caller.orgRoles.has(orgId)) {
        if (await organisationExists(db, orgId)) await enforce(request, { outcome: 'hidden' }, orgId, 'create_post');
        throw notFound();
      }
      const post = await insertPost(db, { orgId, ownerId: caller.userId, title: body.title, body: body.body, visibility: body.visibility });
      await request.securityEvent('post.created', { postId: post.id, orgId, userId: caller.userId });
      await deps.onPostEvent?.('post.created', post);
      reply.code(201).header('location', `/v1/posts/${post.id}`);
      return publicPost(post);
    },
  );

  v1.get('/posts/:id', { onRequest: byKeyOr(['posts:read']), config: route(policy.owned(policy.permission('posts:read'), VISIBLE), { params: postParams }, sends(postView)) }, async (request) => {
    const { id } = request.params as z.infer<typeof postParams>;
    return publicPost(await authorisedPost(request, await callerOf(request), id, 'read'));
  });

  v1.patch(
    '/posts/:id',
    { onRequest: byKeyOr(['posts:write']), config: route(policy.owned(policy.permission('posts:write'), OWNER_OR_ADMIN), { params: postParams, body: updatePostBody }, sends(postView)) },
    async (request) => {
      const { id } = request.params as z.infer<typeof postParams>;
      const body = request.body as z.infer<typeof updatePostBody>;
      await authorisedPost(request, await callerOf(request), id, 'update');
      return publicPost(gone(await updatePost(db, id, body)));
    },
  );

  v1.delete('/posts/:id', { onRequest: byKeyOr(['posts:write']), config: route(policy.owned(policy.permission('posts:write'), OWNER_OR_ADMIN), { params: postParams }, sendsNothing) }, async (request, reply) => {
    const { id } = request.params as z.infer<typeof postParams>;
    const caller = await callerOf(request);
    const deleted = await authorisedPost(request, caller, id, 'delete');
    const removeFiles = await deps.detachFiles?.(id);
    await deletePost(db, id);
    await removeFiles?.();
    await request.securityEvent('post.deleted', { postId: id, userId: caller.userId });
    await deps.onPostEvent?.('post.deleted', deleted);
    return reply.code(204).send();
  });

  v1.post(
    '/posts/:id/publish',
    { onRequest: byKeyOr(['posts:publish']), config: route(policy.owned(policy.permission('posts:publish'), 'post owner'), { params: postParams, body: noBody }, sends(postView)) },
    async (request) => {
      const { id } = request.params as z.infer<typeof postParams>;
      const before = await authorisedPost(request, await callerOf(request), id, 'publish');
      const published = gone(await setPostStatus(db, id, 'published'));
      if (before.status !== 'published') await deps.onPostEvent?.('post.published', published);
      return publicPost(published);
    },
  );

  // Org moderators may hold posts:moderate only inside their organisation, so the route admits any
  // signed-in person (an API key still needs the scope) and the object rule checks it per post.
  v1.post(
    '/posts/:id/unpublish',
    {
      onRequest: byKeyOr(['posts:moderate']),
      config: route(policy.authenticated("moderator of the post's organisation or admin, holding posts:moderate there"), { params: postParams, body: noBody }, sends(postView)),
    },
    async (request) => {
      const { id } = request.params as z.infer<typeof postParams>;
      const caller = await callerOf(request);
      await authorisedPost(request, caller, id, 'unpublish');
      await request.securityEvent('post.unpublished', { postId: id, userId: caller.userId });
      return publicPost(gone(await setPostStatus(db, id, 'draft')));
    },
  );

  v1.get(
    '/posts/:id/comments',
    { onRequest: byKeyOr(['comments:read']), config: route(policy.owned(policy.permission('comments:read'), VISIBLE), { params: postParams, query: listCommentsQuery }, sends(commentPage)) },
    async (request) => {
      const { id } = request.params as z.infer<typeof postParams>;
      const { after, limit } = request.query as z.infer<typeof listCommentsQuery>;
      await authorisedPost(request, await callerOf(request), id, 'read_comments');
      const comments = await listComments(db, id, { after, limit });
      if (comments === undefined) throw notFound();
      return { comments: comments.map(publicComment), next: comments.length === limit ? (comments[comments.length - 1]?.id ?? null) : null };
    },
  );

  v1.post(
    '/posts/:id/comments',
    { onRequest: byKeyOr(['comments:write']), config: route(policy.owned(policy.permission('comments:write'), 'a published post the caller may see'), { params: postParams, body: createCommentBody }, sends(commentView, 201)) },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof postParams>;
      const { body } = request.body as z.infer<typeof createCommentBody>;
      const caller = await callerOf(request);
      await authorisedPost(request, caller, id, 'comment');
      const comment = await insertComment(db, { postId: id, authorId: caller.userId, body });
      reply.code(201);
      return publicComment(comment);
    },
  );

  v1.delete(
    '/posts/:id/comments/:commentId',
    {
      onRequest: byKeyOr(['comments:write']),
      config: route(policy.owned(policy.permission('comments:write'), "comment author, the post's organisation moderators or admin"), { params: commentParams }, sendsNothing),
    },
    async (request, reply) => {
      const { id, commentId } = request.params as z.infer<typeof commentParams>;
      const caller = await callerOf(request);
      const post = await findPost(db, id);
      if (post === undefined) throw notFound();
      // The post's visibility first: a comment says nothing until its post can be seen.
      if (!canSeePost(caller, post)) await enforce(request, { outcome: 'hidden' }, post.id, 'delete_comment');
      const comment = await findComment(db, id, commentId);
      if (comment === undefined) throw notFound();
      await enforce(request, decideCommentDeletion(caller, post, comment), comment.id, 'delete_comment');
      await deleteComment(db, id, commentId);
      await request.securityEvent('comment.deleted', { commentId, postId: id, userId: caller.userId });
      return reply.code(204).send();
    },
  );
}
