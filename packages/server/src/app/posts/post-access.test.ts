import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { orgRoles, postStatuses, postVisibilities, userRoles, type OrgRole, type UserRole } from '../../db/schema.js';
import { ROLE_PERMISSIONS } from '../permissions.js';
import {
  canSeePost,
  decideCommentDeletion,
  decidePostAction,
  holdsPermission,
  moderatesOrg,
  visibleScope,
  type PostAction,
  type PostCaller,
  type PostFacts,
  type VisibleScope,
} from './post-access.js';

// Every combination of global role, org role in the post's organisation, ownership, credential
// (person, full key, read-only key), post status and visibility, and action, against the rules of
// issue 6 written out below as tables, not by calling back into the module.

const ORG = 'org-a';
const ELSEWHERE = 'org-b';
const ME = 'user-me';
const SOMEONE = 'user-other';

type Membership = OrgRole | 'none';
type Credential = 'person' | 'key with every owner permission' | 'key with posts:read only';
const MEMBERSHIPS: readonly Membership[] = ['none', ...orgRoles];
const CREDENTIALS: readonly Credential[] = ['person', 'key with every owner permission', 'key with posts:read only'];
const ACTIONS: readonly PostAction[] = ['read', 'update', 'delete', 'publish', 'unpublish', 'read_comments', 'comment'];

/** What each action needs, as the permission table names it. */
const PERMISSION_OF: Record<PostAction, string> = {
  read: 'posts:read',
  update: 'posts:write',
  delete: 'posts:write',
  publish: 'posts:publish',
  unpublish: 'posts:moderate',
  read_comments: 'comments:read',
  comment: 'comments:write',
};

/** Who sees which `status/visibility` of a post they do not own, by relation to its organisation. */
const SEEN_BY: Record<'outsider' | 'member' | 'moderator of the org' | 'admin', readonly string[]> = {
  outsider: ['published/public'],
  member: ['published/public', 'published/org'],
  'moderator of the org': ['draft/private', 'draft/org', 'draft/public', 'published/private', 'published/org', 'published/public'],
  admin: ['draft/private', 'draft/org', 'draft/public', 'published/private', 'published/org', 'published/public'],
};

function relation(globalRole: UserRole, membership: Membership): keyof typeof SEEN_BY {
  if (globalRole === 'admin') return 'admin';
  if (membership === 'moderator' || membership === 'owner') return 'moderator of the org';
  if (membership === 'member') return globalRole === 'moderator' ? 'moderator of the org' : 'member';
  return 'outsider';
}

function callerFor(globalRole: UserRole, membership: Membership, credential: Credential): PostCaller {
  const orgRolesMap = new Map<string, OrgRole>([[ELSEWHERE, 'owner']]);
  if (membership !== 'none') orgRolesMap.set(ORG, membership);
  const scopes =
    credential === 'person' ? undefined : credential === 'key with posts:read only' ? new Set(['posts:read']) : new Set(ROLE_PERMISSIONS[globalRole]);
  return { userId: ME, globalRole, orgRoles: orgRolesMap, scopes };
}

/** Whether the credential carries the permission at all: a person has its role's, a key its scopes. */
function credentialAllows(globalRole: UserRole, moderatesHere: boolean, credential: Credential, permission: string): boolean {
  const personHas = ROLE_PERMISSIONS[globalRole].has(permission) || (moderatesHere && ROLE_PERMISSIONS.moderator.has(permission));
  if (credential === 'key with posts:read only') return personHas && permission === 'posts:read';
  if (credential === 'key with every owner permission') return ROLE_PERMISSIONS[globalRole].has(permission);
  return personHas;
}

function expected(globalRole: UserRole, membership: Membership, owner: boolean, credential: Credential, post: PostFacts, action: PostAction): string {
  const rel = relation(globalRole, membership);
  const visible = owner || SEEN_BY[rel].includes(`${post.status}/${post.visibility}`);
  if (!visible) return 'hidden';
  const moderatesHere = rel === 'moderator of the org';
  if (!credentialAllows(globalRole, moderatesHere, credential, PERMISSION_OF[action])) return 'forbidden';
  const allowedBy: Record<PostAction, boolean> = {
    read: true,
    read_comments: true,
    update: owner || rel === 'admin',
    delete: owner || rel === 'admin',
    publish: owner,
    unpublish: rel === 'admin' || moderatesHere,
    comment: post.status === 'published',
  };
  return allowedBy[action] ? 'allowed' : 'forbidden';
}

function everyCase(visit: (label: string, caller: PostCaller, post: PostFacts, want: (action: PostAction) => string) => void): number {
  let count = 0;
  for (const globalRole of userRoles) {
    for (const membership of MEMBERSHIPS) {
      for (const owner of [true, false]) {
        for (const credential of CREDENTIALS) {
          for (const status of postStatuses) {
            for (const visibility of postVisibilities) {
              const caller = callerFor(globalRole, membership, credential);
              const post: PostFacts = { ownerId: owner ? ME : SOMEONE, orgId: ORG, status, visibility };
              const label = `${globalRole}, org role ${membership}, ${owner ? 'owner' : 'not owner'}, ${credential}, ${status}/${visibility}`;
              visit(label, caller, post, (action) => expected(globalRole, membership, owner, credential, post, action));
              count++;
            }
          }
        }
      }
    }
  }
  return count;
}

/** The scope read as the SQL filter reads it. */
function inScope(scope: VisibleScope, post: PostFacts): boolean {
  if (scope.everything) return true;
  const published = post.status === 'published';
  return (
    post.ownerId === scope.ownerId ||
    (published && post.visibility === 'public') ||
    (published && post.visibility === 'org' && scope.publishedOrgIn.includes(post.orgId)) ||
    scope.everyPostOrgIn.includes(post.orgId)
  );
}

describe('post access rules (Z3, Z5)', () => {
  it('decides every action for every caller and post as the rules say', () => {
    let decisions = 0;
    const cases = everyCase((label, caller, post, want) => {
      for (const action of ACTIONS) {
        assert.equal(decidePostAction(caller, post, action).outcome, want(action), `${label}: ${action}`);
        decisions++;
      }
    });
    assert.equal(cases, 3 * 4 * 2 * 3 * 2 * 3);
    assert.equal(decisions, cases * ACTIONS.length);
  });

  it('canSeePost is exactly "not hidden", and the listing scope agrees with it on every post', () => {
    everyCase((label, caller, post, want) => {
      assert.equal(canSeePost(caller, post), want('read') !== 'hidden', label);
      assert.equal(inScope(visibleScope(caller), post), canSeePost(caller, post), `scope: ${label}`);
    });
  });

  it('only a published public post crosses organisations', () => {
    for (const globalRole of ['user', 'moderator'] as const) {
      const stranger: PostCaller = { userId: ME, globalRole, orgRoles: new Map([[ELSEWHERE, 'owner']]) };
      for (const status of postStatuses) {
        for (const visibility of postVisibilities) {
          const post: PostFacts = { ownerId: SOMEONE, orgId: ORG, status, visibility };
          assert.equal(canSeePost(stranger, post), status === 'published' && visibility === 'public', `${globalRole} ${status}/${visibility}`);
        }
      }
    }
  });

  it('an org role counts in its own organisation only', () => {
    const caller: PostCaller = { userId: ME, globalRole: 'user', orgRoles: new Map([[ORG, 'moderator']]) };
    assert.equal(moderatesOrg(caller, ORG), true);
    assert.equal(moderatesOrg(caller, ELSEWHERE), false);
    assert.equal(holdsPermission(caller, 'posts:moderate', ORG), true);
    assert.equal(holdsPermission(caller, 'posts:moderate', ELSEWHERE), false);
    assert.equal(holdsPermission(caller, 'admin:read', ORG), false, 'moderating an organisation never brings admin permissions');
    const globalModerator: PostCaller = { userId: ME, globalRole: 'moderator', orgRoles: new Map() };
    assert.equal(moderatesOrg(globalModerator, ORG), false, 'a global moderator moderates only organisations it belongs to');
  });

  it('an API key never exceeds its owner: a scope the owner lacks grants nothing', () => {
    const key: PostCaller = { userId: ME, globalRole: 'user', orgRoles: new Map([[ORG, 'member']]), scopes: new Set(['posts:read', 'posts:moderate', 'comments:moderate']) };
    assert.equal(holdsPermission(key, 'posts:moderate', ORG), false);
    assert.equal(holdsPermission(key, 'posts:read', ORG), true);
    assert.equal(holdsPermission(key, 'posts:write', ORG), false, 'and nothing beyond its scopes');
  });

  it('comments: deleted by their author, the org moderators or an admin, on a post they can see', () => {
    const post: PostFacts = { ownerId: SOMEONE, orgId: ORG, status: 'published', visibility: 'org' };
    for (const globalRole of userRoles) {
      for (const membership of MEMBERSHIPS) {
        for (const credential of CREDENTIALS) {
          for (const author of [true, false]) {
            const caller = callerFor(globalRole, membership, credential);
            const rel = relation(globalRole, membership);
            const label = `${globalRole}, ${membership}, ${credential}, ${author ? 'author' : 'not author'}`;
            const visible = SEEN_BY[rel].includes('published/org');
            const moderates = rel === 'admin' || rel === 'moderator of the org';
            const want = !visible
              ? 'hidden'
              : (author && credentialAllows(globalRole, moderates, credential, 'comments:write')) || (moderates && credentialAllows(globalRole, rel === 'moderator of the org', credential, 'comments:moderate'))
                ? 'allowed'
                : 'forbidden';
            assert.equal(decideCommentDeletion(caller, post, { authorId: author ? ME : SOMEONE }).outcome, want, label);
          }
        }
      }
    }
  });

  it('a forbidden decision says why, and a hidden one says nothing', () => {
    const member: PostCaller = { userId: ME, globalRole: 'user', orgRoles: new Map([[ORG, 'member']]) };
    const published: PostFacts = { ownerId: SOMEONE, orgId: ORG, status: 'published', visibility: 'org' };
    const refused = decidePostAction(member, published, 'update');
    assert.equal(refused.outcome, 'forbidden');
    assert.match(refused.outcome === 'forbidden' ? refused.reason : '', /owner or an administrator/);
    assert.deepEqual(decidePostAction(member, { ...published, visibility: 'private' }, 'update'), { outcome: 'hidden' });
  });
});
