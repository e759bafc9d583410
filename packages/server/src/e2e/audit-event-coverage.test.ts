import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { signRequest } from 'portcullis/auth';
import { SECURITY_EVENT_NAMES, securityEventCatalogue, type SecurityEventName } from '../../../portcullis/src/audit/security-event-catalogue.js';
import { openDatabase, type AppDatabase } from '../db/open-database.js';
import { databaseTargets, type DatabaseTestTarget } from '../test-support/databases.js';
import { request } from '../test-support/http-client.js';
import { registerProbeRoutes } from '../test-support/probe-routes.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { startThrowawayRedis } from '../test-support/throwaway-redis.js';
import { NOT_ACCEPTED, oneFile, png, sendBytes } from './attachments.test-helpers.js';
import { auditSecrets, fieldsOf, trailRows, type AuditRow } from './audit-trail.test-helpers.js';
import { assertProblem, registerWithRole, ROOMY_LIMITS, totpCode, type Account, type AuthClient, type Tokens } from './identity.test-helpers.js';
import { sqliteTarget, startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// E3, issue 8: every event of the catalogue is produced by the flow that should produce it, each
// proved by one named end-to-end test. PROOFS below is the one list saying which test proves which
// event; the first test fails when a catalogued event has no entry, or names a test that does not
// exist or does not mention the event, so adding an event without a flow test fails the suite. The
// tests after it are the flows no other suite proved with a trail row (event, principal, outcome,
// route), and the operational (log-only) events whose flows can be reached from outside.

/** The test that produces an event through its flow: every catalogued event has one, none is excused. */
type Proof = { readonly file: string; readonly test: string };

const HERE = 'audit-event-coverage.test.ts';
const EVENTS = 'audit-events.test.ts';
const proof = (file: string, test: string): Proof => ({ file, test });

const T = {
  signIn: 'registration and sign-in: auth.registered, auth.login_succeeded with the principal, address, route and request id',
  loginFailed: 'a wrong password: auth.login_failed',
  lockout: 'a lockout: auth.login_locked',
  refresh: 'refresh and refresh-token reuse: auth.token_refreshed, auth.token_reuse (and its alert)',
  logout: 'logout: auth.logout',
  reset: 'password reset: auth.password_reset_requested, then auth.password_reset',
  mfa: 'two-factor: auth.mfa_enabled, then a wrong code at sign-in is auth.mfa_failed',
  authz: 'authorization: a route policy refusal is authz.denied; an object the caller may not see is authz.hidden',
  apiKeys: 'API keys: api_key.created, api_key.used, api_key.rotated, api_key.revoked; an unsigned write is auth.signature_invalid',
  credential: 'a refused credential: auth.credential_rejected',
  admin: 'administration: admin.user_changed and admin.user_unlocked, with the administrator as principal',
  config: 'a start-up configuration warning: config.warning',
  burst: 'a burst of invalid requests from one address: one input.validation_burst',
  exceeded: 'rate limited: every refusal logged as ratelimit.exceeded, the first per address and minute in the trail',
  store: 'a limiter store that fails and comes back: ratelimit.store_degraded, then ratelimit.store_recovered',
  sessions: 'sessions: auth.session_revoked, auth.password_changed and auth.logout_all, each a trail row of its own route',
  backup: 'two-factor upkeep: auth.backup_codes_regenerated, auth.backup_code_used and auth.mfa_disabled',
  rehash: 'a legacy bcrypt hash upgraded at sign-in: auth.password_rehashed',
  signatures: 'signed requests: an old timestamp is auth.signature_expired, a reused nonce auth.signature_replayed',
  content: 'content: post.created, post.unpublished, comment.deleted, attachment.uploaded, upload.refused, attachment.deleted, post.deleted',
  shedding: 'a stalled event loop: load.shedding_started, then load.shedding_stopped when it caught up',
  memoryFull: 'more live addresses than RATE_LIMIT_MAX_KEYS: ratelimit.memory_full',
  redisDown: 'Redis dying under a running server: redis_error, auth.denylist_sync_failed, api_key.invalidation_failed (log only)',
  redisAtStart: 'Redis unreachable at start: redis_unavailable_at_start (log only)',
  resetMail: 'a reset mail that cannot be written: auth.password_reset_failed (log only)',
  tablesGone: 'tables taken away under a running server: api_key.usage_write_failed, webhook.event_not_recorded, webhook.dispatch_failed (log only)',
  connectionsKilled: "PostgreSQL ending the server's idle pooled connections: database_error (log only), and the next request is served",
} as const;

/** Which end-to-end test proves each catalogued event. One entry per event; see the test below. */
const PROOFS: Readonly<Record<SecurityEventName, Proof>> = {
  'auth.registered': proof(EVENTS, T.signIn),
  'auth.login_succeeded': proof(EVENTS, T.signIn),
  'auth.login_failed': proof(EVENTS, T.loginFailed),
  'auth.login_locked': proof(EVENTS, T.lockout),
  'auth.mfa_failed': proof(EVENTS, T.mfa),
  'auth.mfa_enabled': proof(EVENTS, T.mfa),
  'auth.mfa_disabled': proof(HERE, T.backup),
  'auth.backup_codes_regenerated': proof(HERE, T.backup),
  'auth.backup_code_used': proof(HERE, T.backup),
  'auth.token_refreshed': proof(EVENTS, T.refresh),
  'auth.token_reuse': proof(EVENTS, T.refresh),
  'auth.logout': proof(EVENTS, T.logout),
  'auth.logout_all': proof(HERE, T.sessions),
  'auth.session_revoked': proof(HERE, T.sessions),
  'auth.password_changed': proof(HERE, T.sessions),
  'auth.password_reset_requested': proof(EVENTS, T.reset),
  'auth.password_reset': proof(EVENTS, T.reset),
  'auth.password_rehashed': proof(HERE, T.rehash),
  'auth.credential_rejected': proof(EVENTS, T.credential),
  'auth.signature_invalid': proof(EVENTS, T.apiKeys),
  'auth.signature_expired': proof(HERE, T.signatures),
  'auth.signature_replayed': proof(HERE, T.signatures),
  'api_key.created': proof(EVENTS, T.apiKeys),
  'api_key.rotated': proof(EVENTS, T.apiKeys),
  'api_key.revoked': proof(EVENTS, T.apiKeys),
  'api_key.used': proof(EVENTS, T.apiKeys),
  'authz.denied': proof(EVENTS, T.authz),
  'authz.hidden': proof(EVENTS, T.authz),
  'ratelimit.exceeded': proof(EVENTS, T.exceeded),
  'ratelimit.store_degraded': proof(EVENTS, T.store),
  'ratelimit.store_recovered': proof(EVENTS, T.store),
  'ratelimit.memory_full': proof(HERE, T.memoryFull),
  'load.shedding_started': proof(HERE, T.shedding),
  'load.shedding_stopped': proof(HERE, T.shedding),
  'input.validation_burst': proof(EVENTS, T.burst),
  'ssrf.refused': proof('webhooks.test.ts', 'refuses URLs that are not http(s), carry credentials, name another port, or a forbidden address in any spelling (400)'),
  'webhook.created': proof('webhooks.test.ts', 'deletes a webhook (204, then 404), logging created and deleted events without secrets'),
  'webhook.deleted': proof('webhooks.test.ts', 'deletes a webhook (204, then 404), logging created and deleted events without secrets'),
  'admin.user_changed': proof(EVENTS, T.admin),
  'admin.user_unlocked': proof(EVENTS, T.admin),
  'post.created': proof(HERE, T.content),
  'post.deleted': proof(HERE, T.content),
  'post.unpublished': proof(HERE, T.content),
  'comment.deleted': proof(HERE, T.content),
  'attachment.uploaded': proof(HERE, T.content),
  'attachment.deleted': proof(HERE, T.content),
  'upload.refused': proof(HERE, T.content),
  'config.warning': proof(EVENTS, T.config),
  'alert.raised': proof(EVENTS, T.refresh),
  database_error: proof(HERE, T.connectionsKilled),
  redis_error: proof(HERE, T.redisDown),
  redis_unavailable_at_start: proof(HERE, T.redisAtStart),
  'auth.denylist_sync_failed': proof(HERE, T.redisDown),
  'auth.password_reset_failed': proof(HERE, T.resetMail),
  'api_key.invalidation_failed': proof(HERE, T.redisDown),
  'api_key.usage_write_failed': proof(HERE, T.tablesGone),
  'webhook.dispatch_failed': proof(HERE, T.tablesGone),
  'webhook.delivery_failed': proof('webhooks-delivery.test.ts', 'retries a 5xx answer with exponential backoff, recording every attempt'),
  'webhook.event_not_recorded': proof(HERE, T.tablesGone),
  'alert.delivery_failed': proof('audit-alerts.test.ts', 'an alert URL at a forbidden address is refused by the SSRF rules and reported, never fetched'),
  'audit.write_failed': proof('metrics.test.ts', 'the audit queue depth gauge shows the rows waiting while the trail cannot be written, and 0 once it can'),
  'audit.checkpoint': proof('audit-trail.test.ts', 'a tail cut off with the head rewound passes verify alone, and fails against an audit.checkpoint (--expect-head)'),
};

describe('every catalogued security event has its flow test (E3, issue 8)', () => {
  it('PROOFS names, for each catalogue entry and no other, an existing test that mentions the event', () => {
    const proofs = PROOFS as Readonly<Record<string, Proof | undefined>>;
    const missing = SECURITY_EVENT_NAMES.filter((name) => proofs[name] === undefined);
    assert.deepEqual(missing, [], 'a catalogued event without a flow test: add the test and its entry in PROOFS');
    assert.deepEqual(Object.keys(PROOFS).filter((name) => !(name in securityEventCatalogue)), [], 'PROOFS names an event the catalogue no longer has');
    const sources = new Map<string, string>();
    const sourceOf = (file: string): string => {
      if (!sources.has(file)) sources.set(file, readFileSync(new URL(`./${file}`, import.meta.url), 'utf8'));
      return sources.get(file)!;
    };
    for (const name of SECURITY_EVENT_NAMES) {
      const entry = PROOFS[name];
      const source = sourceOf(entry.file);
      const title = entry.file === HERE ? `T.${Object.entries(T).find(([, value]) => value === entry.test)?.[0]}` : entry.test;
      assert.ok(entry.file === HERE ? title !== 'T.undefined' && source.includes(`it(${title},`) : source.includes(entry.test), `${name}: no test "${entry.test}" in ${entry.file}`);
      assert.ok(source.includes(`'${name}'`) || entry.test.includes(name), `${name}: ${entry.file} never names the event`);
    }
  });
});

/** Polls `check` until it returns a value or the deadline passes. */
async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) return assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Route, outcome and principal of a trail row, for one deepEqual. */
const shape = (row: AuditRow) => ({ principal: row.principal, outcome: row.outcome, route: row.route });

describe('flows proved only by a log line, or not at all, until now: their trail rows (E3)', () => {
  const secrets = auditSecrets();
  let target: DatabaseTestTarget;
  let server: TestServer;
  let database: AppDatabase;
  let client: AuthClient;
  let adminAccount: Account;
  let admin: Tokens;

  before(async () => {
    // One SQLite target: PostgreSQL is not needed to prove which flow emits what.
    target = await sqliteTarget();
    ({ server, database, client } = await startSuiteServer(target, { ...ROOMY_LIMITS, ...secrets, UPLOAD_RATE_LIMIT: '1000' }));
    ({ account: adminAccount, tokens: admin } = await registerWithRole(client, database, 'coverage-admin', 'admin'));
  });
  after(async () => {
    await stopSuiteServer(server, database);
    await target?.cleanup();
  });

  /** The rows of `event` for `principal`, asserting there is exactly `count` (after the flush). */
  async function rowsOf(event: SecurityEventName, principal: string | null, count = 1): Promise<AuditRow[]> {
    const rows = (await trailRows(server, database, event)).filter((row) => row.principal === principal);
    assert.equal(rows.length, count, `${event} rows for ${principal}`);
    return rows;
  }

  it(T.sessions, async () => {
    const account = await client.register('sessions');
    const principal = `user:${account.id}`;
    const current = await client.signIn(account);
    await client.signIn(account);
    const listed = await client.send('GET', '/v1/auth/sessions', { token: current.accessToken });
    const other = (listed.json()['sessions'] as { id: string; current: boolean }[]).find((session) => !session.current);
    assert.ok(other !== undefined, 'a second session to revoke');
    assert.equal((await client.send('DELETE', `/v1/auth/sessions/${other.id}`, { token: current.accessToken })).status, 204);
    const [revoked] = await rowsOf('auth.session_revoked', principal);
    assert.deepEqual(shape(revoked!), { principal, outcome: 'success', route: '/v1/auth/sessions/:id' });

    const password = `${account.password}-new`;
    const changed = await client.post('/v1/auth/password/change', { currentPassword: account.password, newPassword: password }, { token: current.accessToken });
    assert.equal(changed.status, 204, changed.text);
    const [change] = await rowsOf('auth.password_changed', principal);
    assert.deepEqual(shape(change!), { principal, outcome: 'changed', route: '/v1/auth/password/change' });
    assert.ok(!JSON.stringify(change).includes(password) && !JSON.stringify(change).includes(account.password), 'no password in the row');

    const fresh = await client.signIn({ email: account.email, password });
    assert.equal((await client.post('/v1/auth/logout-all', undefined, { token: fresh.accessToken })).status, 204);
    const [all] = await rowsOf('auth.logout_all', principal);
    assert.deepEqual(shape(all!), { principal, outcome: 'success', route: '/v1/auth/logout-all' });
    assert.equal(all!.method, 'POST');
  });

  it(T.backup, async () => {
    const account = await client.register('upkeep');
    const principal = `user:${account.id}`;
    const tokens = await client.signIn(account);
    const secret = (await client.post('/v1/auth/mfa/totp/setup', undefined, { token: tokens.accessToken })).json()['secret'] as string;
    const enabled = await client.post('/v1/auth/mfa/totp/enable', { code: totpCode(secret) }, { token: tokens.accessToken });
    assert.equal(enabled.status, 200, enabled.text);
    const first = enabled.json()['backupCodes'] as string[];

    const regenerated = await client.post('/v1/auth/mfa/backup-codes', { code: first[0] }, { token: tokens.accessToken });
    assert.equal(regenerated.status, 200, regenerated.text);
    const codes = regenerated.json()['backupCodes'] as string[];
    const [regen] = await rowsOf('auth.backup_codes_regenerated', principal);
    assert.deepEqual(shape(regen!), { principal, outcome: 'changed', route: '/v1/auth/mfa/backup-codes' });

    const signedIn = await client.login(account.email, account.password, { totp: codes[0] });
    assert.equal(signedIn.status, 200, signedIn.text);
    const used = (await trailRows(server, database, 'auth.backup_code_used')).filter((row) => row.principal === principal && row.route === '/v1/auth/login');
    assert.equal(used.length, 1, 'the backup code stood in at sign-in');
    assert.deepEqual(shape(used[0]!), { principal, outcome: 'success', route: '/v1/auth/login' });

    assert.equal((await client.post('/v1/auth/mfa/totp/disable', { password: account.password, code: codes[1] }, { token: tokens.accessToken })).status, 204);
    const [disabled] = await rowsOf('auth.mfa_disabled', principal);
    assert.deepEqual(shape(disabled!), { principal, outcome: 'changed', route: '/v1/auth/mfa/totp/disable' });
    const trail = JSON.stringify(await trailRows(server, database));
    for (const code of [...first, ...codes, secret]) assert.ok(!trail.includes(code), 'no backup code or TOTP secret in the trail');
  });

  it(T.rehash, async () => {
    // bcrypt (cost 10) of LEGACY_PASSWORD, as identity-rehash.test.ts stores it for an imported account.
    const LEGACY_PASSWORD = 'Legacy-bcrypt-Passw0rd!';
    const LEGACY_HASH = '$2b$10$b676czSNW/Vd5wMmrodZNOLOvEREd/jfb.Y/PHyBZX.PCNUCM14ki';
    const account = await client.register('legacy');
    await database.db.updateTable('users').set({ password_hash: LEGACY_HASH }).where('id', '=', account.id).execute();
    assert.equal((await client.login(account.email, LEGACY_PASSWORD)).status, 200);
    const [rehashed] = await rowsOf('auth.password_rehashed', `user:${account.id}`);
    assert.deepEqual(shape(rehashed!), { principal: `user:${account.id}`, outcome: 'changed', route: '/v1/auth/login' });
  });

  it(T.signatures, async () => {
    const owner = await client.register('signer');
    const tokens = await client.signIn(owner);
    const created = await client.send('POST', '/v1/api-keys', { token: tokens.accessToken, body: { name: 'signed', scopes: ['profile:read', 'profile:write'] } });
    assert.equal(created.status, 201, created.text);
    const issued = created.json() as { id: string; key: string; signingSecret: string };
    const principal = `api_key:${issued.id}`;
    const body = JSON.stringify({ name: 'Signed name' });
    const patch = (signature: Record<string, string>) =>
      request(server.url, { method: 'PATCH', path: '/v1/users/me', body, headers: { 'x-api-key': issued.key, 'content-type': 'application/json', ...signature } });

    const old = signRequest({ secret: issued.signingSecret, method: 'PATCH', pathWithQuery: '/v1/users/me', body, now: () => Date.now() - 3_600_000 });
    assertProblem(await patch(old), 401, 'auth.signature_expired');
    const [expired] = await rowsOf('auth.signature_expired', principal);
    assert.deepEqual(shape(expired!), { principal, outcome: 'denied', route: '/v1/users/me' });

    const once = signRequest({ secret: issued.signingSecret, method: 'PATCH', pathWithQuery: '/v1/users/me', body });
    assert.equal((await patch(once)).status, 200);
    assertProblem(await patch(once), 401, 'auth.signature_replayed');
    const [replayed] = await rowsOf('auth.signature_replayed', principal);
    assert.deepEqual(shape(replayed!), { principal, outcome: 'denied', route: '/v1/users/me' });
    const trail = JSON.stringify(await trailRows(server, database));
    assert.ok(!trail.includes(issued.signingSecret) && !trail.includes(issued.key) && !trail.includes(once['portcullis-signature']), 'no key, secret or signature in the trail');
  });

  it(T.content, async () => {
    const author = await client.register('author');
    const principal = `user:${author.id}`;
    const tokens = await client.signIn(author);
    const as = (token: string) => ({ authorization: `Bearer ${token}` });

    const created = await client.send('POST', '/v1/posts', { token: tokens.accessToken, body: { title: 'Audited', body: '<p>text</p>', visibility: 'public' } });
    assert.equal(created.status, 201, created.text);
    const postId = created.json()['id'] as string;
    const [createdRow] = await rowsOf('post.created', principal);
    assert.deepEqual([shape(createdRow!), fieldsOf(createdRow)['postId']], [{ principal, outcome: 'success', route: '/v1/posts' }, postId]);

    assert.equal((await client.send('POST', `/v1/posts/${postId}/publish`, { token: tokens.accessToken })).status, 200);
    const comment = await client.send('POST', `/v1/posts/${postId}/comments`, { token: tokens.accessToken, body: { body: 'a remark' } });
    assert.equal(comment.status, 201, comment.text);
    const commentId = comment.json()['id'] as string;
    assert.equal((await client.send('DELETE', `/v1/posts/${postId}/comments/${commentId}`, { token: tokens.accessToken })).status, 204);
    const [commentRow] = await rowsOf('comment.deleted', principal);
    assert.deepEqual([shape(commentRow!), fieldsOf(commentRow)['commentId']], [{ principal, outcome: 'changed', route: '/v1/posts/:id/comments/:commentId' }, commentId]);

    const unpublished = await client.send('POST', `/v1/posts/${postId}/unpublish`, { token: admin.accessToken });
    assert.equal(unpublished.status, 200, unpublished.text);
    const [unpublishedRow] = await rowsOf('post.unpublished', `user:${adminAccount.id}`);
    assert.deepEqual([shape(unpublishedRow!), fieldsOf(unpublishedRow)['postId']], [{ principal: `user:${adminAccount.id}`, outcome: 'changed', route: '/v1/posts/:id/unpublish' }, postId]);

    const upload = (file: Buffer, name: string, type: string) => {
      const form = oneFile(file, name, type);
      return sendBytes(server.url, { method: 'POST', path: `/v1/posts/${postId}/attachments`, headers: { ...as(tokens.accessToken), 'content-type': form.contentType }, body: form.body });
    };
    const stored = await upload(png(), 'photo.png', 'image/png');
    assert.equal(stored.status, 201, stored.body.toString('utf8'));
    const attachmentId = stored.json()['id'] as string;
    const [uploaded] = await rowsOf('attachment.uploaded', principal);
    assert.deepEqual([shape(uploaded!), fieldsOf(uploaded)['attachmentId']], [{ principal, outcome: 'success', route: '/v1/posts/:id/attachments' }, attachmentId]);

    const refused = await upload(NOT_ACCEPTED['HTML page']!, 'photo.png', 'image/png');
    assert.equal(refused.status, 415);
    const [refusedRow] = await rowsOf('upload.refused', principal);
    assert.deepEqual([shape(refusedRow!), fieldsOf(refusedRow)['postId']], [{ principal, outcome: 'denied', route: '/v1/posts/:id/attachments' }, postId]);

    const removed = await sendBytes(server.url, { method: 'DELETE', path: `/v1/posts/${postId}/attachments/${attachmentId}`, headers: as(tokens.accessToken) });
    assert.equal(removed.status, 204);
    const [removedRow] = await rowsOf('attachment.deleted', principal);
    assert.deepEqual([shape(removedRow!), fieldsOf(removedRow)['attachmentId']], [{ principal, outcome: 'changed', route: '/v1/posts/:id/attachments/:attachmentId' }, attachmentId]);

    assert.equal((await client.send('DELETE', `/v1/posts/${postId}`, { token: tokens.accessToken })).status, 204);
    const [deleted] = await rowsOf('post.deleted', principal);
    assert.deepEqual([shape(deleted!), fieldsOf(deleted)['postId']], [{ principal, outcome: 'changed', route: '/v1/posts/:id' }, postId]);
  });
});

describe('events of the server itself, with no principal or route (E3)', () => {
  it(T.shedding, async () => {
    const target = await sqliteTarget();
    const { server, database } = await startSuiteServer(target, { ...auditSecrets(), LOAD_SHED_MAX_DELAY_MS: '200', RATE_LIMIT_GENERAL: '1000' }, { extraV1Routes: registerProbeRoutes });
    try {
      assert.equal((await request(server.url, { path: '/v1/probe/block?ms=1500' })).status, 200);
      assertProblem(await request(server.url, { path: '/v1' }), 503, 'service.overloaded');
      await eventually('the server to admit again', async () => ((await request(server.url, { path: '/v1' })).status === 200 ? true : undefined));
      const stopped = await eventually('a load.shedding_stopped row', async () => (await trailRows(server, database, 'load.shedding_stopped'))[0]);
      const started = await trailRows(server, database, 'load.shedding_started');
      assert.equal(started.length, 1, 'one row per episode, not one per refused request');
      assert.deepEqual(shape(started[0]!), { principal: null, outcome: 'blocked', route: null });
      assert.ok(Number(fieldsOf(started[0])['delayMs']) >= 200, 'the lag that started it');
      assert.deepEqual(shape(stopped), { principal: null, outcome: 'success', route: null });
      assert.ok(Number(stopped.seq) > Number(started[0]!.seq), 'stopped after it started');
    } finally {
      await stopSuiteServer(server, database);
      await target.cleanup();
    }
  });

  it(T.memoryFull, async () => {
    const target = await sqliteTarget();
    // A low limit keeps each address's record live for the whole test; the keys are the client
    // addresses the trusted loopback proxy reports.
    const { server, database } = await startSuiteServer(target, {
      ...auditSecrets(),
      RATE_LIMIT_GENERAL: '5',
      RATE_LIMIT_MAX_KEYS: '1000',
      TRUSTED_PROXIES: '127.0.0.1',
      LOAD_SHED_MAX_DELAY_MS: '0',
    });
    try {
      const addresses = Array.from({ length: 1100 }, (_, i) => `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}`);
      const statuses: number[] = [];
      for (let i = 0; i < addresses.length; i += 50) {
        const batch = addresses.slice(i, i + 50).map((address) => request(server.url, { path: '/v1', headers: { 'x-forwarded-for': address } }).then((res) => res.status));
        statuses.push(...(await Promise.all(batch)));
      }
      assert.ok(statuses.slice(0, 950).every((status) => status === 200), 'one request per address is admitted while there is room');
      // Full: newcomers share one overflow record with the same limit, so rotating addresses gains nothing.
      assert.ok(statuses.slice(1000).filter((status) => status === 429).length >= 90, 'newcomers past the cap share one limit');
      const rows = await trailRows(server, database, 'ratelimit.memory_full');
      assert.equal(rows.length, 1, 'once when it fills, not once per newcomer');
      assert.deepEqual(shape(rows[0]!), { principal: null, outcome: 'error', route: null });
      assert.equal(fieldsOf(rows[0])['policy'], 'api');
      assert.equal(server.logLines().filter((line) => line['event'] === 'ratelimit.memory_full').length, 1);
    } finally {
      await stopSuiteServer(server, database);
      await target.cleanup();
    }
  });
});

describe('operational events: log lines, never trail rows (E3)', () => {
  /** The log lines of `event`, asserting there is at least one and that none reached the trail. */
  async function logOnly(server: TestServer, database: AppDatabase, event: SecurityEventName): Promise<Record<string, unknown>[]> {
    const lines = await eventually(`a ${event} log line`, () => {
      const found = server.logLines().filter((line) => line['event'] === event);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(securityEventCatalogue[event].trail, false);
    assert.equal((await trailRows(server, database, event)).length, 0, `${event} stays out of the trail`);
    return lines;
  }

  it(T.redisDown, async (t) => {
    const redis = await startThrowawayRedis();
    if (redis === undefined) return t.skip('no redis-server');
    const target = await sqliteTarget();
    const { server, database } = await startSuiteServer(target, {
      ...ROOMY_LIMITS,
      ...auditSecrets(),
      REDIS_URL: redis.url,
      RATE_LIMIT_REDIS_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
      RATE_LIMIT_FAIL_MODE: 'local',
      RATE_LIMIT_STORE_TIMEOUT_MS: '200',
      DENYLIST_SYNC_MS: '100',
    });
    try {
      assert.equal((await request(server.url, { path: '/v1' })).status, 200);
      assert.equal(server.logLines().filter((line) => line['event'] === 'redis_error').length, 0, 'nothing to report while Redis answers');
      await redis.kill();
      await logOnly(server, database, 'redis_error');
      await logOnly(server, database, 'auth.denylist_sync_failed');
      await logOnly(server, database, 'api_key.invalidation_failed');
    } finally {
      await stopSuiteServer(server, database);
      await target.cleanup();
      await redis.stop();
    }
  });

  it(T.redisAtStart, async () => {
    const target = await sqliteTarget();
    // Nothing listens on the discard port on loopback.
    const { server, database } = await startSuiteServer(target, { ...ROOMY_LIMITS, ...auditSecrets(), REDIS_URL: 'redis://127.0.0.1:9', RATE_LIMIT_FAIL_MODE: 'local', RATE_LIMIT_STORE_TIMEOUT_MS: '50' });
    try {
      const [line] = await logOnly(server, database, 'redis_unavailable_at_start');
      assert.equal(line?.['outcome'], 'error');
    } finally {
      await stopSuiteServer(server, database);
      await target.cleanup();
    }
  });

  it(T.resetMail, async () => {
    const target = await sqliteTarget();
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-outbox-file-'));
    // The outbox is a file, not a directory: writing the mail fails after the 202 was sent.
    const outbox = join(dir, 'not-a-directory');
    writeFileSync(outbox, '');
    const { server, database, client } = await startSuiteServer(target, { ...ROOMY_LIMITS, ...auditSecrets(), MAIL_OUTBOX_DIR: outbox });
    try {
      const account = await client.register('unmailable');
      assert.equal((await client.post('/v1/auth/password/forgot', { email: account.email })).status, 202, 'the caller learns nothing');
      const [line] = await logOnly(server, database, 'auth.password_reset_failed');
      assert.ok(!JSON.stringify(line).includes(account.email), 'the address stays out of the log line');
    } finally {
      await stopSuiteServer(server, database);
      await target.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it(T.connectionsKilled, async (t) => {
    // Raised by a PostgreSQL pool's error event only (SQLite has none). Only the connections to
    // this test's own database are ended: the suites running beside it use databases of their own.
    const targets = await databaseTargets();
    const postgres = targets.find((candidate) => candidate.label === 'postgres');
    await Promise.all(targets.filter((candidate) => candidate !== postgres).map((other) => other.cleanup()));
    if (postgres === undefined) return t.skip('PostgreSQL unreachable');
    const server = await startTestServer({ ...ROOMY_LIMITS, ...auditSecrets(), DATABASE_URL: postgres.databaseUrl });
    let database: AppDatabase | undefined;
    try {
      // Connections the pool keeps idle after serving.
      assert.equal((await request(server.url, { path: '/ready' })).status, 200);
      assert.equal(server.logLines().filter((line) => line['event'] === 'database_error').length, 0, 'nothing to report while the database answers');
      // Connected to the same database, so every other backend on it is one of the server's.
      const admin = new pg.Client({ connectionString: postgres.databaseUrl });
      admin.on('error', () => undefined);
      await admin.connect();
      try {
        const ended = await admin.query<{ ended: boolean }>('select pg_terminate_backend(pid) as ended from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
        assert.ok(ended.rows.length > 0 && ended.rows.every((row) => row.ended), 'the server held connections to its database');
      } finally {
        await admin.end();
      }
      database = await openDatabase(postgres.target);
      const [line] = await logOnly(server, database, 'database_error');
      assert.equal(line?.['outcome'], 'error');
      // The server's own detail stays in the log line's err; the pool opens new connections.
      assert.equal((await request(server.url, { path: '/ready' })).status, 200, 'the next request is served');
    } finally {
      await server.close();
      await database?.close();
      await postgres.cleanup();
    }
  });

  it(T.tablesGone, async () => {
    const target = await sqliteTarget();
    const { server, database, client } = await startSuiteServer(target, { ...ROOMY_LIMITS, ...auditSecrets(), API_KEY_USAGE_FLUSH_MS: '50', WEBHOOK_POLL_MS: '50' });
    const rename = (from: string, to: string) => sql`ALTER TABLE ${sql.table(from)} RENAME TO ${sql.table(to)}`.execute(database.db);
    try {
      const account = await client.register('tables');
      const tokens = await client.signIn(account);
      const created = await client.send('POST', '/v1/api-keys', { token: tokens.accessToken, body: { name: 'usage', scopes: ['profile:read'] } });
      assert.equal(created.status, 201, created.text);
      const key = created.json()['key'] as string;

      await rename('api_key_usage', 'api_key_usage_away');
      await rename('webhook_events', 'webhook_events_away');
      try {
        assert.equal((await request(server.url, { path: '/v1/users/me', headers: { 'x-api-key': key } })).status, 200, 'the request itself is served');
        const post = await client.send('POST', '/v1/posts', { token: tokens.accessToken, body: { title: 'Unrecorded', body: 'text', visibility: 'public' } });
        assert.equal(post.status, 201, 'a post event that cannot be recorded does not fail the post');
        await logOnly(server, database, 'api_key.usage_write_failed');
        const [notRecorded] = await logOnly(server, database, 'webhook.event_not_recorded');
        assert.equal(notRecorded?.['postId'], post.json()['id']);
        await logOnly(server, database, 'webhook.dispatch_failed');
      } finally {
        await rename('webhook_events_away', 'webhook_events');
        await rename('api_key_usage_away', 'api_key_usage');
      }
    } finally {
      await stopSuiteServer(server, database);
      await target.cleanup();
    }
  });
});
