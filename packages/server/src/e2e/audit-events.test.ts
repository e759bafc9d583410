import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { signRequest } from 'portcullis/auth';
import type { AppDatabase } from '../db/open-database.js';
import type { DatabaseTestTarget } from '../test-support/databases.js';
import { request } from '../test-support/http-client.js';
import type { TestServer } from '../test-support/test-server.js';
import { startThrowawayRedis, type ThrowawayRedis } from '../test-support/throwaway-redis.js';
import { auditSecrets, fieldsOf, trailRows, type AuditRow } from './audit-trail.test-helpers.js';
import { assertProblem, newPassword, registerWithRole, ROOMY_LIMITS, tokensOf, totpCode, waitForResetToken, type Account, type AuthClient, type Tokens } from './identity.test-helpers.js';
import { successBodyChecker } from './openapi-bodies.test-helpers.js';
import { insertOrganisation, insertTestPost } from './posts.test-helpers.js';
import { sqliteTarget, startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// E3 end to end: each security event of the catalogue is produced by the flow that should produce
// it, through the real server, and lands in the audit trail with the request's context (request
// id, principal, address, route, outcome) and no secret; the admin endpoint serves it to admins
// only. Runs on SQLite (audit-trail.test.ts covers the trail itself on both dialects).

describe('security event catalogue, end to end (E3)', () => {
  const secrets = auditSecrets();
  let target: DatabaseTestTarget;
  let outbox: string;
  let server: TestServer;
  let database: AppDatabase;
  let client: AuthClient;
  let admin: Tokens;
  let user: Account;
  let userTokens: Tokens;
  const sentSecrets: string[] = [];

  before(async () => {
    target = await sqliteTarget();
    outbox = await mkdtemp(join(tmpdir(), 'portcullis-audit-outbox-'));
    ({ server, database, client } = await startSuiteServer(target, {
      ...ROOMY_LIMITS,
      ...secrets,
      MAIL_OUTBOX_DIR: outbox,
      LOCKOUT_THRESHOLD: '3',
      VALIDATION_BURST_THRESHOLD: '5',
      // A start-up configuration warning (weak passwords accepted), so config.warning has a source.
      PASSWORD_MIN_STRENGTH: '2',
    }));
    const { account: adminAccount, tokens: adminTokens } = await registerWithRole(client, database, 'auditor', 'admin');
    admin = adminTokens;
    user = await client.register('subject');
    userTokens = await client.signIn(user);
    sentSecrets.push(adminAccount.password, user.password, admin.accessToken, admin.refreshToken, userTokens.accessToken, userTokens.refreshToken);
  });
  after(async () => {
    await stopSuiteServer(server, database);
    await target?.cleanup();
    if (outbox !== undefined) await rm(outbox, { recursive: true, force: true });
  });

  /** The newest trail row of `event` (after flushing), asserting there is one. */
  async function lastOf(event: string, where: (row: AuditRow) => boolean = () => true): Promise<AuditRow> {
    const rows = (await trailRows(server, database, event)).filter(where);
    assert.ok(rows.length > 0, `no ${event} in the trail`);
    return rows.at(-1)!;
  }


  it('registration and sign-in: auth.registered, auth.login_succeeded with the principal, address, route and request id', async () => {
    const account = await client.register('fresh');
    const res = await client.login(account.email, account.password, { refreshTokenIn: 'body' });
    assert.equal(res.status, 200);
    sentSecrets.push(account.password, res.json()['accessToken'] as string);
    const registered = await lastOf('auth.registered', (row) => row.principal === `user:${account.id}`);
    assert.equal(registered.outcome, 'success');
    const success = await lastOf('auth.login_succeeded', (row) => row.principal === `user:${account.id}`);
    assert.deepEqual([success.client_address, success.method, success.route, success.outcome], ['127.0.0.1', 'POST', '/v1/auth/login', 'success']);
    assert.equal(success.request_id, res.headers['x-request-id']);
  });

  it('a wrong password: auth.login_failed', async () => {
    assertProblem(await client.login(user.email, newPassword()), 401, 'auth.invalid_credentials');
    const failed = await lastOf('auth.login_failed', (row) => row.principal === `user:${user.id}`);
    assert.equal(failed.outcome, 'failure');
    assert.equal(fieldsOf(failed)['reason'], 'wrong_password');
  });

  it('a lockout: auth.login_locked', async () => {
    const victim = await client.register('locked');
    for (let i = 0; i < 3; i += 1) await client.login(victim.email, newPassword());
    assertProblem(await client.login(victim.email, victim.password), 429, 'auth.account_locked');
    const locked = await lastOf('auth.login_locked');
    assert.equal(locked.outcome, 'denied');
    assert.ok(Number(fieldsOf(locked)['retryAfterSeconds']) > 0);
  });

  it('refresh and refresh-token reuse: auth.token_refreshed, auth.token_reuse (and its alert)', async () => {
    const account = await client.register('refresher');
    const first = await client.signIn(account);
    const refreshed = await client.refresh(first.refreshToken);
    assert.equal(refreshed.status, 200);
    sentSecrets.push(first.refreshToken, tokensOf(refreshed).refreshToken);
    assert.equal((await lastOf('auth.token_refreshed', (row) => row.principal === `user:${account.id}`)).outcome, 'success');
    assertProblem(await client.refresh(first.refreshToken), 401, 'auth.refresh_invalid');
    const reuse = await lastOf('auth.token_reuse', (row) => row.principal === `user:${account.id}`);
    assert.equal(reuse.outcome, 'detected');
    const alert = await lastOf('alert.raised', (row) => fieldsOf(row)['rule'] === 'token_reuse');
    assert.equal(fieldsOf(alert)['key'], `user:${account.id}`);
  });

  it('logout: auth.logout', async () => {
    const account = await client.register('leaver');
    const tokens = await client.signIn(account);
    const res = await client.send('POST', '/v1/auth/logout', { token: tokens.accessToken });
    assert.ok(res.status === 204 || res.status === 200, res.text);
    assert.equal((await lastOf('auth.logout', (row) => row.principal === `user:${account.id}`)).route, '/v1/auth/logout');
  });

  it('password reset: auth.password_reset_requested, then auth.password_reset', async () => {
    const account = await client.register('forgetful');
    assert.equal((await client.post('/v1/auth/password/forgot', { email: account.email })).status, 202);
    const token = await waitForResetToken(outbox, account.email);
    sentSecrets.push(token);
    await lastOf('auth.password_reset_requested', (row) => row.principal === `user:${account.id}`);
    const password = newPassword();
    const res = await client.post('/v1/auth/password/reset', { token, password });
    assert.ok(res.status === 204 || res.status === 200, res.text);
    sentSecrets.push(password);
    const done = await lastOf('auth.password_reset', (row) => row.principal === `user:${account.id}`);
    assert.equal(done.outcome, 'changed');
  });

  it('two-factor: auth.mfa_enabled, then a wrong code at sign-in is auth.mfa_failed', async () => {
    const account = await client.register('twofactor');
    const tokens = await client.signIn(account);
    const setup = await client.post('/v1/auth/mfa/totp/setup', undefined, { token: tokens.accessToken });
    assert.equal(setup.status, 200, setup.text);
    const secret = setup.json()['secret'] as string;
    sentSecrets.push(secret);
    const enabled = await client.post('/v1/auth/mfa/totp/enable', { code: totpCode(secret) }, { token: tokens.accessToken });
    assert.equal(enabled.status, 200, enabled.text);
    await lastOf('auth.mfa_enabled', (row) => row.principal === `user:${account.id}`);
    const near = new Set([-2, -1, 0, 1, 2].map((offset) => totpCode(secret, Date.now() + offset * 30_000)));
    let wrong = '000000';
    while (near.has(wrong)) wrong = String(Number(wrong) + 1).padStart(6, '0');
    assert.equal((await client.login(account.email, account.password, { totp: wrong })).status, 401);
    assert.equal((await lastOf('auth.mfa_failed', (row) => row.principal === `user:${account.id}`)).outcome, 'failure');
  });

  it('authorization: a route policy refusal is authz.denied; an object the caller may not see is authz.hidden', async () => {
    assertProblem(await client.send('GET', '/v1/admin/users', { token: userTokens.accessToken }), 403, 'auth.forbidden');
    const denied = await lastOf('authz.denied', (row) => row.principal === `user:${user.id}`);
    assert.deepEqual([denied.route, denied.outcome, fieldsOf(denied)['required']], ['/v1/admin/users', 'denied', 'admin:read']);

    const owner = await client.register('owner');
    const orgId = await insertOrganisation(database, 'Private org');
    const postId = await insertTestPost(database, { orgId, ownerId: owner.id, status: 'draft', visibility: 'private' });
    assertProblem(await client.send('GET', `/v1/posts/${postId}`, { token: userTokens.accessToken }), 404, 'route.not_found');
    const hidden = await lastOf('authz.hidden', (row) => row.principal === `user:${user.id}`);
    assert.deepEqual([hidden.route, fieldsOf(hidden)['objectId']], ['/v1/posts/:id', postId]);
  });

  it('API keys: api_key.created, api_key.used, api_key.rotated, api_key.revoked; an unsigned write is auth.signature_invalid', async () => {
    const created = await client.send('POST', '/v1/api-keys', { token: userTokens.accessToken, body: { name: 'audit key', scopes: ['profile:read', 'profile:write'] } });
    assert.equal(created.status, 201, created.text);
    const issued = created.json() as { id: string; key: string; signingSecret: string };
    sentSecrets.push(issued.key, issued.signingSecret);
    const createdRow = await lastOf('api_key.created', (row) => fieldsOf(row)['keyId'] === issued.id);
    assert.deepEqual(fieldsOf(createdRow)['scopes'], ['profile:read', 'profile:write']);
    assert.equal(createdRow.principal, `user:${user.id}`);

    assert.equal((await request(server.url, { path: '/v1/users/me', headers: { 'x-api-key': issued.key } })).status, 200);
    assert.equal((await request(server.url, { path: '/v1/users/me', headers: { 'x-api-key': issued.key } })).status, 200);
    const used = (await trailRows(server, database, 'api_key.used')).filter((row) => row.principal === `api_key:${issued.id}`);
    assert.equal(used.length, 1, 'once an hour per key, not once a request');

    const body = JSON.stringify({ name: 'Unsigned' });
    const unsigned = await request(server.url, { method: 'PATCH', path: '/v1/users/me', body, headers: { 'x-api-key': issued.key, 'content-type': 'application/json' } });
    assertProblem(unsigned, 401, 'auth.signature_invalid');
    const refused = await lastOf('auth.signature_invalid', (row) => row.principal === `api_key:${issued.id}`);
    assert.equal(refused.route, '/v1/users/me');
    const signed = signRequest({ secret: issued.signingSecret, method: 'PATCH', pathWithQuery: '/v1/users/me', body });
    assert.equal((await request(server.url, { method: 'PATCH', path: '/v1/users/me', body, headers: { 'x-api-key': issued.key, 'content-type': 'application/json', ...signed } })).status, 200);

    const rotated = await client.send('POST', `/v1/api-keys/${issued.id}/rotate`, { token: userTokens.accessToken, body: { graceSeconds: 0 } });
    assert.equal(rotated.status, 200, rotated.text);
    sentSecrets.push(rotated.json()['key'] as string);
    await lastOf('api_key.rotated', (row) => fieldsOf(row)['keyId'] === issued.id);
    assert.equal((await client.send('DELETE', `/v1/api-keys/${issued.id}`, { token: userTokens.accessToken })).status, 204);
    assert.equal((await lastOf('api_key.revoked', (row) => fieldsOf(row)['keyId'] === issued.id)).outcome, 'changed');
  });

  it('a refused credential: auth.credential_rejected', async () => {
    const res = await request(server.url, { path: '/v1/users/me', headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(res.status, 401);
    const rejected = await lastOf('auth.credential_rejected');
    assert.deepEqual([rejected.route, fieldsOf(rejected)['code']], ['/v1/users/me', 'auth.token_invalid']);
  });

  it('administration: admin.user_changed and admin.user_unlocked, with the administrator as principal', async () => {
    const target = await client.register('managed');
    assert.equal((await client.send('PATCH', `/v1/admin/users/${target.id}`, { token: admin.accessToken, body: { role: 'moderator' } })).status, 200);
    const changed = await lastOf('admin.user_changed', (row) => fieldsOf(row)['userId'] === target.id);
    assert.equal(fieldsOf(changed)['role'], 'moderator');
    assert.match(String(changed.principal), /^user:/);
    assert.notEqual(changed.principal, `user:${target.id}`);
    assert.equal((await client.send('POST', `/v1/admin/users/${target.id}/unlock`, { token: admin.accessToken })).status, 204);
    await lastOf('admin.user_unlocked', (row) => fieldsOf(row)['userId'] === target.id);
  });

  it('a start-up configuration warning: config.warning', async () => {
    const warning = await lastOf('config.warning');
    assert.match(String(fieldsOf(warning)['warning']), /PASSWORD_MIN_STRENGTH/);
    assert.equal(warning.request_id, null);
  });

  it('a burst of invalid requests from one address: one input.validation_burst', async () => {
    const before = (await trailRows(server, database, 'input.validation_burst')).length;
    for (let i = 0; i < 12; i += 1) assertProblem(await client.post('/v1/auth/login', { email: 'x', password: 1 }), 400, 'request.validation_failed');
    const bursts = (await trailRows(server, database, 'input.validation_burst')).slice(before);
    assert.equal(bursts.length, 1);
    assert.deepEqual([bursts[0]?.client_address, fieldsOf(bursts[0])['count']], ['127.0.0.1', 5]);
  });

  it('GET /v1/admin/audit: admins only, filters, cursor pages of at most 100, and no MAC or secret', async () => {
    assertProblem(await client.send('GET', '/v1/admin/audit'), 401, 'auth.unauthenticated');
    assertProblem(await client.send('GET', '/v1/admin/audit', { token: userTokens.accessToken }), 403, 'auth.forbidden');
    await server.app.flushSecurityEvents();
    const first = await client.send('GET', `/v1/admin/audit?event=auth.login_failed&principal=user:${user.id}&limit=1`, { token: admin.accessToken });
    assert.equal(first.status, 200, first.text);
    const page = first.json() as { events: { seq: number; event: string; principal: string; fields: Record<string, unknown> }[]; next: string | null };
    assert.equal(page.events.length, 1);
    assert.equal(page.events[0]?.event, 'auth.login_failed');
    assert.equal(page.events[0]?.principal, `user:${user.id}`);
    const all = await client.send('GET', '/v1/admin/audit?limit=100', { token: admin.accessToken });
    const events = (all.json() as { events: { seq: number }[]; next: string | null }).events;
    assert.ok(events.length > 20);
    for (let i = 1; i < events.length; i += 1) assert.ok(events[i]!.seq < events[i - 1]!.seq, 'newest first');
    const older = await client.send('GET', `/v1/admin/audit?limit=5&cursor=${events[9]!.seq}`, { token: admin.accessToken });
    assert.deepEqual((older.json() as { events: { seq: number }[] }).events.map((event) => event.seq), events.slice(10, 15).map((event) => event.seq));
    const since = new Date(Date.now() - 60_000).toISOString();
    const filtered = await client.send('GET', `/v1/admin/audit?outcome=denied&address=127.0.0.1&from=${encodeURIComponent(since)}`, { token: admin.accessToken });
    const deniedEvents = (filtered.json() as { events: { outcome: string; event: string }[] }).events;
    // Earlier tests here produced authz.denied and auth.login_locked from this address: an empty
    // page would pass the `every` below without testing the filter.
    assert.ok(deniedEvents.length > 0, 'the outcome filter found the denied events of this run');
    assert.ok(deniedEvents.every((event) => event.outcome === 'denied'));
    assert.ok(deniedEvents.some((event) => event.event === 'authz.denied'));
    assertProblem(await client.send('GET', '/v1/admin/audit?limit=101', { token: admin.accessToken }), 400, 'request.validation_failed');
    assertProblem(await client.send('GET', '/v1/admin/audit?event=auth.made_up', { token: admin.accessToken }), 400, 'request.validation_failed');
    assertProblem(await client.send('GET', "/v1/admin/audit?principal=user:x' or 1=1", { token: admin.accessToken }), 400, 'request.validation_failed');
    assertProblem(await client.send('GET', '/v1/admin/audit?sort=seq', { token: admin.accessToken }), 400, 'request.validation_failed');
    const text = all.text;
    assert.ok(!/"mac"|prev_mac|prevMac/.test(text), 'the chain MACs stay in the database');
    const trail = JSON.stringify(await trailRows(server, database));
    for (const secret of sentSecrets) assert.ok(!text.includes(secret) && !trail.includes(secret), 'no password, token, key or signing secret in the trail');
  });

  it('GET /v1/admin/audit answers the success body /openapi.json documents for it (L1, V6)', async () => {
    const check = successBodyChecker(await client.send('GET', '/openapi.json'));
    await server.app.flushSecurityEvents();
    const page = await client.send('GET', '/v1/admin/audit?limit=20', { token: admin.accessToken });
    check('get', '/v1/admin/audit', page, 200);
    const { events, next } = page.json() as { events: { fields: Record<string, unknown> }[]; next: string | null };
    assert.equal(typeof next, 'string', 'a full page names the next cursor');
    assert.ok(events.some((event) => Object.keys(event.fields).length > 0), 'the fields of the events are kept');
    const last = await client.send('GET', '/v1/admin/audit?limit=100&cursor=2', { token: admin.accessToken });
    check('get', '/v1/admin/audit', last, 200);
    assert.equal(last.json()['next'], null, 'the last page has no cursor');
  });
});

describe('security events of the limiter, end to end (E3)', () => {
  it('rate limited: every refusal logged as ratelimit.exceeded, the first per address and minute in the trail', async () => {
    const target = await sqliteTarget();
    const { server, database } = await startSuiteServer(target, { ...auditSecrets(), RATE_LIMIT_GENERAL: '2', LOAD_SHED_MAX_DELAY_MS: '0' });
    try {
      const statuses = [];
      for (let i = 0; i < 6; i += 1) statuses.push((await request(server.url, { path: '/v1' })).status);
      assert.deepEqual(statuses, [200, 200, 429, 429, 429, 429]);
      assert.equal(server.logLines().filter((line) => line['event'] === 'ratelimit.exceeded').length, 4);
      const rows = await trailRows(server, database, 'ratelimit.exceeded');
      assert.equal(rows.length, 1, 'a flood is one row a minute, not one per refused request');
      assert.deepEqual([rows[0]?.outcome, fieldsOf(rows[0])['policy'], rows[0]?.client_address], ['blocked', 'api', '127.0.0.1']);
    } finally {
      await stopSuiteServer(server, database);
      await target.cleanup();
    }
  });

  it('a limiter store that fails and comes back: ratelimit.store_degraded, then ratelimit.store_recovered', async (t) => {
    const redis: ThrowawayRedis | undefined = await startThrowawayRedis();
    if (redis === undefined) return t.skip('no redis-server');
    const target = await sqliteTarget();
    const { server, database } = await startSuiteServer(target, {
      ...auditSecrets(),
      REDIS_URL: redis.url,
      RATE_LIMIT_GENERAL: '1000',
      RATE_LIMIT_STORE_TIMEOUT_MS: '200',
      RATE_LIMIT_REDIS_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
      LOAD_SHED_MAX_DELAY_MS: '0',
    });
    try {
      assert.equal((await request(server.url, { path: '/v1' })).status, 200);
      await redis.kill();
      for (let i = 0; i < 3; i += 1) await request(server.url, { path: '/v1' });
      const degraded = await trailRows(server, database, 'ratelimit.store_degraded');
      assert.ok(degraded.length >= 1);
      assert.equal(degraded[0]?.outcome, 'error');
      await redis.restart();
      const deadline = Date.now() + 10_000;
      while ((await trailRows(server, database, 'ratelimit.store_recovered')).length === 0 && Date.now() < deadline) {
        await request(server.url, { path: '/v1' });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const recovered = await trailRows(server, database, 'ratelimit.store_recovered');
      assert.ok(recovered.length >= 1, 'recovery is in the trail');
      assert.ok(Number(recovered[0]?.seq) > Number(degraded[0]?.seq));
    } finally {
      await stopSuiteServer(server, database);
      await target.cleanup();
      await redis.stop();
    }
  });
});
