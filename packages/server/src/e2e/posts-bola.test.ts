import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppDatabase } from '../db/open-database.js';
import type { PostStatus, PostVisibility } from '../db/schema.js';
import { describeEachDatabase } from '../test-support/databases.js';
import type { TestServer } from '../test-support/test-server.js';
import { ROOMY_LIMITS, type AuthClient } from './identity.test-helpers.js';
import { insertTestPost, listAllPostIds, sendAs, startPostsWorld, type Actor, type PostsWorld } from './posts.test-helpers.js';
import { stopSuiteServer } from './suite-server.test-helpers.js';

// The generated BOLA matrix (issue 6: Z3, Z5, Z6) over real HTTP on SQLite and PostgreSQL: every
// caller x every post (status x visibility, all owned by one member of a shared organisation) x
// every operation, with the answer each cell must get computed here from the rules as the issue
// states them, never by asking the production module. Mutating cells each get a fresh post.

const STATUSES: readonly PostStatus[] = ['draft', 'published'];
const VISIBILITIES: readonly PostVisibility[] = ['private', 'org', 'public'];
const OPERATIONS = ['GET post', 'PATCH', 'DELETE', 'publish', 'unpublish', 'list contains it', 'GET comments', 'POST comment'] as const;
type Operation = (typeof OPERATIONS)[number];
const MUTATING: ReadonlySet<Operation> = new Set(['PATCH', 'DELETE', 'publish', 'unpublish']);

type CallerName =
  | 'anonymous'
  | 'owner'
  | 'same-org member'
  | 'same-org org moderator'
  | 'other-org user'
  | 'global admin'
  | 'global moderator, member'
  | 'global moderator, outsider'
  | 'owner API key with posts:read'
  | 'owner API key without posts:read';
const CALLERS: readonly CallerName[] = [
  'anonymous',
  'owner',
  'same-org member',
  'same-org org moderator',
  'other-org user',
  'global admin',
  'global moderator, member',
  'global moderator, outsider',
  'owner API key with posts:read',
  'owner API key without posts:read',
];

function actorOf(world: PostsWorld, name: CallerName): Actor {
  const actors: Record<CallerName, Actor> = {
    anonymous: world.anonymous,
    owner: world.owner,
    'same-org member': world.member,
    'same-org org moderator': world.orgModerator,
    'other-org user': world.otherOrgUser,
    'global admin': world.admin,
    'global moderator, member': world.globalModeratorMember,
    'global moderator, outsider': world.globalModeratorOutsider,
    'owner API key with posts:read': world.ownerKeyWithRead,
    'owner API key without posts:read': world.ownerKeyWithoutRead,
  };
  return actors[name];
}

/** Who sees a post of the shared organisation owned by someone else, by status/visibility (issue 6, rule 3). */
const SEES: Record<Exclude<CallerName, 'anonymous' | 'owner' | 'owner API key with posts:read' | 'owner API key without posts:read'>, 'all' | readonly string[]> = {
  'same-org member': ['published/org', 'published/public'],
  'same-org org moderator': 'all',
  'other-org user': ['published/public'],
  'global admin': 'all',
  'global moderator, member': 'all',
  'global moderator, outsider': ['published/public'],
};

/** Those who may unpublish a post of the shared organisation they can see. */
const MODERATES: ReadonlySet<CallerName> = new Set(['same-org org moderator', 'global admin', 'global moderator, member']);

/** A scope an API key needs for each operation; the owner's read key has posts:read only. */
const SCOPE_OF: Record<Operation, string> = {
  'GET post': 'posts:read',
  'list contains it': 'posts:read',
  PATCH: 'posts:write',
  DELETE: 'posts:write',
  publish: 'posts:publish',
  unpublish: 'posts:moderate',
  'GET comments': 'comments:read',
  'POST comment': 'comments:write',
};

interface Expectation {
  readonly status: number;
  readonly code?: string;
  /** For the listing: whether the post is in it. */
  readonly listed?: boolean;
}

function expectation(caller: CallerName, status: PostStatus, visibility: PostVisibility, operation: Operation): Expectation {
  if (caller === 'anonymous') return { status: 401, code: 'auth.unauthenticated' };
  if (caller === 'owner API key without posts:read') return { status: 403, code: 'auth.scope_missing' };
  if (caller === 'owner API key with posts:read' && SCOPE_OF[operation] !== 'posts:read') return { status: 403, code: 'auth.scope_missing' };
  const isOwner = caller === 'owner' || caller === 'owner API key with posts:read';
  const seen = isOwner ? 'all' : SEES[caller];
  const visible = seen === 'all' || seen.includes(`${status}/${visibility}`);
  if (operation === 'list contains it') return { status: 200, listed: visible };
  if (!visible) return { status: 404, code: 'route.not_found' };
  const forbidden = { status: 403, code: 'auth.forbidden' };
  switch (operation) {
    case 'GET post':
    case 'GET comments':
      return { status: 200 };
    case 'PATCH':
      return isOwner || caller === 'global admin' ? { status: 200 } : forbidden;
    case 'DELETE':
      return isOwner || caller === 'global admin' ? { status: 204 } : forbidden;
    case 'publish':
      return isOwner ? { status: 200 } : forbidden;
    case 'unpublish':
      return MODERATES.has(caller) ? { status: 200 } : forbidden;
    case 'POST comment':
      return status === 'published' ? { status: 201 } : forbidden;
  }
}

const REQUEST: Record<Exclude<Operation, 'list contains it'>, (id: string) => readonly [string, string, unknown]> = {
  'GET post': (id) => ['GET', `/v1/posts/${id}`, undefined],
  PATCH: (id) => ['PATCH', `/v1/posts/${id}`, { title: 'changed' }],
  DELETE: (id) => ['DELETE', `/v1/posts/${id}`, undefined],
  publish: (id) => ['POST', `/v1/posts/${id}/publish`, undefined],
  unpublish: (id) => ['POST', `/v1/posts/${id}/unpublish`, undefined],
  'GET comments': (id) => ['GET', `/v1/posts/${id}/comments`, undefined],
  'POST comment': (id) => ['POST', `/v1/posts/${id}/comments`, { body: 'hello' }],
};

const ROUTE_OF: Record<Exclude<Operation, 'list contains it'>, string> = {
  'GET post': '/v1/posts/:id',
  PATCH: '/v1/posts/:id',
  DELETE: '/v1/posts/:id',
  publish: '/v1/posts/:id/publish',
  unpublish: '/v1/posts/:id/unpublish',
  'GET comments': '/v1/posts/:id/comments',
  'POST comment': '/v1/posts/:id/comments',
};

describeEachDatabase('BOLA matrix for posts (Z3, Z5, Z6)', (target) => {
  let server: TestServer;
  let database: AppDatabase;
  let client: AuthClient;
  let world: PostsWorld;
  /** The read-only posts, by `status/visibility`. */
  const basePosts = new Map<string, string>();
  /** Refusals by object rule that must each have left a security event. */
  const refusals: { event: string; objectId: string; userId: string; method: string; route: string; cell: string }[] = [];
  let cells = 0;

  before(async () => {
    ({ server, database, client, world } = await startPostsWorld(target, ROOMY_LIMITS));
    for (const status of STATUSES) {
      for (const visibility of VISIBILITIES) {
        basePosts.set(`${status}/${visibility}`, await insertTestPost(database, { orgId: world.sharedOrgId, ownerId: world.owner.userId as string, status, visibility }));
      }
    }
  });
  after(() => stopSuiteServer(server, database));

  for (const caller of CALLERS) {
    it(`${caller}: every post x every operation answers as the rules say`, async () => {
      const actor = actorOf(world, caller);
      const listing = await listAllPostIds(client, actor);
      const mismatches: string[] = [];
      for (const status of STATUSES) {
        for (const visibility of VISIBILITIES) {
          for (const operation of OPERATIONS) {
            const cell = `${caller} | ${status}/${visibility} | ${operation}`;
            const want = expectation(caller, status, visibility, operation);
            cells++;
            if (operation === 'list contains it') {
              const listed = listing.ids.has(basePosts.get(`${status}/${visibility}`) as string);
              if (listing.status !== want.status || (want.listed !== undefined && listed !== want.listed)) {
                mismatches.push(`${cell}: expected ${want.status}${want.listed === undefined ? '' : want.listed ? ' listed' : ' absent'}, got ${listing.status}${listing.status === 200 ? (listed ? ' listed' : ' absent') : ''}`);
              }
              continue;
            }
            const postId = MUTATING.has(operation)
              ? await insertTestPost(database, { orgId: world.sharedOrgId, ownerId: world.owner.userId as string, status, visibility })
              : (basePosts.get(`${status}/${visibility}`) as string);
            const [method, path, body] = REQUEST[operation](postId);
            const res = await sendAs(client, actor, method, path, body);
            const code = res.status >= 400 ? (res.json()['code'] as string) : undefined;
            if (res.status !== want.status || code !== want.code) {
              mismatches.push(`${cell}: expected ${want.status} ${want.code ?? ''}, got ${res.status} ${code ?? ''}`);
              continue;
            }
            if (want.code === 'route.not_found' || want.code === 'auth.forbidden') {
              refusals.push({
                event: want.code === 'route.not_found' ? 'authz.hidden' : 'authz.denied',
                objectId: postId,
                userId: actor.userId as string,
                method,
                route: ROUTE_OF[operation],
                cell,
              });
            }
            if (res.status === 200 && (operation === 'GET post' || operation === 'PATCH' || operation === 'publish' || operation === 'unpublish')) {
              const post = res.json();
              assert.equal(post['id'], postId, cell);
              if (operation === 'publish') assert.equal(post['status'], 'published', cell);
              if (operation === 'unpublish') assert.equal(post['status'], 'draft', cell);
              if (operation === 'PATCH') assert.equal(post['title'], 'changed', cell);
            }
            if (operation === 'DELETE' && res.status === 204) {
              const left = await database.db.selectFrom('posts').select('id').where('id', '=', postId).executeTakeFirst();
              assert.equal(left, undefined, `${cell}: the post is gone`);
            }
            if (MUTATING.has(operation) && res.status >= 400) {
              const row = await database.db.selectFrom('posts').select(['status', 'title']).where('id', '=', postId).executeTakeFirst();
              assert.deepEqual(row, { status, title: `${status} ${visibility}` }, `${cell}: a refused change changes nothing`);
            }
          }
        }
      }
      assert.deepEqual(mismatches, [], `${mismatches.length} cells answered otherwise:\n${mismatches.join('\n')}`);
    });
  }

  it('covered every cell, and logged every refusal by an object rule as a security event', () => {
    assert.equal(cells, CALLERS.length * STATUSES.length * VISIBILITIES.length * OPERATIONS.length);
    assert.ok(refusals.some((refusal) => refusal.event === 'authz.hidden') && refusals.some((refusal) => refusal.event === 'authz.denied'));
    const logged = new Set(
      server
        .logLines()
        .filter((line) => line['event'] === 'authz.hidden' || line['event'] === 'authz.denied')
        .map((line) => `${String(line['event'])}|${String(line['objectId'])}|${String(line['userId'])}|${String(line['method'])}|${String(line['route'])}`),
    );
    const missing = refusals.filter((refusal) => !logged.has(`${refusal.event}|${refusal.objectId}|${refusal.userId}|${refusal.method}|${refusal.route}`));
    assert.deepEqual(missing.map((refusal) => refusal.cell), []);
  });

  it('no answer carries a password hash or any email', () => {
    const posts = client.exchanges.filter((exchange) => exchange.path.startsWith('/v1/posts'));
    assert.ok(posts.length > 400);
    for (const exchange of posts) {
      assert.ok(!/argon2|password/i.test(exchange.text), `${exchange.method} ${exchange.path}: ${exchange.text}`);
      for (const email of world.emails) assert.ok(!exchange.text.includes(email), `${exchange.method} ${exchange.path} carries ${email}`);
    }
  });
});
