import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import type { TestServer } from '../test-support/test-server.js';
import { assertProblem, ROOMY_LIMITS, withoutErrorId, type AuthClient } from './identity.test-helpers.js';
import { successBodyChecker } from './openapi-bodies.test-helpers.js';
import { insertTestComment, insertTestPost, listAllPostIds, sendAs, startPostsWorld, type Actor, type PostsWorld } from './posts.test-helpers.js';
import { stopSuiteServer } from './suite-server.test-helpers.js';

// Posts and comments over real HTTP on SQLite and PostgreSQL (issue 6: Z3, Z4, V6): where a new
// post goes, mass assignment refused field by field, hidden answering exactly like missing,
// pagination bounds, comment rules, the read shapes, and no hash or email in any answer.

const POST_FIELDS = ['body', 'createdAt', 'id', 'orgId', 'ownerId', 'status', 'title', 'updatedAt', 'visibility'];
const COMMENT_FIELDS = ['authorId', 'body', 'createdAt', 'id', 'postId'];

describeEachDatabase('posts and comments (/v1/posts)', (target) => {
  let server: TestServer;
  let database: AppDatabase;
  let client: AuthClient;
  let world: PostsWorld;
  before(async () => {
    ({ server, database, client, world } = await startPostsWorld(target, ROOMY_LIMITS));
  });
  after(() => stopSuiteServer(server, database));

  const post = (status: 'draft' | 'published', visibility: 'private' | 'org' | 'public', owner: Actor = world.owner) =>
    insertTestPost(database, { orgId: world.sharedOrgId, ownerId: owner.userId as string, status, visibility });
  const stored = (id: string) => database.db.selectFrom('posts').selectAll().where('id', '=', id).executeTakeFirst();
  const postCount = async () => (await database.db.selectFrom('posts').select('id').execute()).length;

  it('a new account gets its own organisation, and a post without orgId goes there, as a draft', async () => {
    const account = await client.register('newcomer');
    const tokens = await client.signIn(account);
    const personal = await database.db.selectFrom('organisations').selectAll().where('personal_user_id', '=', account.id).executeTakeFirstOrThrow();
    assert.equal(personal.name, `${account.name}'s organisation`);
    const membership = await database.db.selectFrom('memberships').selectAll().where('user_id', '=', account.id).execute();
    assert.deepEqual(membership, [{ org_id: personal.id, user_id: account.id, org_role: 'owner' }]);

    const res = await client.send('POST', '/v1/posts', { token: tokens.accessToken, body: { title: 'Hello', body: 'First post', visibility: 'public' } });
    assert.equal(res.status, 201, res.text);
    const created = res.json();
    assert.deepEqual(Object.keys(created).sort(), POST_FIELDS);
    assert.equal(created['orgId'], personal.id);
    assert.equal(created['ownerId'], account.id);
    assert.equal(created['status'], 'draft');
    assert.equal(res.headers['location'], `/v1/posts/${String(created['id'])}`);
    const fetched = await client.send('GET', `/v1/posts/${String(created['id'])}`, { token: tokens.accessToken });
    assert.deepEqual(fetched.json(), created);
  });

  it('every posts answer matches the success body /openapi.json documents for it (L1, V6)', async () => {
    const check = successBodyChecker(await client.send('GET', '/openapi.json'));
    const created = await sendAs(client, world.member, 'POST', '/v1/posts', { title: 'Documented', body: 'text', visibility: 'org', orgId: world.sharedOrgId });
    check('post', '/v1/posts', created, 201);
    const id = String(created.json()['id']);
    check('get', '/v1/posts/{id}', await sendAs(client, world.member, 'GET', `/v1/posts/${id}`), 200);
    check('patch', '/v1/posts/{id}', await sendAs(client, world.member, 'PATCH', `/v1/posts/${id}`, { title: 'Documented, again' }), 200);
    check('get', '/v1/posts', await sendAs(client, world.member, 'GET', '/v1/posts?limit=5'), 200);
    check('post', '/v1/posts/{id}/publish', await sendAs(client, world.member, 'POST', `/v1/posts/${id}/publish`, {}), 200);
    check('post', '/v1/posts/{id}/comments', await sendAs(client, world.member, 'POST', `/v1/posts/${id}/comments`, { body: 'A comment' }), 201);
    check('get', '/v1/posts/{id}/comments', await sendAs(client, world.member, 'GET', `/v1/posts/${id}/comments`), 200);
  });

  it('a post goes only to an organisation the caller belongs to; any other answers like a missing one', async () => {
    const body = { title: 'Shared news', body: 'text', visibility: 'org', orgId: world.sharedOrgId };
    const created = await sendAs(client, world.member, 'POST', '/v1/posts', body);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json()['orgId'], world.sharedOrgId);

    const before = await postCount();
    const notMine = await sendAs(client, world.otherOrgUser, 'POST', '/v1/posts', body);
    const missing = await sendAs(client, world.otherOrgUser, 'POST', '/v1/posts', { ...body, orgId: randomUUID() });
    assertProblem(notMine, 404, 'route.not_found');
    assert.deepEqual(withoutErrorId(notMine), withoutErrorId(missing));
    // Membership, not a global role, decides where a post may go.
    assertProblem(await sendAs(client, world.admin, 'POST', '/v1/posts', body), 404, 'route.not_found');
    assert.equal(await postCount(), before);
    assert.ok(
      server.logLines().some((line) => line['event'] === 'authz.hidden' && line['objectId'] === world.sharedOrgId && line['userId'] === world.otherOrgUser.userId && line['route'] === '/v1/posts'),
      'the refusal is a security event',
    );
  });

  it('refuses every protected field on create, update and comment with 400, changing nothing', async () => {
    const valid = { title: 'T', body: 'B', visibility: 'org' };
    const protectedOnCreate: Record<string, unknown>[] = [
      { ownerId: world.member.userId },
      { status: 'published' },
      { status: 'draft' },
      { id: randomUUID() },
      { createdAt: '2020-01-01T00:00:00.000Z' },
      { updatedAt: '2020-01-01T00:00:00.000Z' },
      { owner_id: world.member.userId },
      { role: 'admin' },
    ];
    const before = await postCount();
    // Every role that can write: the schema is the same for all, so none may set these.
    const writers = [world.owner, world.orgModerator, world.globalModeratorMember, world.admin];
    for (const writer of writers) {
      for (const extra of protectedOnCreate) {
        const res = await sendAs(client, writer, 'POST', '/v1/posts', { ...valid, ...extra });
        const problem = assertProblem(res, 400, 'request.validation_failed');
        // The refusal never echoes the client's key back; it says a field is not allowed.
        assert.deepEqual((problem['errors'] as { code: string }[]).map((error) => error.code), ['unrecognized_keys'], `${writer.label}: ${res.text}`);
      }
    }
    assertProblem(await sendAs(client, world.owner, 'POST', '/v1/posts', { ...valid, visibility: 'everyone' }), 400, 'request.validation_failed');
    assert.equal(await postCount(), before);

    const id = await post('draft', 'private');
    const original = await stored(id);
    const protectedOnUpdate: Record<string, unknown>[] = [
      { ownerId: world.member.userId },
      { orgId: randomUUID() },
      { status: 'published' },
      { id: randomUUID() },
      { createdAt: '2020-01-01T00:00:00.000Z' },
      { updatedAt: '2020-01-01T00:00:00.000Z' },
    ];
    for (const writer of writers) {
      for (const extra of protectedOnUpdate) {
        assertProblem(await sendAs(client, writer, 'PATCH', `/v1/posts/${id}`, { title: 'changed', ...extra }), 400, 'request.validation_failed');
      }
    }
    assertProblem(await sendAs(client, world.owner, 'PATCH', `/v1/posts/${id}`, {}), 400, 'request.validation_failed');
    assertProblem(await sendAs(client, world.owner, 'POST', `/v1/posts/${id}/publish`, { status: 'published' }), 400, 'request.validation_failed');
    assert.deepEqual(await stored(id), original);

    const published = await post('published', 'org');
    for (const extra of [{ authorId: world.member.userId }, { postId: randomUUID() }, { id: randomUUID() }, { createdAt: '2020-01-01T00:00:00.000Z' }]) {
      assertProblem(await sendAs(client, world.member, 'POST', `/v1/posts/${published}/comments`, { body: 'hi', ...extra }), 400, 'request.validation_failed');
    }
    assert.equal((await database.db.selectFrom('comments').select('id').where('post_id', '=', published).execute()).length, 0);
  });

  it('answers a post or comment the caller may not see exactly like a missing one', async () => {
    const hidden = await post('draft', 'private');
    const hiddenComment = await insertTestComment(database, hidden, world.owner.userId as string);
    const visible = await post('published', 'org');
    const missing = randomUUID();
    const requests: [string, (id: string) => string, unknown][] = [
      ['GET', (id) => `/v1/posts/${id}`, undefined],
      ['PATCH', (id) => `/v1/posts/${id}`, { title: 'x' }],
      ['DELETE', (id) => `/v1/posts/${id}`, undefined],
      ['POST', (id) => `/v1/posts/${id}/publish`, undefined],
      ['POST', (id) => `/v1/posts/${id}/unpublish`, undefined],
      ['GET', (id) => `/v1/posts/${id}/comments`, undefined],
      ['POST', (id) => `/v1/posts/${id}/comments`, { body: 'x' }],
      ['DELETE', (id) => `/v1/posts/${id}/comments/${hiddenComment}`, undefined],
    ];
    const unknownRoute = withoutErrorId(await sendAs(client, world.member, 'GET', '/v1/no-such-thing'));
    for (const [method, path, body] of requests) {
      const a = await sendAs(client, world.member, method, path(hidden), body);
      const b = await sendAs(client, world.member, method, path(missing), body);
      assertProblem(a, 404, 'route.not_found');
      assert.deepEqual(withoutErrorId(a), withoutErrorId(b), `${method} ${path(':id')}`);
      assert.deepEqual(withoutErrorId(a), unknownRoute, 'and like a route that does not exist');
      assert.equal(a.headers['content-type'], b.headers['content-type']);
    }
    // A comment id that is not one of this post's answers the same, whether it exists elsewhere or not.
    const elsewhere = await sendAs(client, world.member, 'DELETE', `/v1/posts/${visible}/comments/${hiddenComment}`);
    const nowhere = await sendAs(client, world.member, 'DELETE', `/v1/posts/${visible}/comments/${randomUUID()}`);
    assertProblem(elsewhere, 404, 'route.not_found');
    assert.deepEqual(withoutErrorId(elsewhere), withoutErrorId(nowhere));
    assert.ok(await stored(hidden), 'nothing happened to the hidden post');
  });

  it('pages the listing with a cursor, at most 100 a page, visible posts only', async () => {
    for (const query of ['limit=101', 'limit=0', 'limit=ten', 'after=not-an-id', 'orgId=nope', 'status=draft', 'limit=1&limit=2']) {
      assertProblem(await sendAs(client, world.member, 'GET', `/v1/posts?${query}`), 400, 'request.validation_failed');
    }
    assertProblem(await sendAs(client, world.member, 'GET', `/v1/posts/${randomUUID()}/comments?limit=101`), 400, 'request.validation_failed');

    const mine = [];
    for (let i = 0; i < 5; i++) mine.push(await post('published', 'org', world.member));
    const hiddenFromMember = await post('draft', 'org');
    const everything = await listAllPostIds(client, world.member);
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 100, 'the cursor ends');
      const res = await sendAs(client, world.member, 'GET', `/v1/posts?limit=2${after === null ? '' : `&after=${after}`}`);
      assert.equal(res.status, 200, res.text);
      const page = res.json() as { posts: Record<string, unknown>[]; next: string | null };
      assert.ok(page.posts.length <= 2);
      for (const entry of page.posts) assert.deepEqual(Object.keys(entry).sort(), POST_FIELDS);
      seen.push(...page.posts.map((entry) => entry['id'] as string));
      if (page.next === null) break;
      after = page.next;
    }
    assert.deepEqual(seen, [...everything.ids]);
    assert.equal(new Set(seen).size, seen.length);
    for (const id of mine) assert.ok(everything.ids.has(id));
    assert.ok(!everything.ids.has(hiddenFromMember));

    const announcement = await post('published', 'public');
    const inShared = await listAllPostIds(client, world.otherOrgUser, `&orgId=${world.sharedOrgId}`);
    assert.equal(inShared.status, 200);
    assert.ok(inShared.ids.has(announcement));
    for (const id of inShared.ids) {
      const row = await stored(id);
      assert.deepEqual({ orgId: row?.org_id, status: row?.status, visibility: row?.visibility }, { orgId: world.sharedOrgId, status: 'published', visibility: 'public' });
    }
    for (const id of mine) assert.ok(!inShared.ids.has(id), 'an outsider filtering by the organisation still sees only its public posts');
  });

  it('comments: on a published post one can see; deleted by the author, an org moderator or an admin', async () => {
    const published = await post('published', 'org');
    const res = await sendAs(client, world.member, 'POST', `/v1/posts/${published}/comments`, { body: 'Nice one' });
    assert.equal(res.status, 201, res.text);
    const comment = res.json();
    assert.deepEqual(Object.keys(comment).sort(), COMMENT_FIELDS);
    assert.equal(comment['authorId'], world.member.userId);
    assert.equal(comment['postId'], published);

    const listed = await sendAs(client, world.owner, 'GET', `/v1/posts/${published}/comments`);
    assert.equal(listed.status, 200, listed.text);
    const page = listed.json() as { comments: Record<string, unknown>[]; next: string | null };
    assert.deepEqual(page.comments, [comment]);
    assert.equal(page.next, null);

    assertProblem(await sendAs(client, world.owner, 'DELETE', `/v1/posts/${published}/comments/${String(comment['id'])}`), 403, 'auth.forbidden');
    assertProblem(await sendAs(client, world.otherOrgUser, 'DELETE', `/v1/posts/${published}/comments/${String(comment['id'])}`), 404, 'route.not_found');
    assert.equal((await sendAs(client, world.member, 'DELETE', `/v1/posts/${published}/comments/${String(comment['id'])}`)).status, 204);

    for (const moderator of [world.orgModerator, world.globalModeratorMember, world.admin]) {
      const id = await insertTestComment(database, published, world.member.userId as string);
      const deleted = await sendAs(client, moderator, 'DELETE', `/v1/posts/${published}/comments/${id}`);
      assert.equal(deleted.status, 204, `${moderator.label}: ${deleted.text}`);
    }
    const kept = await insertTestComment(database, published, world.member.userId as string);
    assertProblem(await sendAs(client, world.globalModeratorOutsider, 'DELETE', `/v1/posts/${published}/comments/${kept}`), 404, 'route.not_found');
    const publicPost = await post('published', 'public');
    const onPublic = await insertTestComment(database, publicPost, world.member.userId as string);
    assertProblem(await sendAs(client, world.globalModeratorOutsider, 'DELETE', `/v1/posts/${publicPost}/comments/${onPublic}`), 403, 'auth.forbidden');

    const draft = await post('draft', 'org');
    const refused = await sendAs(client, world.owner, 'POST', `/v1/posts/${draft}/comments`, { body: 'early' });
    assertProblem(refused, 403, 'auth.forbidden');
    assert.match(String(refused.json()['detail']), /published/);
  });

  it('a post changes only through its routes: PATCH edits, publish and unpublish move the status', async () => {
    const id = await post('draft', 'private');
    const patched = await sendAs(client, world.owner, 'PATCH', `/v1/posts/${id}`, { title: 'New title', visibility: 'public' });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual({ title: patched.json()['title'], visibility: patched.json()['visibility'], status: patched.json()['status'] }, { title: 'New title', visibility: 'public', status: 'draft' });
    assertProblem(await sendAs(client, world.otherOrgUser, 'GET', `/v1/posts/${id}`), 404, 'route.not_found');
    assert.equal((await sendAs(client, world.owner, 'POST', `/v1/posts/${id}/publish`)).status, 200);
    assert.equal((await sendAs(client, world.otherOrgUser, 'GET', `/v1/posts/${id}`)).status, 200, 'published and public: seen across organisations');
    const unpublished = await sendAs(client, world.orgModerator, 'POST', `/v1/posts/${id}/unpublish`);
    assert.equal(unpublished.json()['status'], 'draft');
    assertProblem(await sendAs(client, world.otherOrgUser, 'GET', `/v1/posts/${id}`), 404, 'route.not_found');
    assert.ok(server.logLines().some((line) => line['event'] === 'post.unpublished' && line['postId'] === id && line['userId'] === world.orgModerator.userId));
  });

  it('no answer carries a password hash or any email', () => {
    const answers = client.exchanges.filter((exchange) => exchange.path.startsWith('/v1/posts'));
    assert.ok(answers.length > 50);
    for (const exchange of answers) {
      assert.ok(!/argon2|password/i.test(exchange.text), `${exchange.method} ${exchange.path}: ${exchange.text}`);
      for (const email of world.emails) assert.ok(!exchange.text.includes(email), `${exchange.method} ${exchange.path} carries ${email}`);
    }
  });
});
