import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { canSeePost, visibleScope, type PostCaller } from '../app/posts/post-access.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { migrateToLatest } from './migrate.js';
import { openDatabase, type AppDatabase } from './open-database.js';
import { createPersonalOrganisation, orgRolesOf, personalOrganisationOf } from './organisations-repository.js';
import { insertComment, insertPost, listComments, listVisiblePosts, setPostStatus } from './posts-repository.js';
import { orgRoles, postStatuses, postVisibilities, userRoles, type OrgRole } from './schema.js';
import { createUser } from './users-repository.js';

// The listing's SQL filter against the rule itself, on both dialects: for callers of every global
// role and org role, a listing returns exactly the stored posts canSeePost admits, page by page.

describeEachDatabase('posts repository', (target) => {
  let app: AppDatabase;
  const users: string[] = [];
  const orgs: string[] = [];
  before(async () => {
    app = await openDatabase(target.target);
    await migrateToLatest(app.db);
    for (let i = 0; i < 3; i++) {
      const id = await createUser(app.db, { email: `posts-${i}-${randomUUID()}@example.com`, passwordHash: 'not-a-hash', role: 'user', name: `P${i}` });
      users.push(id);
      orgs.push(await createPersonalOrganisation(app.db, id, `P${i}`));
    }
    // Two posts of every status and visibility, by every user, in every organisation.
    for (const orgId of orgs) {
      for (const ownerId of users) {
        for (const visibility of postVisibilities) {
          for (const status of postStatuses) {
            for (let copy = 0; copy < 2; copy++) {
              const post = await insertPost(app.db, { orgId, ownerId, title: 't', body: 'b', visibility });
              if (status === 'published') await setPostStatus(app.db, post.id, 'published');
            }
          }
        }
      }
    }
  });
  after(() => app?.close());

  it('gives every registered user a personal organisation it owns', async () => {
    for (const [index, userId] of users.entries()) {
      assert.equal(await personalOrganisationOf(app.db, userId), orgs[index]);
      assert.deepEqual([...(await orgRolesOf(app.db, userId))], [[orgs[index], 'owner']]);
    }
    const row = await app.db.selectFrom('organisations').select('name').where('id', '=', orgs[0] as string).executeTakeFirstOrThrow();
    assert.equal(row.name, "P0's organisation");
  });

  it('lists exactly the posts canSeePost admits, for every kind of caller, across pages', async () => {
    const all = await listVisiblePosts(app.db, { everything: true }, { limit: 100 });
    const rest = await listVisiblePosts(app.db, { everything: true }, { limit: 100, after: all.at(-1)?.id });
    const stored = [...all, ...rest];
    assert.equal(stored.length, orgs.length * users.length * 6 * 2);
    const me = users[0] as string;
    for (const globalRole of userRoles) {
      for (const orgRole of [undefined, ...orgRoles] as (OrgRole | undefined)[]) {
        const roles = new Map<string, OrgRole>([[orgs[0] as string, 'owner']]);
        if (orgRole !== undefined) roles.set(orgs[1] as string, orgRole);
        const caller: PostCaller = { userId: me, globalRole, orgRoles: roles };
        const listed: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await listVisiblePosts(app.db, visibleScope(caller), { limit: 7, after });
          listed.push(...page.map((post) => post.id));
          if (page.length < 7) break;
          after = page.at(-1)?.id;
        }
        const want = stored.filter((post) => canSeePost(caller, post)).map((post) => post.id).sort();
        assert.deepEqual(listed, want, `${globalRole} with org role ${orgRole ?? 'none'} in the second organisation`);
        const inOrg = await listVisiblePosts(app.db, visibleScope(caller), { limit: 100, orgId: orgs[2] as string });
        assert.deepEqual(inOrg.map((post) => post.id), want.filter((id) => stored.find((post) => post.id === id)?.orgId === orgs[2]), 'filtered by organisation');
      }
    }
  });

  it('pages comments oldest first and refuses a cursor from another post', async () => {
    const [post, other] = await listVisiblePosts(app.db, { everything: true }, { limit: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await insertComment(app.db, { postId: post!.id, authorId: users[1] as string, body: `c${i}` })).id);
    const foreign = await insertComment(app.db, { postId: other!.id, authorId: users[1] as string, body: 'elsewhere' });
    const whole = (await listComments(app.db, post!.id, { limit: 100 })) ?? [];
    assert.deepEqual(whole.map((comment) => comment.id).sort(), [...ids].sort());
    const order = (comment: { createdAt: string; id: string }) => `${comment.createdAt}|${comment.id}`;
    assert.deepEqual(whole.map(order), whole.map(order).sort(), 'oldest first, then by id');
    const first = (await listComments(app.db, post!.id, { limit: 3 })) ?? [];
    const second = (await listComments(app.db, post!.id, { limit: 3, after: first.at(-1)?.id })) ?? [];
    assert.deepEqual([...first, ...second].map((comment) => comment.id), whole.map((comment) => comment.id));
    assert.equal(await listComments(app.db, post!.id, { limit: 3, after: foreign.id }), undefined);
  });
});
