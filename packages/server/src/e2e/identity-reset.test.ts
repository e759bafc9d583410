import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readOutbox } from '../app/mailer.js';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import type { TestServer } from '../test-support/test-server.js';
import { assertBearerRefused, assertProblem, newEmail, newPassword, ROOMY_LIMITS, waitForResetToken, type Account, type AuthClient } from './identity.test-helpers.js';
import { startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// A7 on each database: the same answer whether or not the account exists, the link in the
// development outbox, single-use and 30-minute tokens, every session ended after a reset.
describeEachDatabase('identity password reset', (target) => {
  let server: TestServer;
  let client: AuthClient;
  let outbox: string;
  let db: AppDatabase;
  before(async () => {
    outbox = await mkdtemp(join(tmpdir(), 'portcullis-outbox-'));
    ({ server, client, database: db } = await startSuiteServer(target, { ...ROOMY_LIMITS, MAIL_OUTBOX_DIR: outbox, APP_URL: 'https://app.example.com' }));
  });
  after(async () => {
    await stopSuiteServer(server, db);
    await rm(outbox, { recursive: true, force: true });
  });

  const forgot = (email: string) => client.post('/v1/auth/password/forgot', { email });
  const reset = (token: string, password: string) => client.post('/v1/auth/password/reset', { token, password });

  it('answers 202 with the same body for a registered and an unknown email, and mails only the registered one', async () => {
    const account = await client.register('forgot');
    const unknown = await forgot(newEmail('nobody'));
    const known = await forgot(account.email.toUpperCase());
    assert.equal(unknown.status, 202);
    assert.equal(known.status, 202);
    assert.equal(known.text, unknown.text);
    assert.deepEqual(known.json(), { status: 'accepted', message: 'If an account uses this email, a reset link is on its way.' });
    const varying = new Set(['date', 'x-request-id', 'ratelimit']);
    const same = (h: typeof known.headers) => Object.fromEntries(Object.entries(h).filter(([name]) => !varying.has(name)));
    assert.deepEqual(same(known.headers), same(unknown.headers));

    const token = await waitForResetToken(outbox, account.email);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    await sleep(50);
    const mail = readOutbox(outbox);
    assert.deepEqual(mail.map((m) => m.to), [account.email]);
    assert.equal(mail[0]?.subject, 'Reset your password');
    assert.ok(mail[0]?.text.includes(`https://app.example.com/reset-password#token=${token}`), mail[0]?.text);
    const requested = server.logLines().filter((line) => line['event'] === 'auth.password_reset_requested');
    assert.deepEqual(requested.map((line) => line['userId']), [account.id]);
  });

  it('resets with a single-use token: old password refused, every session ended, second use refused', async () => {
    const account: Account = await client.register('single');
    const sessions = [await client.signIn(account), await client.signIn(account)];
    assert.equal((await forgot(account.email)).status, 202);
    const token = await waitForResetToken(outbox, account.email);

    // A refused password does not burn the token.
    assertProblem(await reset(token, 'password'), 400, 'auth.password_rejected');
    const password = newPassword();
    const done = await reset(token, password);
    assert.equal(done.status, 204, done.text);
    assertProblem(await reset(token, newPassword()), 400, 'auth.reset_invalid');

    for (const s of sessions) {
      assertBearerRefused(await client.me(s.accessToken), 'auth.token_revoked');
      assertProblem(await client.refresh(s.refreshToken), 401, 'auth.refresh_invalid');
    }
    assertProblem(await client.login(account.email, account.password), 401, 'auth.invalid_credentials');
    account.password = password;
    const fresh = await client.signIn(account);
    assert.equal((await client.me(fresh.accessToken)).status, 200);
    const events = server.logLines().filter((line) => line['event'] === 'auth.password_reset');
    assert.equal(events.at(-1)?.['revokedCount'], 2);
  });

  it('concurrent uses of one token: exactly one resets the password', async () => {
    const account = await client.register('race');
    await forgot(account.email);
    const token = await waitForResetToken(outbox, account.email);
    const passwords = Array.from({ length: 5 }, () => newPassword());
    const results = await Promise.all(passwords.map((password) => reset(token, password)));
    assert.deepEqual(results.map((r) => r.status).sort(), [204, 400, 400, 400, 400]);
    for (const res of results.filter((r) => r.status === 400)) assertProblem(res, 400, 'auth.reset_invalid');
    const winner = passwords[results.findIndex((r) => r.status === 204)] as string;
    const outcomes = await Promise.all(passwords.map(async (password) => (await client.login(account.email, password)).status));
    assert.deepEqual(outcomes.sort(), [200, 401, 401, 401, 401]);
    assert.equal((await client.login(account.email, winner)).status, 200);
  });

  it('refuses unknown and malformed tokens alike', async () => {
    assertProblem(await reset('A'.repeat(43), newPassword()), 400, 'auth.reset_invalid');
    assertProblem(await reset('not a token', newPassword()), 400, 'auth.reset_invalid');
    assertProblem(await client.post('/v1/auth/password/reset', { token: 'x', password: newPassword(), email: 'a@example.com' }), 400, 'request.validation_failed');
  });

  it('a newer request spends the older token', async () => {
    const account = await client.register('newer');
    await forgot(account.email);
    const older = await waitForResetToken(outbox, account.email, 0);
    await forgot(account.email);
    const newer = await waitForResetToken(outbox, account.email, 1);
    assert.notEqual(older, newer);
    assertProblem(await reset(older, newPassword()), 400, 'auth.reset_invalid');
    assert.equal((await reset(newer, newPassword())).status, 204);
  });

  it('tokens live 30 minutes: one issued 31 minutes ago is refused', async () => {
    const account = await client.register('expiry');
    await forgot(account.email);
    const token = await waitForResetToken(outbox, account.email);
    const row = await db.db.selectFrom('password_resets').select(['created_at', 'expires_at']).where('user_id', '=', account.id).executeTakeFirstOrThrow();
    assert.equal(Date.parse(row.expires_at) - Date.parse(row.created_at), 30 * 60_000);
    // Move the token 31 minutes into the past, as if it had been issued then.
    const shift = (iso: string) => new Date(Date.parse(iso) - 31 * 60_000).toISOString();
    await db.db.updateTable('password_resets').set({ created_at: shift(row.created_at), expires_at: shift(row.expires_at) }).where('user_id', '=', account.id).execute();
    assertProblem(await reset(token, newPassword()), 400, 'auth.reset_invalid');
    assert.equal((await client.login(account.email, account.password)).status, 200, 'the password is unchanged');
    // One still inside its 30 minutes works (moved back 29 minutes).
    await forgot(account.email);
    const second = await waitForResetToken(outbox, account.email, 1);
    const live = (iso: string) => new Date(Date.parse(iso) - 29 * 60_000).toISOString();
    const current = await db.db.selectFrom('password_resets').select(['token_hash', 'created_at', 'expires_at']).where('user_id', '=', account.id).where('used_at', 'is', null).executeTakeFirstOrThrow();
    await db.db.updateTable('password_resets').set({ created_at: live(current.created_at), expires_at: live(current.expires_at) }).where('token_hash', '=', current.token_hash).execute();
    assert.equal((await reset(second, newPassword())).status, 204);
  });
});
