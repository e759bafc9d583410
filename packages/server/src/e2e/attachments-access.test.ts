import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppDatabase } from '../db/open-database.js';
import type { PostStatus, PostVisibility } from '../db/schema.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { AuthClient, ROOMY_LIMITS } from './identity.test-helpers.js';
import { insertTestPost, sendAs, startPostsWorld, type Actor, type PostsWorld } from './posts.test-helpers.js';
import { filesUnder, gif, oneFile, png, ROOMY_UPLOAD_LIMITS, sendBytes, type BytesResponse } from './attachments.test-helpers.js';
import { stopSuiteServer } from './suite-server.test-helpers.js';

// V5 with Z3-Z6 over real HTTP on SQLite and PostgreSQL: attachments follow their post. Every
// caller x post (status x visibility) x operation (list, download, upload, delete) answers as the
// post rules say, computed here from the rules as issue 6 states them: reads need the post to be
// visible, uploads and deletions need what changing it needs (owner or admin, posts:write), and a
// hidden post answers exactly like a missing one. Then: attachments are reached only through their
// own post, deletion removes file and row, deleting the post removes its files, and uploads are
// limited per post and per user.

type CallerName = 'anonymous' | 'owner' | 'member' | 'org moderator' | 'other-org user' | 'admin' | 'global moderator, member' | 'owner key with posts:read' | 'owner key without posts:read';
const CALLERS: readonly CallerName[] = ['anonymous', 'owner', 'member', 'org moderator', 'other-org user', 'admin', 'global moderator, member', 'owner key with posts:read', 'owner key without posts:read'];
const POSTS: readonly (readonly [PostStatus, PostVisibility])[] = [['draft', 'private'], ['published', 'org'], ['published', 'public']];
const OPERATIONS = ['list', 'download', 'upload', 'delete'] as const;
type Operation = (typeof OPERATIONS)[number];

/** Who sees an owner's post of the shared organisation, by status/visibility (issue 6). */
const SEES: Record<'member' | 'org moderator' | 'other-org user' | 'global moderator, member', readonly string[] | 'all'> = {
  member: ['published/org', 'published/public'],
  'org moderator': 'all',
  'other-org user': ['published/public'],
  'global moderator, member': 'all',
};

function expected(caller: CallerName, status: PostStatus, visibility: PostVisibility, operation: Operation): { status: number; code?: string } {
  const writes = operation === 'upload' || operation === 'delete';
  if (caller === 'anonymous') return { status: 401, code: 'auth.unauthenticated' };
  if (caller === 'owner key without posts:read' || (caller === 'owner key with posts:read' && writes)) return { status: 403, code: 'auth.scope_missing' };
  const owner = caller === 'owner' || caller === 'owner key with posts:read';
  const seen = owner || caller === 'admin' ? 'all' : SEES[caller];
  if (seen !== 'all' && !seen.includes(`${status}/${visibility}`)) return { status: 404, code: 'route.not_found' };
  if (!writes) return { status: 200 };
  if (owner || caller === 'admin') return { status: operation === 'upload' ? 201 : 204 };
  return { status: 403, code: 'auth.forbidden' };
}

describeEachDatabase('attachment access (V5, Z3-Z6)', (target) => {
  let server: TestServer;
  let database: AppDatabase;
  let client: AuthClient;
  let world: PostsWorld;
  let sandbox: string;
  let uploadDir: string;
  before(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'portcullis-attachments-e2e-'));
    uploadDir = join(sandbox, 'uploads');
    ({ server, database, client, world } = await startPostsWorld(target, { ...ROOMY_LIMITS, ...ROOMY_UPLOAD_LIMITS, UPLOAD_DIR: uploadDir }));
  });
  after(async () => {
    await stopSuiteServer(server, database);
    await rm(sandbox, { recursive: true, force: true });
  });

  const actorOf = (name: CallerName): Actor =>
    ({
      anonymous: world.anonymous,
      owner: world.owner,
      member: world.member,
      'org moderator': world.orgModerator,
      'other-org user': world.otherOrgUser,
      admin: world.admin,
      'global moderator, member': world.globalModeratorMember,
      'owner key with posts:read': world.ownerKeyWithRead,
      'owner key without posts:read': world.ownerKeyWithoutRead,
    })[name];
  const newPost = (status: PostStatus, visibility: PostVisibility) => insertTestPost(database, { orgId: world.sharedOrgId, ownerId: world.owner.userId as string, status, visibility });
  const uploadAs = (actor: Actor, postId: string, content = png()) => {
    const form = oneFile(content, 'a.png', 'image/png');
    return sendBytes(server.url, { method: 'POST', path: `/v1/posts/${postId}/attachments`, headers: { ...actor.headers, 'content-type': form.contentType }, body: form.body });
  };
  /** A post with one attachment uploaded by its owner: [postId, attachmentId, fileName]. */
  const postWithFile = async (status: PostStatus, visibility: PostVisibility): Promise<[string, string, string]> => {
    const postId = await newPost(status, visibility);
    const res = await uploadAs(world.owner, postId);
    assert.equal(res.status, 201, res.body.toString('utf8'));
    return [postId, res.json()['id'] as string, res.json()['fileName'] as string];
  };
  const code = (res: BytesResponse) => (res.status >= 400 ? (res.json()['code'] as string) : undefined);

  it('every caller x post x operation answers as the post rules say', async () => {
    const mismatches: string[] = [];
    let cells = 0;
    for (const caller of CALLERS) {
      const actor = actorOf(caller);
      for (const [status, visibility] of POSTS) {
        for (const operation of OPERATIONS) {
          cells++;
          const cell = `${caller} | ${status}/${visibility} | ${operation}`;
          const want = expected(caller, status, visibility, operation);
          // A fresh post per cell, so no cell sees another's upload or deletion.
          const [postId, attachmentId, fileName] = await postWithFile(status, visibility);
          const path = `/v1/posts/${postId}/attachments`;
          const res =
            operation === 'list'
              ? await sendBytes(server.url, { method: 'GET', path, headers: actor.headers })
              : operation === 'download'
                ? await sendBytes(server.url, { method: 'GET', path: `${path}/${attachmentId}`, headers: actor.headers })
                : operation === 'upload'
                  ? await uploadAs(actor, postId, gif())
                  : await sendBytes(server.url, { method: 'DELETE', path: `${path}/${attachmentId}`, headers: actor.headers });
          if (res.status !== want.status || code(res) !== want.code) {
            mismatches.push(`${cell}: expected ${want.status} ${want.code ?? ''}, got ${res.status} ${code(res) ?? ''}`);
            continue;
          }
          const files = await filesUnder(uploadDir);
          const stored = await database.db.selectFrom('attachments').select('id').where('post_id', '=', postId).execute();
          if (operation === 'download' && res.status === 200) assert.deepEqual(res.body, png(), cell);
          if (operation === 'list' && res.status === 200) assert.deepEqual((res.json()['attachments'] as { id: string }[]).map((entry) => entry.id), [attachmentId], cell);
          if (operation === 'delete') {
            assert.equal(files.includes(fileName), res.status !== 204, `${cell}: the file is gone exactly when the deletion succeeded`);
            assert.equal(stored.length, res.status === 204 ? 0 : 1, `${cell}: the row too`);
          }
          if (operation === 'upload') assert.equal(stored.length, res.status === 201 ? 2 : 1, `${cell}: a refused upload stores nothing`);
        }
      }
    }
    assert.equal(cells, CALLERS.length * POSTS.length * OPERATIONS.length);
    assert.deepEqual(mismatches, [], `${mismatches.length} cells answered otherwise:\n${mismatches.join('\n')}`);
  });

  it('a hidden post answers exactly like a missing one, and the refusal is a security event', async () => {
    const [hiddenPost, hiddenAttachment] = await postWithFile('draft', 'private');
    const pairs = [
      [`/v1/posts/${hiddenPost}/attachments`, `/v1/posts/${randomUUID()}/attachments`],
      [`/v1/posts/${hiddenPost}/attachments/${hiddenAttachment}`, `/v1/posts/${randomUUID()}/attachments/${randomUUID()}`],
    ];
    for (const [hidden, missing] of pairs) {
      const a = await sendBytes(server.url, { method: 'GET', path: hidden as string, headers: world.member.headers });
      const b = await sendBytes(server.url, { method: 'GET', path: missing as string, headers: world.member.headers });
      assert.equal(a.status, 404);
      const { errorId: _a, ...bodyA } = a.json();
      const { errorId: _b, ...bodyB } = b.json();
      assert.deepEqual(bodyA, bodyB);
    }
    const hiddenUpload = await uploadAs(world.member, hiddenPost);
    assert.equal(hiddenUpload.status, 404);
    assert.ok(server.logLines().some((line) => line['event'] === 'authz.hidden' && line['objectId'] === hiddenPost && line['action'] === 'update_attachments'));
  });

  it('an attachment is reached only through its own post', async () => {
    const [postA, attachmentA] = await postWithFile('published', 'public');
    const [postB, attachmentB] = await postWithFile('published', 'public');
    for (const actor of [world.owner, world.admin, world.member]) {
      const crossed = await sendBytes(server.url, { method: 'GET', path: `/v1/posts/${postB}/attachments/${attachmentA}`, headers: actor.headers });
      assert.equal(crossed.status, 404, actor.label);
    }
    const crossDelete = await sendBytes(server.url, { method: 'DELETE', path: `/v1/posts/${postB}/attachments/${attachmentA}`, headers: world.owner.headers });
    assert.equal(crossDelete.status, 404);
    assert.equal((await database.db.selectFrom('attachments').select('id').where('id', 'in', [attachmentA, attachmentB]).execute()).length, 2, 'nothing was deleted');
    assert.equal((await sendBytes(server.url, { method: 'GET', path: `/v1/posts/${postA}/attachments/${attachmentA}`, headers: world.owner.headers })).status, 200);
    for (const bad of ['not-a-uuid', '..%2F..%2Fetc%2Fpasswd', `${attachmentA}.png`]) {
      const res = await sendBytes(server.url, { method: 'GET', path: `/v1/posts/${postA}/attachments/${bad}`, headers: world.owner.headers });
      assert.equal(res.status, 400, bad);
      assert.equal(res.json()['code'], 'request.validation_failed', bad);
    }
  });

  it('deleting a post removes its files along with it', async () => {
    const [postId, , first] = await postWithFile('draft', 'org');
    const second = (await uploadAs(world.owner, postId, gif())).json()['fileName'] as string;
    assert.ok(existsSync(join(uploadDir, first)) && existsSync(join(uploadDir, second)));
    const deleted = await sendAs(client, world.owner, 'DELETE', `/v1/posts/${postId}`);
    assert.equal(deleted.status, 204, deleted.text);
    assert.ok(!existsSync(join(uploadDir, first)) && !existsSync(join(uploadDir, second)));
    assert.equal((await database.db.selectFrom('attachments').select('id').where('post_id', '=', postId).execute()).length, 0);
  });

  describe('limits', () => {
    let limited: TestServer;
    before(async () => {
      // Its own secrets (its own DATA_DIR), so its people sign up through it.
      limited = await startTestServer({ ...ROOMY_LIMITS, DATABASE_URL: target.databaseUrl, UPLOAD_DIR: join(sandbox, 'limited'), UPLOAD_RATE_LIMIT: '3', UPLOAD_MAX_PER_POST: '2' });
    });
    after(async () => {
      await limited?.close();
    });

    it('a post holds at most UPLOAD_MAX_PER_POST files (409), and a user makes at most UPLOAD_RATE_LIMIT uploads a window (429)', async () => {
      const limitedClient = new AuthClient(limited.url);
      const account = await limitedClient.register('uploader');
      const tokens = await limitedClient.signIn(account);
      const headers = { authorization: `Bearer ${tokens.accessToken}` };
      const created = await limitedClient.send('POST', '/v1/posts', { token: tokens.accessToken, body: { title: 'T', body: 'B', visibility: 'private' } });
      assert.equal(created.status, 201, created.text);
      const path = `/v1/posts/${created.json()['id'] as string}/attachments`;
      const upload = () => {
        const form = oneFile(png(), 'a.png', 'image/png');
        return sendBytes(limited.url, { method: 'POST', path, headers: { ...headers, 'content-type': form.contentType }, body: form.body });
      };
      assert.equal((await upload()).status, 201);
      assert.equal((await upload()).status, 201);
      const full = await upload();
      assert.equal(full.status, 409);
      assert.equal(full.json()['code'], 'upload.too_many');
      const limitedOut = await upload();
      assert.equal(limitedOut.status, 429);
      assert.equal(limitedOut.json()['code'], 'ratelimit.exceeded');
      assert.ok(Number(limitedOut.headers['retry-after']) > 0);
      assert.equal((await filesUnder(join(sandbox, 'limited'))).length, 2);
      // Reading is not an upload: it is not counted.
      assert.equal((await sendBytes(limited.url, { method: 'GET', path, headers })).status, 200);
    });
  });
});
