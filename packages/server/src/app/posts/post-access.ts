import type { OrgRole, PostStatus, PostVisibility, UserRole } from '../../db/schema.js';
import { RBAC } from '../permissions.js';

/**
 * Object-level rules for posts and comments (Z3, Z5): who may see, change, publish, unpublish and
 * comment on which post, as pure functions of the caller and the post, so every route and the
 * list query answer from one place. A post the caller may not see is `hidden` (the route answers
 * 404, exactly like a missing one); one it may see but not act on is `forbidden` (403).
 *
 * Only a published public post crosses organisations. Inside its organisation a member sees the
 * published `org` posts, and the organisation's moderators (org role moderator or owner, or a
 * global moderator who is a member) see all of them, drafts and private ones included. An org
 * role counts only in its own organisation, where it brings the moderator's permissions. An API
 * key acts as its owner, limited to the intersection of the owner's permissions and its scopes.
 */

export interface PostCaller {
  readonly userId: string;
  readonly globalRole: UserRole;
  /** The caller's organisations and its role in each. */
  readonly orgRoles: ReadonlyMap<string, OrgRole>;
  /** An API key's scopes; undefined for a person signed in with an access token. */
  readonly scopes?: ReadonlySet<string> | undefined;
}

export interface PostFacts {
  readonly ownerId: string;
  readonly orgId: string;
  readonly status: PostStatus;
  readonly visibility: PostVisibility;
}

export interface CommentFacts {
  readonly authorId: string;
}

export type PostAction = 'read' | 'update' | 'delete' | 'publish' | 'unpublish' | 'read_comments' | 'comment';

export type ObjectDecision =
  | { readonly outcome: 'allowed' }
  | { readonly outcome: 'hidden' }
  | { readonly outcome: 'forbidden'; readonly reason: string };

const ALLOWED: ObjectDecision = Object.freeze({ outcome: 'allowed' });
const HIDDEN: ObjectDecision = Object.freeze({ outcome: 'hidden' });
const forbidden = (reason: string): ObjectDecision => Object.freeze({ outcome: 'forbidden', reason });

/** Whether the caller moderates `orgId`: org role moderator or owner, or a global moderator who belongs to it. */
export function moderatesOrg(caller: PostCaller, orgId: string): boolean {
  const orgRole = caller.orgRoles.get(orgId);
  if (orgRole === 'moderator' || orgRole === 'owner') return true;
  return caller.globalRole === 'moderator' && orgRole !== undefined;
}

/**
 * Whether the caller holds `permission` for an object of `orgId`: through its global role, or
 * through moderating that organisation; an API key also needs it among its scopes.
 */
export function holdsPermission(caller: PostCaller, permission: string, orgId: string): boolean {
  if (caller.scopes !== undefined && !caller.scopes.has(permission)) return false;
  return RBAC.can(caller.globalRole, permission) || (moderatesOrg(caller, orgId) && RBAC.can('moderator', permission));
}

/**
 * Whether the caller may see the post at all.
 *
 * @example
 * canSeePost({ userId: 'u1', globalRole: 'user', orgRoles: new Map() }, { ownerId: 'u2', orgId: 'o1', status: 'published', visibility: 'public' }); // true
 */
export function canSeePost(caller: PostCaller, post: PostFacts): boolean {
  if (caller.globalRole === 'admin' || post.ownerId === caller.userId) return true;
  if (post.status === 'published' && post.visibility === 'public') return true;
  if (moderatesOrg(caller, post.orgId)) return true;
  return post.status === 'published' && post.visibility === 'org' && caller.orgRoles.has(post.orgId);
}

const NEEDS: Readonly<Record<PostAction, string>> = Object.freeze({
  read: 'posts:read',
  update: 'posts:write',
  delete: 'posts:write',
  publish: 'posts:publish',
  unpublish: 'posts:moderate',
  read_comments: 'comments:read',
  comment: 'comments:write',
});

/**
 * Decides one action on one post: hidden when the caller may not see it, whatever the action;
 * otherwise allowed or forbidden with the reason.
 *
 * @example
 * const decision = decidePostAction(caller, post, 'publish');
 * if (decision.outcome === 'hidden') throw notFound();
 */
export function decidePostAction(caller: PostCaller, post: PostFacts, action: PostAction): ObjectDecision {
  if (!canSeePost(caller, post)) return HIDDEN;
  const permission = NEEDS[action];
  if (!holdsPermission(caller, permission, post.orgId)) return forbidden(`This requires ${permission}.`);
  const isOwner = post.ownerId === caller.userId;
  const isAdmin = caller.globalRole === 'admin';
  switch (action) {
    case 'read':
    case 'read_comments':
      return ALLOWED;
    case 'update':
    case 'delete':
      return isOwner || isAdmin ? ALLOWED : forbidden('Only the post owner or an administrator may change this post.');
    case 'publish':
      return isOwner ? ALLOWED : forbidden('Only the post owner may publish this post.');
    case 'unpublish':
      return isAdmin || moderatesOrg(caller, post.orgId) ? ALLOWED : forbidden("Only a moderator of the post's organisation or an administrator may unpublish it.");
    case 'comment':
      return post.status === 'published' ? ALLOWED : forbidden('Comments open once the post is published.');
  }
}

/** Deleting a comment: its author, the post's organisation moderators or an administrator, on a post the caller can see. */
export function decideCommentDeletion(caller: PostCaller, post: PostFacts, comment: CommentFacts): ObjectDecision {
  if (!canSeePost(caller, post)) return HIDDEN;
  if (comment.authorId === caller.userId && holdsPermission(caller, 'comments:write', post.orgId)) return ALLOWED;
  const moderates = caller.globalRole === 'admin' || moderatesOrg(caller, post.orgId);
  if (moderates && holdsPermission(caller, 'comments:moderate', post.orgId)) return ALLOWED;
  return forbidden("Only the comment's author, a moderator of the post's organisation or an administrator may delete it.");
}

/**
 * Which posts a listing may return, as data the repository turns into SQL: everything (admins),
 * or the caller's own, the published public ones, the published `org` ones of its organisations
 * and all of the organisations it moderates. Agrees with `canSeePost` on every post.
 */
export type VisibleScope =
  | { readonly everything: true }
  | { readonly everything: false; readonly ownerId: string; readonly publishedOrgIn: readonly string[]; readonly everyPostOrgIn: readonly string[] };

export function visibleScope(caller: PostCaller): VisibleScope {
  if (caller.globalRole === 'admin') return { everything: true };
  const orgIds = [...caller.orgRoles.keys()];
  return {
    everything: false,
    ownerId: caller.userId,
    publishedOrgIn: orgIds,
    everyPostOrgIn: orgIds.filter((orgId) => moderatesOrg(caller, orgId)),
  };
}
