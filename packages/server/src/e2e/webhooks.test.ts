import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import type { TestServer } from '../test-support/test-server.js';
import { assertProblem, ROOMY_LIMITS, withoutErrorId, type AuthClient } from './identity.test-helpers.js';
import { apiKeyActor, signedInActor, type Actor } from './posts.test-helpers.js';
import { startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';
import { successBodyChecker } from './openapi-bodies.test-helpers.js';
import { createWebhook, eventually, sendAsActor, startForbiddenTarget, startReceiver, webhookEnv, type ForbiddenTarget, type Receiver } from './webhooks.test-helpers.js';

// /v1/webhooks over real HTTP on SQLite and PostgreSQL (V7, V9): URLs refused at creation in
// every spelling, the secret shown once and sealed at rest, owner isolation, API key scopes, the
// per-user cap, and no secret or URL query in any log line.

const TOKEN = 'q-token-s3cr3t';

describeEachDatabase('webhooks: the /v1/webhooks routes', (target) => {
  let receiver: Receiver;
  let forbidden: ForbiddenTarget;
  let server: TestServer;
  let database: AppDatabase;
  /** The trail is written in batches off the request path: wait for the event's rows to land. */
  async function trailRowsOf(event: string, principal: string, holding = ''): Promise<{ fields: string }[]> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const rows = await database.db.selectFrom('audit_events').select('fields').where('event', '=', event).where('principal', '=', principal).execute();
      if (rows.some((row) => row.fields.includes(holding))) return rows;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return assert.fail(`no ${event} row for ${principal} reached the audit trail`);
  }
  let client: AuthClient;
  let owner: Actor;
  let other: Actor;
  const secrets: string[] = [];

  const person = (label: string): Promise<Actor> => signedInActor(client, database, label, 'user');
  const apiKey = (actor: Actor, scopes: string[]): Promise<Actor> => apiKeyActor(client, actor, `key ${scopes.join(',')}`, scopes, scopes.join(' '));
  const hookUrl = (path = '/hook') => `${receiver.base}${path}?token=${TOKEN}`;

  before(async () => {
    receiver = await startReceiver();
    forbidden = await startForbiddenTarget();
    ({ server, database, client } = await startSuiteServer(target, { ...ROOMY_LIMITS, ...webhookEnv(receiver.port, forbidden.port, { WEBHOOK_MAX_PER_USER: '4' }) }));
    owner = await person('hookowner');
    other = await person('hookother');
  });
  after(async () => {
    await stopSuiteServer(server, database);
    await receiver?.close();
    await forbidden?.close();
  });

  it('warns at start that OUTBOUND_ALLOW_ADDRESSES is set', () => {
    assert.ok(server.logText().includes('OUTBOUND_ALLOW_ADDRESSES is set'), 'a configuration warning names the test allowlist');
  });

  it('creates a webhook: the secret once, no-store, sealed at rest, never listed again', async () => {
    const res = await sendAsActor(client, owner, 'POST', '/v1/webhooks', { url: hookUrl(), events: ['post.published', 'post.created'] });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers['cache-control'], 'no-store');
    const created = res.json() as { id: string; url: string; events: string[]; secret: string; createdAt: string };
    secrets.push(created.secret);
    assert.equal(res.headers['location'], `/v1/webhooks/${created.id}`);
    assert.match(created.id, /^wh_[A-Za-z0-9_-]{16}$/);
    assert.match(created.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'events', 'id', 'secret', 'url']);
    assert.equal(created.url, hookUrl());

    const row = await database.db.selectFrom('webhooks').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    assert.equal(row.user_id, owner.userId);
    assert.match(row.secret_sealed, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/, 'sealed with the AES-256-GCM secret box');
    assert.ok(!row.secret_sealed.includes(created.secret.slice(6)), 'the secret is not stored in the clear');

    for (const path of ['/v1/webhooks', `/v1/webhooks/${created.id}`]) {
      const read = await sendAsActor(client, owner, 'GET', path);
      assert.equal(read.status, 200, read.text);
      assert.ok(read.text.includes(created.id));
      assert.ok(!read.text.includes(created.secret) && !read.text.includes('secret'), `${path} never carries the secret`);
    }
  });

  it('every webhook answer matches the success body /openapi.json documents for it (L1, V6)', async () => {
    const check = successBodyChecker(await client.send('GET', '/openapi.json'));
    const documenter = await person('hookdocs');
    const res = await sendAsActor(client, documenter, 'POST', '/v1/webhooks', { url: hookUrl('/documented'), events: ['post.created'] });
    check('post', '/v1/webhooks', res, 201);
    const id = String(res.json()['id']);
    secrets.push(String(res.json()['secret']));
    check('get', '/v1/webhooks', await sendAsActor(client, documenter, 'GET', '/v1/webhooks'), 200);
    check('get', '/v1/webhooks/{id}', await sendAsActor(client, documenter, 'GET', `/v1/webhooks/${id}`), 200);
    check('post', '/v1/webhooks/{id}/test', await sendAsActor(client, documenter, 'POST', `/v1/webhooks/${id}/test`), 202);
    // Once the ping is sent, the webhook is read again with a delivery and its attempt log.
    await eventually('the ping attempt in the webhook answer', async () => {
      const shown = await sendAsActor(client, documenter, 'GET', `/v1/webhooks/${id}`);
      check('get', '/v1/webhooks/{id}', shown, 200);
      const deliveries = shown.json()['deliveries'] as { attemptLog: unknown[] }[];
      return deliveries.some((delivery) => delivery.attemptLog.length > 0) ? true : undefined;
    });
  });

  it('refuses URLs that are not http(s), carry credentials, name another port, or a forbidden address in any spelling (400)', async () => {
    const before = (await database.db.selectFrom('webhooks').select('id').execute()).length;
    const cases: [string, string][] = [
      ['ftp://hooks.example.com/in', 'outbound.scheme_refused'],
      ['file:///etc/passwd', 'outbound.scheme_refused'],
      ['javascript:alert(1)', 'outbound.scheme_refused'],
      [`gopher://127.0.0.1:${receiver.port}/_x`, 'outbound.scheme_refused'],
      [`https://user:${TOKEN}@hooks.example.com/in`, 'outbound.credentials_refused'],
      ['https://hooks.example.com:8443/in', 'outbound.port_refused'],
      [`http://127.0.0.1:22/?token=${TOKEN}`, 'outbound.port_refused'],
      [`http://127.0.0.2:${forbidden.port}/?token=${TOKEN}`, 'outbound.address_refused'],
      [`http://2130706434:${forbidden.port}/`, 'outbound.address_refused'],
      [`http://0x7f.0.0.2:${forbidden.port}/`, 'outbound.address_refused'],
      [`http://017700000002:${forbidden.port}/`, 'outbound.address_refused'],
      [`http://[::ffff:127.0.0.2]:${forbidden.port}/`, 'outbound.address_refused'],
      ['http://169.254.169.254/latest/meta-data/', 'outbound.address_refused'],
      ['http://[::ffff:a9fe:a9fe]/', 'outbound.address_refused'],
      ['http://10.1.2.3/', 'outbound.address_refused'],
      ['https://192.168.0.1/', 'outbound.address_refused'],
      ['http://100.64.0.1/', 'outbound.address_refused'],
      ['http://[::1]/', 'outbound.address_refused'],
      ['http://[fd00::1]/', 'outbound.address_refused'],
      ['http://[fe80::1]/', 'outbound.address_refused'],
      ['http://0/', 'outbound.address_refused'],
      ['http://[64:ff9b::a00:1]/', 'outbound.address_refused'],
      // Names reserved for this machine (RFC 6761) and its link (mDNS, RFC 6762), any case, trailing dot or not.
      ['http://localhost/in', 'outbound.address_refused'],
      ['https://LOCALHOST./in', 'outbound.address_refused'],
      [`http://hooks.localhost:${receiver.port}/in`, 'outbound.address_refused'],
      ['https://a.b.localhost./in', 'outbound.address_refused'],
      ['https://printer.local/in', 'outbound.address_refused'],
      ['https://printer.local./in', 'outbound.address_refused'],
      ['not a url', 'outbound.url_invalid'],
    ];
    for (const [url, code] of cases) {
      const res = await sendAsActor(client, owner, 'POST', '/v1/webhooks', { url, events: ['post.created'] });
      const body = assertProblem(res, 400, code);
      assert.ok(!res.text.includes(TOKEN) && !res.text.includes(url), `${url}: the refusal echoes the URL`);
      assert.equal(body['status'], 400);
    }
    for (const body of [
      { url: hookUrl() },
      { url: hookUrl(), events: [] },
      { url: hookUrl(), events: ['user.created'] },
      { url: hookUrl(), events: ['post.created', 'post.created'] },
      { url: hookUrl(), events: ['post.created'], secret: 'mine' },
      { url: `${receiver.base}/${'a'.repeat(2100)}`, events: ['post.created'] },
    ]) {
      assertProblem(await sendAsActor(client, owner, 'POST', '/v1/webhooks', body), 400, 'request.validation_failed');
    }
    assert.equal((await database.db.selectFrom('webhooks').select('id').execute()).length, before, 'nothing was stored');
    assert.equal(forbidden.connections(), 0);
    const refusals = server.logLines().filter((line) => line['event'] === 'ssrf.refused');
    assert.ok(refusals.length >= 15, 'each refusal by the SSRF rules is logged');
    assert.ok(refusals.some((line) => line['code'] === 'outbound.address_refused' && line['host'] === `127.0.0.2:${forbidden.port}` && line['principal'] === `user:${owner.userId}`));
    await trailRowsOf('ssrf.refused', `user:${owner.userId}`);
  });

  it("hides one user's webhooks from another: 404 like a missing id, on every route", async () => {
    const mine = await createWebhook(client, owner, hookUrl('/isolation'), ['post.created']);
    secrets.push(mine.secret);
    const missing = 'wh_AAAAAAAAAAAAAAAA';
    for (const [method, path] of [['GET', '/v1/webhooks/'], ['DELETE', '/v1/webhooks/'], ['POST', '/v1/webhooks/:test']] as const) {
      const url = (id: string) => (path.endsWith(':test') ? `/v1/webhooks/${id}/test` : `${path}${id}`);
      const theirs = await sendAsActor(client, other, method, url(mine.id));
      const absent = await sendAsActor(client, other, method, url(missing));
      assertProblem(theirs, 404, 'webhook.not_found');
      assertProblem(absent, 404, 'webhook.not_found');
      assert.deepEqual(withoutErrorId(theirs), withoutErrorId(absent), `${method} ${path}: another user's webhook and a missing one answer alike`);
    }
    const list = await sendAsActor(client, other, 'GET', '/v1/webhooks');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json()['webhooks'], []);
    const still = await sendAsActor(client, owner, 'GET', `/v1/webhooks/${mine.id}`);
    assert.equal(still.status, 200, 'the owner still has it');
    assert.equal(receiver.deliveries.filter((delivery) => delivery.path.startsWith('/isolation')).length, 0, "another user's test call sent nothing");
  });

  it('deletes a webhook (204, then 404), logging created and deleted events without secrets', async () => {
    const hook = await createWebhook(client, owner, hookUrl('/deleted'), ['post.deleted']);
    secrets.push(hook.secret);
    const res = await sendAsActor(client, owner, 'DELETE', `/v1/webhooks/${hook.id}`);
    assert.equal(res.status, 204);
    assertProblem(await sendAsActor(client, owner, 'GET', `/v1/webhooks/${hook.id}`), 404, 'webhook.not_found');
    assertProblem(await sendAsActor(client, owner, 'DELETE', `/v1/webhooks/${hook.id}`), 404, 'webhook.not_found');
    const lines = server.logLines();
    const principal = `user:${owner.userId}`;
    assert.ok(lines.some((line) => line['event'] === 'webhook.created' && line['webhookId'] === hook.id && line['principal'] === principal && line['host'] === `127.0.0.1:${receiver.port}`));
    assert.ok(lines.some((line) => line['event'] === 'webhook.deleted' && line['webhookId'] === hook.id && line['principal'] === principal));
    // E3: both are also in the audit trail, with the webhook id and without its secret.
    for (const event of ['webhook.created', 'webhook.deleted']) {
      const rows = await trailRowsOf(event, principal, hook.id);
      assert.ok(rows.every((row) => !row.fields.includes(hook.secret)), event);
    }
  });

  it('admits API keys only with webhooks:manage, and to create also posts:read; anonymous callers get 401', async () => {
    const manageOnly = await apiKey(owner, ['webhooks:manage']);
    const manageAndRead = await apiKey(owner, ['webhooks:manage', 'posts:read']);
    const readOnly = await apiKey(owner, ['posts:read']);
    assert.equal((await sendAsActor(client, manageOnly, 'GET', '/v1/webhooks')).status, 200);
    const refused = await sendAsActor(client, manageOnly, 'POST', '/v1/webhooks', { url: hookUrl('/by-key'), events: ['post.created'] });
    assert.equal(refused.status, 403, refused.text);
    assert.equal((await sendAsActor(client, readOnly, 'GET', '/v1/webhooks')).status, 403);
    const created = await sendAsActor(client, manageAndRead, 'POST', '/v1/webhooks', { url: hookUrl('/by-key'), events: ['post.created'] });
    assert.equal(created.status, 201, created.text);
    secrets.push(created.json()['secret'] as string);
    assertProblem(await client.send('GET', '/v1/webhooks'), 401, 'auth.unauthenticated');
    assertProblem(await client.send('POST', '/v1/webhooks', { body: { url: hookUrl(), events: ['post.created'] } }), 401, 'auth.unauthenticated');
  });

  it('caps the webhooks of one account (409 webhook.limit_reached)', async () => {
    const capped = await person('hookcap');
    for (let index = 0; index < 4; index++) secrets.push((await createWebhook(client, capped, hookUrl(`/cap${index}`), ['post.created'])).secret);
    assertProblem(await sendAsActor(client, capped, 'POST', '/v1/webhooks', { url: hookUrl('/cap4'), events: ['post.created'] }), 409, 'webhook.limit_reached');
  });

  it('never writes a webhook secret, its sealed form or a URL query to the log', async () => {
    const text = server.logText();
    assert.ok(secrets.length >= 5);
    for (const secret of secrets) assert.ok(!text.includes(secret) && !text.includes(secret.slice(6)), 'a webhook secret reached the log');
    assert.ok(!text.includes(TOKEN), "a webhook URL's query reached the log");
    assert.ok(!text.includes('v1.ek-'), 'a sealed secret reached the log');
  });
});
