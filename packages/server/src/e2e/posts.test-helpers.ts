import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { AppDatabase } from '../db/open-database.js';
import type { OrgRole, PostStatus, PostVisibility, UserRole } from '../db/schema.js';
import type { DatabaseTestTarget } from '../test-support/databases.js';
import type { TestResponse } from '../test-support/http-client.js';
import { registerWithRole, type Account, type AuthClient, type Tokens } from './identity.test-helpers.js';
import { startSuiteServer, stopSuiteServer, type SuiteServer } from './suite-server.test-helpers.js';

/**
 * Shared by the posts end-to-end suites (posts-*.test.ts): a small world of people around one
 * shared organisation, made through the real registration and sign-in routes, with global roles
 * and memberships set directly in the database (as an administrator's tooling would), API keys
 * minted through /v1/api-keys, and posts and comments inserted directly so each check starts from
 * exactly the state it names. `startPostsWorld` starts the server and builds the world in one step.
 */

export interface Actor {
  readonly label: string;
  /** The user behind the credential; undefined for an anonymous caller. */
  readonly userId: string | undefined;
  readonly email: string | undefined;
  /** Headers that authenticate as this actor. */
  readonly headers: OutgoingHttpHeaders;
}

export interface PostsWorld {
  /** The organisation the posts under test belong to. */
  readonly sharedOrgId: string;
  readonly anonymous: Actor;
  /** Owns the posts; a plain member of the shared organisation. */
  readonly owner: Actor;
  readonly member: Actor;
  /** Org role moderator in the shared organisation, global role user. */
  readonly orgModerator: Actor;
  /** Global role user, member of its personal organisation only. */
  readonly otherOrgUser: Actor;
  /** Global role admin, member of no shared organisation. */
  readonly admin: Actor;
  /** Global role moderator, member of the shared organisation. */
  readonly globalModeratorMember: Actor;
  /** Global role moderator, not a member of the shared organisation. */
  readonly globalModeratorOutsider: Actor;
  /** API keys of the owner. */
  readonly ownerKeyWithRead: Actor;
  readonly ownerKeyWithoutRead: Actor;
  /** Every email registered for this world. */
  readonly emails: readonly string[];
}

export async function insertOrganisation(database: AppDatabase, name: string): Promise<string> {
  const id = randomUUID();
  await database.db.insertInto('organisations').values({ id, name, personal_user_id: null, created_at: new Date().toISOString() }).execute();
  return id;
}

export async function addMembership(database: AppDatabase, orgId: string, userId: string, orgRole: OrgRole): Promise<void> {
  await database.db.insertInto('memberships').values({ org_id: orgId, user_id: userId, org_role: orgRole }).execute();
}

export async function insertTestPost(
  database: AppDatabase,
  post: { readonly orgId: string; readonly ownerId: string; readonly status: PostStatus; readonly visibility: PostVisibility; readonly title?: string },
): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  await database.db
    .insertInto('posts')
    .values({ id, org_id: post.orgId, owner_id: post.ownerId, title: post.title ?? `${post.status} ${post.visibility}`, body: 'text', status: post.status, visibility: post.visibility, created_at: now, updated_at: now })
    .execute();
  return id;
}

export async function insertTestComment(database: AppDatabase, postId: string, authorId: string): Promise<string> {
  const id = randomUUID();
  await database.db.insertInto('comments').values({ id, post_id: postId, author_id: authorId, body: 'a comment', created_at: new Date().toISOString() }).execute();
  return id;
}

/** `account` as an actor, authenticated by the access token it signed in with. */
export function bearerActor(label: string, account: Pick<Account, 'id' | 'email'>, tokens: Pick<Tokens, 'accessToken'>): Actor {
  return { label, userId: account.id, email: account.email, headers: { authorization: `Bearer ${tokens.accessToken}` } };
}

/** A newly registered and signed-in person with global role `role`; the label, letters only, is its registration tag. */
export async function signedInActor(client: AuthClient, database: AppDatabase, label: string, role: UserRole): Promise<Actor> {
  const { account, tokens } = await registerWithRole(client, database, label.replaceAll(/[^a-z]/g, ''), role);
  return bearerActor(label, account, tokens);
}

/** A new API key of `owner` with `scopes`, as an actor; the key is named `name` (the label unless given). */
export async function apiKeyActor(client: AuthClient, owner: Actor, label: string, scopes: readonly string[], name = label): Promise<Actor> {
  const res = await client.send('POST', '/v1/api-keys', { headers: owner.headers, body: { name, scopes } });
  assert.equal(res.status, 201, res.text);
  return { label, userId: owner.userId, email: owner.email, headers: { 'x-api-key': res.json()['key'] as string } };
}

export async function buildPostsWorld(client: AuthClient, database: AppDatabase): Promise<PostsWorld> {
  const owner = await signedInActor(client, database, 'owner', 'user');
  const member = await signedInActor(client, database, 'member', 'user');
  const orgModerator = await signedInActor(client, database, 'org moderator', 'user');
  const otherOrgUser = await signedInActor(client, database, 'other-org user', 'user');
  const admin = await signedInActor(client, database, 'admin', 'admin');
  const globalModeratorMember = await signedInActor(client, database, 'global moderator (member)', 'moderator');
  const globalModeratorOutsider = await signedInActor(client, database, 'global moderator (outsider)', 'moderator');
  const sharedOrgId = await insertOrganisation(database, 'Shared');
  await addMembership(database, sharedOrgId, owner.userId as string, 'member');
  await addMembership(database, sharedOrgId, member.userId as string, 'member');
  await addMembership(database, sharedOrgId, orgModerator.userId as string, 'moderator');
  await addMembership(database, sharedOrgId, globalModeratorMember.userId as string, 'member');
  const people = [owner, member, orgModerator, otherOrgUser, admin, globalModeratorMember, globalModeratorOutsider];
  return {
    sharedOrgId,
    anonymous: { label: 'anonymous', userId: undefined, email: undefined, headers: {} },
    owner,
    member,
    orgModerator,
    otherOrgUser,
    admin,
    globalModeratorMember,
    globalModeratorOutsider,
    ownerKeyWithRead: await apiKeyActor(client, owner, 'owner key with posts:read', ['posts:read']),
    ownerKeyWithoutRead: await apiKeyActor(client, owner, 'owner key without posts:read', ['profile:read']),
    emails: people.map((actor) => actor.email as string),
  };
}

export interface PostsWorldServer extends SuiteServer {
  readonly world: PostsWorld;
}

/**
 * The server on `target` with `env`, and a posts world built in it. If building the world fails
 * the server and connection are closed again; close them with `stopSuiteServer` after the suite.
 */
export async function startPostsWorld(target: DatabaseTestTarget, env: Readonly<Record<string, string>>): Promise<PostsWorldServer> {
  const started = await startSuiteServer(target, env);
  try {
    return { ...started, world: await buildPostsWorld(started.client, started.database) };
  } catch (error) {
    await stopSuiteServer(started.server, started.database);
    throw error;
  }
}

/** Sends as `actor`, with a JSON body when given. */
export function sendAs(client: AuthClient, actor: Actor, method: string, path: string, body?: unknown): Promise<TestResponse> {
  return client.send(method, path, { headers: actor.headers, ...(body === undefined ? {} : { body }) });
}

/** Every post id `actor` gets from GET /v1/posts, following the cursor to the end. */
export async function listAllPostIds(client: AuthClient, actor: Actor, query = ''): Promise<{ status: number; ids: Set<string> }> {
  const ids = new Set<string>();
  let after: string | null = null;
  for (;;) {
    const res = await sendAs(client, actor, 'GET', `/v1/posts?limit=100${query}${after === null ? '' : `&after=${after}`}`);
    if (res.status !== 200) return { status: res.status, ids };
    const page = res.json() as { posts: { id: string }[]; next: string | null };
    for (const post of page.posts) {
      assert.ok(!ids.has(post.id), `post ${post.id} listed twice`);
      ids.add(post.id);
    }
    if (page.next === null) return { status: 200, ids };
    after = page.next;
  }
}
