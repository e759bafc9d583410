import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { VisibleScope } from '../app/posts/post-access.js';
import type { CommentsTable, Database, PostsTable, PostStatus, PostVisibility } from './schema.js';

/**
 * Posts and their comments (issue 6). This file stores and fetches; who may see or change what is
 * decided in app/posts/post-access.ts. A listing takes that module's `VisibleScope` and filters in
 * SQL, so a page never carries a post the caller may not see. Pages are ordered by id with the
 * last id as the cursor (posts), or by creation time then id (comments).
 */

export interface Post {
  readonly id: string;
  readonly orgId: string;
  readonly ownerId: string;
  readonly title: string;
  readonly body: string;
  readonly status: PostStatus;
  readonly visibility: PostVisibility;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Comment {
  readonly id: string;
  readonly postId: string;
  readonly authorId: string;
  readonly body: string;
  readonly createdAt: string;
}

export const MAX_POSTS_PAGE = 100;

function toPost(row: Selectable<PostsTable>): Post {
  return {
    id: row.id,
    orgId: row.org_id,
    ownerId: row.owner_id,
    title: row.title,
    body: row.body,
    status: row.status,
    visibility: row.visibility,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toComment(row: Selectable<CommentsTable>): Comment {
  return { id: row.id, postId: row.post_id, authorId: row.author_id, body: row.body, createdAt: row.created_at };
}

/** Stores a new post, always as a draft; returns it. */
export async function insertPost(
  db: Kysely<Database>,
  post: { readonly orgId: string; readonly ownerId: string; readonly title: string; readonly body: string; readonly visibility: PostVisibility },
): Promise<Post> {
  const now = new Date().toISOString();
  const row = { id: randomUUID(), org_id: post.orgId, owner_id: post.ownerId, title: post.title, body: post.body, status: 'draft' as const, visibility: post.visibility, created_at: now, updated_at: now };
  await db.insertInto('posts').values(row).execute();
  return toPost(row);
}

export async function findPost(db: Kysely<Database>, id: string): Promise<Post | undefined> {
  const row = await db.selectFrom('posts').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toPost(row);
}

/** One page of the posts `scope` lets the caller see, optionally of one organisation, after the cursor `after` (an id). */
export async function listVisiblePosts(
  db: Kysely<Database>,
  scope: VisibleScope,
  page: { readonly after?: string | undefined; readonly limit: number; readonly orgId?: string | undefined },
): Promise<Post[]> {
  let query = db.selectFrom('posts').selectAll().orderBy('id').limit(Math.min(Math.max(page.limit, 1), MAX_POSTS_PAGE));
  if (page.after !== undefined) query = query.where('id', '>', page.after);
  if (page.orgId !== undefined) query = query.where('org_id', '=', page.orgId);
  if (!scope.everything) {
    query = query.where((eb) => {
      const published = eb('status', '=', 'published');
      const alternatives = [eb('owner_id', '=', scope.ownerId), eb.and([published, eb('visibility', '=', 'public')])];
      if (scope.publishedOrgIn.length > 0) alternatives.push(eb.and([published, eb('visibility', '=', 'org'), eb('org_id', 'in', scope.publishedOrgIn)]));
      if (scope.everyPostOrgIn.length > 0) alternatives.push(eb('org_id', 'in', scope.everyPostOrgIn));
      return eb.or(alternatives);
    });
  }
  return (await query.execute()).map(toPost);
}

/** Changes title, body or visibility; returns the post as it is now, or undefined when it is gone. */
export async function updatePost(
  db: Kysely<Database>,
  id: string,
  changes: { readonly title?: string | undefined; readonly body?: string | undefined; readonly visibility?: PostVisibility | undefined },
): Promise<Post | undefined> {
  await db
    .updateTable('posts')
    .set({
      ...(changes.title === undefined ? {} : { title: changes.title }),
      ...(changes.body === undefined ? {} : { body: changes.body }),
      ...(changes.visibility === undefined ? {} : { visibility: changes.visibility }),
      updated_at: new Date().toISOString(),
    })
    .where('id', '=', id)
    .execute();
  return findPost(db, id);
}

/** Sets the post's status; returns the post as it is now, or undefined when it is gone. */
export async function setPostStatus(db: Kysely<Database>, id: string, status: PostStatus): Promise<Post | undefined> {
  await db.updateTable('posts').set({ status, updated_at: new Date().toISOString() }).where('id', '=', id).execute();
  return findPost(db, id);
}

/** Deletes the post and its comments. */
export async function deletePost(db: Kysely<Database>, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('comments').where('post_id', '=', id).execute();
    await trx.deleteFrom('posts').where('id', '=', id).execute();
  });
}

export async function insertComment(db: Kysely<Database>, comment: { readonly postId: string; readonly authorId: string; readonly body: string }): Promise<Comment> {
  const row = { id: randomUUID(), post_id: comment.postId, author_id: comment.authorId, body: comment.body, created_at: new Date().toISOString() };
  await db.insertInto('comments').values(row).execute();
  return toComment(row);
}

/** A comment of this post; a comment of another post is not found, like a missing one. */
export async function findComment(db: Kysely<Database>, postId: string, id: string): Promise<Comment | undefined> {
  const row = await db.selectFrom('comments').selectAll().where('id', '=', id).where('post_id', '=', postId).executeTakeFirst();
  return row === undefined ? undefined : toComment(row);
}

/**
 * One page of the post's comments, oldest first, after the comment `after`; undefined when
 * `after` is not a comment of this post.
 */
export async function listComments(db: Kysely<Database>, postId: string, page: { readonly after?: string | undefined; readonly limit: number }): Promise<Comment[] | undefined> {
  let query = db.selectFrom('comments').selectAll().where('post_id', '=', postId).orderBy('created_at').orderBy('id').limit(Math.min(Math.max(page.limit, 1), MAX_POSTS_PAGE));
  if (page.after !== undefined) {
    const cursor = await findComment(db, postId, page.after);
    if (cursor === undefined) return undefined;
    query = query.where((eb) => eb.or([eb('created_at', '>', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '>', cursor.id)])]));
  }
  return (await query.execute()).map(toComment);
}

export async function deleteComment(db: Kysely<Database>, postId: string, id: string): Promise<void> {
  await db.deleteFrom('comments').where('id', '=', id).where('post_id', '=', postId).execute();
}
