import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import type { TestServer } from '../test-support/test-server.js';
import { assertProblem, ROOMY_LIMITS, type AuthClient } from './identity.test-helpers.js';
import { insertTestPost, sendAs, startPostsWorld, type PostsWorld } from './posts.test-helpers.js';
import { stopSuiteServer } from './suite-server.test-helpers.js';

// V4 over real HTTP on SQLite and PostgreSQL: a hostile post body is stored and returned
// sanitised (create and update), a body that sanitises to nothing is refused, and comments stay
// plain text: stored and returned exactly as sent, inside JSON, never interpreted as HTML.

const HOSTILE =
  '<h2 onclick="alert(1)">News</h2><p>Read <a href="jav&#x09;ascript:alert(1)" onmouseover="alert(2)">this</a> and ' +
  '<a href="https://example.com/docs" target="_blank">that</a>.</p><script>alert(document.cookie)</script>' +
  '<img src=x onerror=alert(3)><svg onload=alert(4)><p>inside svg</p></svg><iframe srcdoc="<script>alert(5)</script>"></iframe>' +
  '<!-- comment --><style>body{}</style><p style="x:expression(alert(6))">tail &amp; more</p>';
const SANITISED =
  '<h2>News</h2><p>Read <a rel="noopener noreferrer">this</a> and ' +
  '<a href="https://example.com/docs" rel="noopener noreferrer">that</a>.</p><p>tail &amp; more</p>';

describeEachDatabase('rich-text post bodies (V4)', (target) => {
  let server: TestServer;
  let database: AppDatabase;
  let client: AuthClient;
  let world: PostsWorld;
  before(async () => {
    ({ server, database, client, world } = await startPostsWorld(target, ROOMY_LIMITS));
  });
  after(() => stopSuiteServer(server, database));

  const storedBody = async (id: string) => (await database.db.selectFrom('posts').select('body').where('id', '=', id).executeTakeFirstOrThrow()).body;

  it('a hostile body is stored and returned sanitised, on create and on read', async () => {
    const created = await sendAs(client, world.owner, 'POST', '/v1/posts', { title: 'T', body: HOSTILE, visibility: 'org', orgId: world.sharedOrgId });
    assert.equal(created.status, 201, created.text);
    const id = created.json()['id'] as string;
    assert.equal(created.json()['body'], SANITISED);
    assert.equal(await storedBody(id), SANITISED);
    const read = await sendAs(client, world.owner, 'GET', `/v1/posts/${id}`);
    assert.equal(read.json()['body'], SANITISED);
    for (const text of ['alert', 'script', 'onclick', 'onerror', 'javascript', 'srcdoc', 'style', 'svg', 'comment', 'target']) {
      assert.ok(!read.text.includes(text), `the answer still holds ${text}`);
    }
  });

  it('an update is sanitised the same way', async () => {
    const id = await insertTestPost(database, { orgId: world.sharedOrgId, ownerId: world.owner.userId as string, status: 'draft', visibility: 'org' });
    const updated = await sendAs(client, world.owner, 'PATCH', `/v1/posts/${id}`, { body: HOSTILE });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.json()['body'], SANITISED);
    assert.equal(await storedBody(id), SANITISED);
  });

  it('plain text stays readable: it is escaped once, never refused', async () => {
    const created = await sendAs(client, world.owner, 'POST', '/v1/posts', { title: 'T', body: 'a < b && c > d', visibility: 'org', orgId: world.sharedOrgId });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json()['body'], 'a &lt; b &amp;&amp; c &gt; d');
  });

  it('a body with nothing left once sanitised is refused field by field, and nothing is stored', async () => {
    const before = (await database.db.selectFrom('posts').select('id').execute()).length;
    const refused = assertProblem(
      await sendAs(client, world.owner, 'POST', '/v1/posts', { title: 'T', body: '<script>alert(1)</script><!-- x -->', visibility: 'org', orgId: world.sharedOrgId }),
      400,
      'request.validation_failed',
    );
    assert.deepEqual((refused['errors'] as { field: string }[]).map((error) => error.field), ['body']);
    assert.ok(!JSON.stringify(refused).includes('alert'), 'the refusal does not echo the input');
    assert.equal((await database.db.selectFrom('posts').select('id').execute()).length, before);
  });

  it('comments and titles are plain text: stored and returned exactly as sent, as JSON strings', async () => {
    const id = await insertTestPost(database, { orgId: world.sharedOrgId, ownerId: world.owner.userId as string, status: 'published', visibility: 'org' });
    const text = '<script>alert(1)</script> <b>bold?</b> a < b';
    const comment = await sendAs(client, world.member, 'POST', `/v1/posts/${id}/comments`, { body: text });
    assert.equal(comment.status, 201, comment.text);
    assert.match(String(comment.headers['content-type']), /^application\/json/);
    assert.equal(comment.headers['x-content-type-options'], 'nosniff');
    assert.equal(comment.json()['body'], text);
    const row = await database.db.selectFrom('comments').select('body').where('id', '=', comment.json()['id'] as string).executeTakeFirstOrThrow();
    assert.equal(row.body, text);
    const titled = await sendAs(client, world.owner, 'PATCH', `/v1/posts/${id}`, { title: '<i>plain</i>' });
    assert.equal(titled.json()['title'], '<i>plain</i>');
  });
});
