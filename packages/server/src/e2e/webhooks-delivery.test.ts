import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from 'portcullis/outbound';
import { openDatabase, type AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { assertProblem, AuthClient, ROOMY_LIMITS } from './identity.test-helpers.js';
import { addMembership, bearerActor, sendAs, startPostsWorld, type Actor, type PostsWorld } from './posts.test-helpers.js';
import { stopSuiteServer } from './suite-server.test-helpers.js';
import {
  createWebhook,
  eventually,
  sendAsActor,
  startForbiddenTarget,
  startReceiver,
  webhookEnv,
  type CreatedWebhook,
  type Delivery,
  type ForbiddenTarget,
  type Receiver,
} from './webhooks.test-helpers.js';

// Webhook deliveries over real loopback HTTP on SQLite and PostgreSQL (V7, V9, Z3): signed
// bodies that verify, recorded before they are sent, retried with backoff on 5xx, refused at
// connect time when a redirect leads into forbidden space, only to owners who may see the post,
// drained on close and resumed after a restart. The receiver on 127.0.0.1 plays a public host
// (OUTBOUND_ALLOW_ADDRESSES=127.0.0.1); 127.0.0.2 stays forbidden.

const TOKEN = 'delivery-q-s3cr3t';
const PUBLIC_POST_FIELDS = ['body', 'createdAt', 'id', 'orgId', 'ownerId', 'status', 'title', 'updatedAt', 'visibility'];

interface AttemptRow {
  readonly attempt: number;
  readonly outcome: string;
  readonly status_code: number | null;
  readonly error_code: string | null;
}

async function deliveryRow(database: AppDatabase, id: string) {
  return database.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

async function attemptsOf(database: AppDatabase, deliveryId: string): Promise<AttemptRow[]> {
  return database.db.selectFrom('webhook_delivery_attempts').select(['attempt', 'outcome', 'status_code', 'error_code']).where('delivery_id', '=', deliveryId).orderBy('attempt').execute();
}

/** The delivery of `webhookId` that has left the pending state, once it has. */
async function settledDeliveryOf(database: AppDatabase, webhookId: string, withinMs = 8_000) {
  return eventually(
    `a settled delivery of ${webhookId}`,
    async () => {
      const row = await database.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).where('status', '!=', 'pending').executeTakeFirst();
      return row ?? undefined;
    },
    withinMs,
  );
}

function verifies(delivery: Delivery, secret: string): boolean {
  const header = delivery.headers[WEBHOOK_SIGNATURE_HEADER];
  return verifyWebhookSignature({ secret, header: typeof header === 'string' ? header : undefined, body: delivery.body }).ok;
}

describeEachDatabase('webhooks: deliveries', (target) => {
  let receiver: Receiver;
  let forbidden: ForbiddenTarget;
  let server: TestServer;
  let database: AppDatabase;
  let client: AuthClient;
  let world: PostsWorld;
  const secrets: string[] = [];

  before(async () => {
    receiver = await startReceiver();
    forbidden = await startForbiddenTarget();
    ({ server, database, client, world } = await startPostsWorld(target, { ...ROOMY_LIMITS, ...webhookEnv(receiver.port, forbidden.port) }));
  });
  after(async () => {
    await stopSuiteServer(server, database);
    await receiver?.close();
    await forbidden?.close();
  });

  const hook = async (actor: Actor, path: string, events: readonly string[] = ['post.created', 'post.published', 'post.deleted']): Promise<CreatedWebhook> => {
    const created = await createWebhook(client, actor, `${receiver.base}${path}?token=${TOKEN}`, events);
    secrets.push(created.secret);
    return created;
  };

  it('sends a signed test event, recorded before it is sent, whose signature verifies', async () => {
    // An outsider's webhook, for deletions only: the visibility test below must not hear of it.
    const webhook = await hook(world.globalModeratorOutsider, '/ping', ['post.deleted']);
    const inFlight: { status?: string; attempts?: number }[] = [];
    receiver.onDelivery('/ping', async (delivery) => {
      const row = await deliveryRow(database, String(delivery.headers['portcullis-delivery-id']));
      inFlight.push({ status: row?.status, attempts: row?.attempts });
    });
    const res = await sendAsActor(client, world.globalModeratorOutsider, 'POST', `/v1/webhooks/${webhook.id}/test`);
    assert.equal(res.status, 202, res.text);
    const eventId = res.json()['eventId'] as string;
    const delivery = await eventually('the test delivery', () => receiver.deliveries.find((entry) => entry.path.startsWith('/ping')));

    assert.equal(delivery.path, `/ping?token=${TOKEN}`);
    assert.equal(delivery.headers['content-type'], 'application/json');
    assert.equal(delivery.headers['portcullis-event-type'], 'webhook.test');
    assert.equal(delivery.headers['portcullis-webhook-id'], webhook.id);
    assert.equal(delivery.headers['portcullis-event-id'], eventId);
    assert.match(String(delivery.headers[WEBHOOK_SIGNATURE_HEADER]), /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.ok(verifies(delivery, webhook.secret), 'the signature verifies with the secret shown at creation');
    assert.ok(!verifies(delivery, `${webhook.secret}x`), 'and with no other secret');
    assert.ok(!verifyWebhookSignature({ secret: webhook.secret, header: String(delivery.headers[WEBHOOK_SIGNATURE_HEADER]), body: delivery.body.replace('webhook.test', 'webhook.tost') }).ok);
    assert.deepEqual(JSON.parse(delivery.body), { id: eventId, type: 'webhook.test', createdAt: (JSON.parse(delivery.body) as { createdAt: string }).createdAt, data: { webhookId: webhook.id } });
    assert.deepEqual(inFlight[0], { status: 'pending', attempts: 0 }, 'the delivery was in the database before the request arrived');

    const settled = await settledDeliveryOf(database, webhook.id);
    assert.equal(settled.status, 'succeeded');
    assert.deepEqual(await attemptsOf(database, settled.id), [{ attempt: 1, outcome: 'succeeded', status_code: 200, error_code: null }]);
    const shown = await sendAsActor(client, world.globalModeratorOutsider, 'GET', `/v1/webhooks/${webhook.id}`);
    const deliveries = shown.json()['deliveries'] as { id: string; status: string; eventType: string; attempts: number; attemptLog: { statusCode: number }[] }[];
    assert.equal(deliveries[0]?.id, settled.id);
    assert.equal(deliveries[0]?.status, 'succeeded');
    assert.equal(deliveries[0]?.eventType, 'webhook.test');
    assert.equal(deliveries[0]?.attemptLog[0]?.statusCode, 200);
  });

  it('delivers post events only to webhooks whose owner may see the post, as it was at the event', async () => {
    const hooks = {
      owner: await hook(world.owner, '/see/owner'),
      member: await hook(world.member, '/see/member'),
      orgModerator: await hook(world.orgModerator, '/see/orgmod'),
      otherOrgUser: await hook(world.otherOrgUser, '/see/other'),
      admin: await hook(world.admin, '/see/admin'),
      publishedOnly: await hook(world.otherOrgUser, '/see/other-published', ['post.published']),
    };
    const nameOf = new Map(Object.entries(hooks).map(([name, created]) => [created.id, name]));

    /** Names of the webhooks the event `type` about `postId` was fanned out to, once it was. */
    const recipients = (type: string, postId: string) =>
      eventually(`${type} fanned out`, async () => {
        const events = await database.db.selectFrom('webhook_events').selectAll().where('type', '=', type).execute();
        const event = events.find((row) => (JSON.parse(row.body) as { data: { post: { id: string } } }).data.post.id === postId);
        if (event?.fanned_out_at === null || event === undefined) return undefined;
        const rows = await database.db.selectFrom('webhook_deliveries').select('webhook_id').where('event_id', '=', event.id).execute();
        return rows.map((row) => nameOf.get(row.webhook_id) ?? 'a webhook of another test').sort();
      });

    const created = await sendAs(client, world.owner, 'POST', '/v1/posts', { orgId: world.sharedOrgId, title: 'Org news', body: 'text', visibility: 'org' });
    assert.equal(created.status, 201, created.text);
    const orgPost = created.json()['id'] as string;
    assert.deepEqual(await recipients('post.created', orgPost), ['admin', 'orgModerator', 'owner'], 'a draft reaches its owner, org moderators and admins');
    assert.equal((await sendAs(client, world.owner, 'POST', `/v1/posts/${orgPost}/publish`)).status, 200);
    assert.deepEqual(await recipients('post.published', orgPost), ['admin', 'member', 'orgModerator', 'owner'], 'a published org post reaches the organisation, not outsiders');
    assert.equal((await sendAs(client, world.owner, 'DELETE', `/v1/posts/${orgPost}`)).status, 204);
    assert.deepEqual(await recipients('post.deleted', orgPost), ['admin', 'member', 'orgModerator', 'owner'], 'a deletion is judged on the post as it was');

    const publicRes = await sendAs(client, world.owner, 'POST', '/v1/posts', { orgId: world.sharedOrgId, title: 'For all', body: 'text', visibility: 'public' });
    const publicPost = publicRes.json()['id'] as string;
    assert.deepEqual(await recipients('post.created', publicPost), ['admin', 'orgModerator', 'owner']);
    assert.equal((await sendAs(client, world.owner, 'POST', `/v1/posts/${publicPost}/publish`)).status, 200);
    assert.deepEqual(await recipients('post.published', publicPost), ['admin', 'member', 'orgModerator', 'otherOrgUser', 'owner', 'publishedOnly']);

    const privateRes = await sendAs(client, world.owner, 'POST', '/v1/posts', { orgId: world.sharedOrgId, title: 'Mine', body: 'secret plans', visibility: 'private' });
    const privatePost = privateRes.json()['id'] as string;
    assert.equal((await sendAs(client, world.owner, 'POST', `/v1/posts/${privatePost}/publish`)).status, 200);
    assert.deepEqual(await recipients('post.published', privatePost), ['admin', 'orgModerator', 'owner'], 'a private post never leaves its owner and moderators');

    // What was delivered matches what was fanned out: nothing about the private post reached outsiders.
    const other = await eventually('the public post at the outsider', () => receiver.deliveries.find((entry) => entry.path.startsWith('/see/other?') && entry.body.includes(publicPost)));
    assert.ok(verifies(other, hooks.otherOrgUser.secret));
    const payload = JSON.parse(other.body) as { type: string; data: { post: Record<string, unknown> } };
    assert.equal(payload.type, 'post.published');
    assert.deepEqual(Object.keys(payload.data.post).sort(), PUBLIC_POST_FIELDS);
    await eventually('the private post at the owner', () => receiver.deliveries.find((entry) => entry.path.startsWith('/see/owner?') && entry.body.includes(privatePost)));
    const outsiders = receiver.deliveries.filter((entry) => entry.path.startsWith('/see/other') || entry.path.startsWith('/see/member'));
    assert.ok(!outsiders.some((entry) => entry.body.includes(privatePost) || entry.body.includes('secret plans')), 'the private post leaked to a webhook');
    assert.ok(!receiver.deliveries.some((entry) => world.emails.some((email) => entry.body.includes(email))), 'a delivery carries an email');
  });

  it('retries a 5xx answer with exponential backoff, recording every attempt', async () => {
    const webhook = await hook(world.owner, '/flaky', ['post.created']);
    receiver.script('/flaky', [500, 503, 200]);
    assert.equal((await sendAsActor(client, world.owner, 'POST', `/v1/webhooks/${webhook.id}/test`)).status, 202);
    const settled = await settledDeliveryOf(database, webhook.id);
    assert.equal(settled.status, 'succeeded');
    assert.equal(settled.attempts, 3);
    assert.deepEqual(await attemptsOf(database, settled.id), [
      { attempt: 1, outcome: 'retry', status_code: 500, error_code: null },
      { attempt: 2, outcome: 'retry', status_code: 503, error_code: null },
      { attempt: 3, outcome: 'succeeded', status_code: 200, error_code: null },
    ]);
    const received = receiver.deliveries.filter((entry) => entry.path.startsWith('/flaky'));
    assert.equal(received.length, 3);
    const [first, second, third] = received.map((entry) => entry.receivedAt) as [number, number, number];
    assert.ok(second - first >= 45, `first retry after ${second - first} ms (base 50)`);
    assert.ok(third - second >= 95, `second retry after ${third - second} ms (doubled)`);
    assert.equal(new Set(received.map((entry) => entry.headers['portcullis-delivery-id'])).size, 1, 'one delivery, three attempts');
    for (const entry of received) assert.ok(verifies(entry, webhook.secret));
    const failures = server.logLines().filter((line) => line['event'] === 'webhook.delivery_failed' && line['webhookId'] === webhook.id);
    // Both failures were logged before the third attempt was even sent.
    assert.deepEqual(failures.map((line) => [line['statusCode'], line['willRetry']]), [[500, true], [503, true]]);
  });

  it('gives up after the last attempt and records the delivery as failed', async () => {
    const webhook = await hook(world.owner, '/down', ['post.created']);
    receiver.script('/down', [502]);
    await sendAsActor(client, world.owner, 'POST', `/v1/webhooks/${webhook.id}/test`);
    const settled = await settledDeliveryOf(database, webhook.id);
    assert.equal(settled.status, 'failed');
    assert.deepEqual((await attemptsOf(database, settled.id)).map((row) => row.outcome), ['retry', 'retry', 'failed']);
    // The log line follows the database write, so it may trail the settled row by a moment.
    const last = await eventually('the last failure log line', () => server.logLines().find((line) => line['event'] === 'webhook.delivery_failed' && line['webhookId'] === webhook.id && line['attempt'] === 3));
    assert.equal(last['willRetry'], false);
  });

  it('refuses at connect time a redirect into forbidden space, connecting to nothing, without retrying', async () => {
    const to = encodeURIComponent(`http://127.0.0.2:${forbidden.port}/internal?token=${TOKEN}`);
    const webhook = await createWebhook(client, world.owner, `${receiver.base}/redirect?to=${to}`, ['post.created']);
    secrets.push(webhook.secret);
    await sendAsActor(client, world.owner, 'POST', `/v1/webhooks/${webhook.id}/test`);
    const settled = await settledDeliveryOf(database, webhook.id);
    assert.equal(settled.status, 'failed');
    assert.equal(settled.last_error, 'outbound.address_refused');
    assert.deepEqual(await attemptsOf(database, settled.id), [{ attempt: 1, outcome: 'failed', status_code: null, error_code: 'outbound.address_refused' }]);
    assert.equal(forbidden.connections(), 0, 'the forbidden target saw a connection');
    await eventually('the failure log line', () => server.logLines().find((line) => line['event'] === 'webhook.delivery_failed' && line['webhookId'] === webhook.id && line['errorCode'] === 'outbound.address_refused'));
    const lines = server.logLines();
    assert.ok(lines.some((line) => line['event'] === 'ssrf.refused' && line['host'] === '127.0.0.2' && line['redirect'] === 1 && line['stage'] === 'webhook.delivery'));
  });

  it('cancels a pending retry once its owner is disabled: nothing more is sent', async () => {
    const account = await client.register('leaving');
    const tokens = await client.signIn(account);
    const leaving = bearerActor('leaving', account, tokens);
    const webhook = await hook(leaving, '/disabled-owner', ['post.created']);
    receiver.script('/disabled-owner', [503]);
    // While the first attempt is in flight, the account is disabled; the retry must not go out.
    receiver.onDelivery('/disabled-owner', async () => {
      await database.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', account.id).execute();
    });
    assert.equal((await sendAsActor(client, leaving, 'POST', `/v1/webhooks/${webhook.id}/test`)).status, 202);
    const settled = await settledDeliveryOf(database, webhook.id);
    assert.equal(settled.status, 'failed');
    assert.equal(settled.last_error, 'webhook.delivery_cancelled');
    assert.deepEqual(await attemptsOf(database, settled.id), [
      { attempt: 1, outcome: 'retry', status_code: 503, error_code: null },
      { attempt: 2, outcome: 'failed', status_code: null, error_code: 'webhook.delivery_cancelled' },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.deliveries.filter((entry) => entry.path.startsWith('/disabled-owner')).length, 1, 'a retry reached the receiver after the owner was disabled');
    await eventually('the cancellation log line', () => server.logLines().find((line) => line['event'] === 'webhook.delivery_cancelled' && line['webhookId'] === webhook.id));
  });

  it('cancels a pending retry of a post event once its owner can no longer see the post', async () => {
    const account = await client.register('memberleaving');
    await addMembership(database, world.sharedOrgId, account.id, 'member');
    const tokens = await client.signIn(account);
    const leaving = bearerActor('member leaving', account, tokens);
    const webhook = await hook(leaving, '/left-org', ['post.published']);
    receiver.script('/left-org', [503]);
    receiver.onDelivery('/left-org', async () => {
      await database.db.deleteFrom('memberships').where('user_id', '=', account.id).execute();
    });
    const created = await sendAs(client, world.owner, 'POST', '/v1/posts', { orgId: world.sharedOrgId, title: 'Org only', body: 'for members', visibility: 'org' });
    assert.equal(created.status, 201, created.text);
    assert.equal((await sendAs(client, world.owner, 'POST', `/v1/posts/${created.json()['id'] as string}/publish`)).status, 200);
    const settled = await settledDeliveryOf(database, webhook.id);
    assert.equal(settled.status, 'failed');
    assert.deepEqual((await attemptsOf(database, settled.id)).map((row) => [row.outcome, row.status_code, row.error_code]), [
      ['retry', 503, null],
      ['failed', null, 'webhook.delivery_cancelled'],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.deliveries.filter((entry) => entry.path.startsWith('/left-org')).length, 1, 'the org post reached a former member on retry');
  });

  it('refuses a 307 that would send the signed body to another origin, failing at once', async () => {
    const to = encodeURIComponent(`http://127.0.0.1:${forbidden.port}/elsewhere?token=${TOKEN}`);
    const webhook = await createWebhook(client, world.owner, `${receiver.base}/redirect?to=${to}`, ['post.created']);
    secrets.push(webhook.secret);
    await sendAsActor(client, world.owner, 'POST', `/v1/webhooks/${webhook.id}/test`);
    const settled = await settledDeliveryOf(database, webhook.id);
    assert.equal(settled.status, 'failed');
    assert.deepEqual(await attemptsOf(database, settled.id), [{ attempt: 1, outcome: 'failed', status_code: null, error_code: 'outbound.redirect_refused' }]);
  });

  it('never writes a webhook secret or a URL query to the log', () => {
    const text = server.logText();
    for (const secret of secrets) assert.ok(!text.includes(secret.slice(6)), 'a webhook secret reached the log');
    assert.ok(!text.includes(TOKEN), "a webhook URL's query reached the log");
  });
});

describeEachDatabase('webhooks: durable across shutdown and restart', (target) => {
  let receiver: Receiver;
  let forbidden: ForbiddenTarget;
  let database: AppDatabase;
  let env: Record<string, string>;
  const servers: TestServer[] = [];

  before(async () => {
    receiver = await startReceiver();
    forbidden = await startForbiddenTarget();
    // A long first retry, so the pending delivery outlives the first server.
    env = { ...ROOMY_LIMITS, ...webhookEnv(receiver.port, forbidden.port, { WEBHOOK_RETRY_BASE_MS: '3000', WEBHOOK_RETRY_MAX_MS: '3000' }), DATABASE_URL: target.databaseUrl };
    database = await openDatabase(target.target);
  });
  after(async () => {
    for (const server of servers) await server.close();
    await database?.close();
    await receiver?.close();
    await forbidden?.close();
  });

  const start = async (): Promise<TestServer> => {
    const server = await startTestServer(env);
    servers.push(server);
    return server;
  };

  it('drains a delivery in flight on close, then resumes pending work and unsent events after a restart', async () => {
    const first = await start();
    const client = new AuthClient(first.url);
    const account = await client.register('durable');
    const tokens = await client.signIn(account);
    const owner = bearerActor('owner', account, tokens);

    // Pending at close: the first attempt fails and the retry is 3 s away.
    const later = await createWebhook(client, owner, `${receiver.base}/later`, ['post.created']);
    receiver.script('/later', [503, 200]);
    await sendAsActor(client, owner, 'POST', `/v1/webhooks/${later.id}/test`);
    await eventually('the first attempt of the later delivery', async () => {
      const row = await database.db.selectFrom('webhook_deliveries').select(['attempts']).where('webhook_id', '=', later.id).executeTakeFirst();
      return row !== undefined && row.attempts === 1 ? true : undefined;
    });

    // In flight at close: the receiver answers after 700 ms; close must wait for it and record it.
    const slow = await createWebhook(client, owner, `${receiver.base}/slow`, ['post.created']);
    receiver.script('/slow', [200], 700);
    await sendAsActor(client, owner, 'POST', `/v1/webhooks/${slow.id}/test`);
    await eventually('the slow delivery to arrive', () => receiver.deliveries.find((entry) => entry.path === '/slow'));
    const beforeClose = await database.db.selectFrom('webhook_deliveries').select(['status']).where('webhook_id', '=', slow.id).executeTakeFirstOrThrow();
    assert.equal(beforeClose.status, 'pending', 'the slow delivery is still in flight when the server closes');
    await first.close();

    const drained = await database.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', slow.id).executeTakeFirstOrThrow();
    assert.equal(drained.status, 'succeeded', 'the delivery in flight finished and was recorded before the server closed');
    const pending = await database.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', later.id).executeTakeFirstOrThrow();
    assert.equal(pending.status, 'pending');

    // An event committed while no server runs (as if the process died right after the request).
    const eventId = 'evt_written_while_down';
    const createdAt = new Date().toISOString();
    await database.db
      .insertInto('webhook_events')
      .values({ id: eventId, type: 'webhook.test', body: JSON.stringify({ id: eventId, type: 'webhook.test', createdAt, data: { webhookId: slow.id } }), only_webhook_id: slow.id, created_at: createdAt, fanned_out_at: null })
      .execute();

    await start();
    const resumed = await settledDeliveryOf(database, later.id);
    assert.equal(resumed.status, 'succeeded');
    assert.deepEqual((await attemptsOf(database, resumed.id)).map((row) => [row.outcome, row.status_code]), [['retry', 503], ['succeeded', 200]]);
    const unsent = await eventually('the event written while down to be delivered', () => receiver.deliveries.find((entry) => entry.headers['portcullis-event-id'] === eventId));
    assert.ok(verifies(unsent, slow.secret), 'signed with the secret sealed before the restart');
  });
});

describe('webhooks: configuration', () => {
  it('reaches the loopback receiver only through the test allowlist', async () => {
    const receiver = await startReceiver();
    const server = await startTestServer({ ...ROOMY_LIMITS, OUTBOUND_ALLOWED_PORTS: `80,443,${receiver.port}` });
    try {
      const client = new AuthClient(server.url);
      const account = await client.register('strict');
      const tokens = await client.signIn(account);
      // A loopback literal, and localhost (a name reserved for this machine, refused as a name since V7's review).
      for (const url of [`${receiver.base}/hook`, `http://localhost:${receiver.port}/hook`]) {
        const res = await client.send('POST', '/v1/webhooks', { token: tokens.accessToken, body: { url, events: ['post.created'] } });
        assertProblem(res, 400, 'outbound.address_refused');
      }
      assert.equal(receiver.deliveries.length, 0, 'the receiver was reached without the allowlist');
      assert.ok(!server.logText().includes('OUTBOUND_ALLOW_ADDRESSES is set'));
    } finally {
      await server.close();
      await receiver.close();
    }
  });

  it('refuses a bad allowlist, port list or retry setting, naming the variable', async () => {
    const { loadConfig } = await import('../config/load-config.js');
    const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-webhook-config-'));
    after(() => rmSync(dataDir, { recursive: true, force: true }));
    const base = { NODE_ENV: 'test', DATA_DIR: dataDir };
    for (const [name, value] of [
      ['OUTBOUND_ALLOW_ADDRESSES', 'localhost'],
      ['OUTBOUND_ALLOW_ADDRESSES', '10.0.0.0/40'],
      ['OUTBOUND_ALLOWED_PORTS', '80,abc'],
      ['OUTBOUND_ALLOWED_PORTS', '70000'],
      ['WEBHOOK_MAX_ATTEMPTS', '0'],
      ['WEBHOOK_RETRY_MAX_MS', '10'],
    ] as const) {
      assert.throws(() => loadConfig({ ...base, [name]: value }), (error: { code?: string; detail?: string }) => error.code === 'config.invalid' && String(error.detail).includes(name), `${name}=${value}`);
    }
    const config = loadConfig(base);
    assert.deepEqual(config.webhooks.allowAddresses, []);
    assert.deepEqual(config.webhooks.allowedPorts, [80, 443]);
    assert.ok(!config.warnings.some((warning) => warning.includes('OUTBOUND_ALLOW_ADDRESSES')));
  });
});
