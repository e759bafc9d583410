import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { dummyHashVerifications } from 'portcullis/auth';
import { describeEachDatabase } from '../test-support/databases.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { assertBearerRefused, assertProblem, AuthClient, decodeJwt, newPassword, ROOMY_LIMITS, setCookies, tokensOf, totpCode, withoutErrorId, type Account } from './identity.test-helpers.js';
import { successBodyChecker } from './openapi-bodies.test-helpers.js';

// A1, A2, A5 over real HTTP on each database: registration, login and enumeration, /users/me,
// sessions, logout, logout-all and password change.
describeEachDatabase('identity flows', (target) => {
  let server: TestServer;
  let client: AuthClient;
  before(async () => {
    server = await startTestServer({ ...ROOMY_LIMITS, DATABASE_URL: target.databaseUrl });
    client = new AuthClient(server.url);
  });
  after(() => server?.close());

  it('registers with a normalised email and answers only the public fields', async () => {
    const password = newPassword();
    const res = await client.post('/v1/auth/register', { email: 'Mixed.Case@Example.COM', password, name: 'Ada' });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers['location'], '/v1/users/me');
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['createdAt', 'email', 'id', 'name']);
    assert.equal(body['email'], 'mixed.case@example.com');
    assert.equal(body['name'], 'Ada');
    const again = await client.post('/v1/auth/register', { email: 'mixed.case@example.com', password: newPassword(), name: 'Eve' });
    assertProblem(again, 409, 'user.email_taken');
    // The stored form is what login matches, whatever the case typed.
    assert.equal((await client.login('MIXED.case@example.com', password)).status, 200);
  });

  it('refuses a weak password with every broken rule listed field by field', async () => {
    const res = await client.post('/v1/auth/register', { email: 'weak@example.com', password: 'password', name: 'Weak' });
    const body = assertProblem(res, 400, 'auth.password_rejected');
    const errors = body['errors'] as { field: string; code: string; message: string }[];
    assert.deepEqual(errors.map((e) => e.field), ['password', 'password', 'password']);
    assert.deepEqual(errors.map((e) => e.code), ['password.too_short', 'password.common', 'password.too_weak']);
    for (const e of errors) assert.ok(e.message.length > 0);
    const personal = await client.post('/v1/auth/register', { email: 'rosalind.franklin@example.com', password: 'rosalind.franklin-1953-xQz', name: 'Rosalind' });
    const personalCodes = (assertProblem(personal, 400, 'auth.password_rejected')['errors'] as { code: string }[]).map((e) => e.code);
    assert.ok(personalCodes.includes('password.contains_personal_info'), personal.text);
    assert.ok(!personal.text.includes('rosalind.franklin-1953'), 'the refused password is not echoed');
    // Nothing was created: the email is still free.
    assert.equal((await client.post('/v1/auth/register', { email: 'weak@example.com', password: newPassword(), name: 'Weak' })).status, 201);
  });

  it('refuses unknown fields at registration (no role or status from the client)', async () => {
    const res = await client.post('/v1/auth/register', { email: 'sneaky@example.com', password: newPassword(), name: 'S', role: 'admin' });
    assertProblem(res, 400, 'request.validation_failed');
    assertProblem(await client.login('sneaky@example.com', 'whatever-it-is-123'), 401, 'auth.invalid_credentials');
  });

  it('answers an unknown email and a wrong password identically, and runs the dummy hash only for the unknown one', async () => {
    const account = await client.register('enum');
    const beforeUnknown = dummyHashVerifications();
    const unknown = await client.login('nobody-here@example.com', account.password);
    assert.equal(dummyHashVerifications(), beforeUnknown + 1, 'the unknown account verified against the dummy hash');
    const beforeKnown = dummyHashVerifications();
    const wrong = await client.login(account.email, `${account.password}x`);
    assert.equal(dummyHashVerifications(), beforeKnown, 'a known account verifies its own hash, not the dummy');

    assertProblem(unknown, 401, 'auth.invalid_credentials');
    assertProblem(wrong, 401, 'auth.invalid_credentials');
    assert.deepEqual(withoutErrorId(unknown), withoutErrorId(wrong));
    assert.equal(unknown.text.length - unknown.json<{ errorId: string }>().errorId.length, wrong.text.length - wrong.json<{ errorId: string }>().errorId.length);
    const varying = new Set(['date', 'x-request-id', 'ratelimit', 'content-length']);
    const headerNames = (h: typeof unknown.headers) => Object.keys(h).filter((n) => !varying.has(n)).sort();
    assert.deepEqual(headerNames(unknown.headers), headerNames(wrong.headers));
    for (const name of headerNames(unknown.headers)) assert.deepEqual(unknown.headers[name], wrong.headers[name], name);

    const failures = server.logLines().filter((line) => line['event'] === 'auth.login_failed');
    const reasons = failures.slice(-2).map((line) => [line['reason'], line['clientAddress'], line['userAgent'], line['level']]);
    assert.deepEqual(reasons, [
      ['unknown_account', '127.0.0.1', 'identity-e2e', 40],
      ['wrong_password', '127.0.0.1', 'identity-e2e', 40],
    ]);
  });

  it('logs in with the refresh token in the body and serves /users/me with exactly the public fields', async () => {
    const account = await client.register('me');
    const res = await client.login(account.email, account.password, { refreshTokenIn: 'body' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['set-cookie'], undefined, 'body mode sets no cookie');
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['accessToken', 'expiresIn', 'refreshExpiresIn', 'refreshToken', 'tokenType']);
    assert.equal(body['tokenType'], 'Bearer');
    assert.equal(body['expiresIn'], 900);
    assert.equal(body['refreshExpiresIn'], 7 * 86_400);
    assert.match(String(body['refreshToken']), /^[A-Za-z0-9_-]{43}$/, '256-bit opaque token');

    const me = await client.me(body['accessToken'] as string);
    assert.equal(me.status, 200);
    const profile = me.json();
    assert.deepEqual(Object.keys(profile).sort(), ['createdAt', 'email', 'id', 'mfaEnabled', 'name', 'role', 'updatedAt']);
    assert.deepEqual([profile['id'], profile['email'], profile['role'], profile['mfaEnabled']], [account.id, account.email, 'user', false]);

    const success = server.logLines().filter((line) => line['event'] === 'auth.login_succeeded').at(-1);
    assert.equal(success?.['userId'], account.id);
    assert.equal(success?.['clientAddress'], '127.0.0.1');
    assert.equal(success?.['userAgent'], 'identity-e2e');
    assert.equal(success?.['sid'], decodeJwt(body['accessToken'] as string).payload['sid']);
  });

  it('/users/me answers match the success bodies /openapi.json documents for them (L1, V6)', async () => {
    const check = successBodyChecker(await client.send('GET', '/openapi.json'));
    const { accessToken } = await client.signIn(await client.register('documented'));
    check('get', '/v1/users/me', await client.me(accessToken), 200);
    check('patch', '/v1/users/me', await client.send('PATCH', '/v1/users/me', { token: accessToken, body: { name: 'Documented' } }), 200);
  });

  it('the identity routes answer the success bodies /openapi.json documents for them (L1, V6)', async () => {
    const check = successBodyChecker(await client.send('GET', '/openapi.json'));
    const password = newPassword();
    const email = `documented-auth-${randomUUID()}@example.com`;
    check('post', '/v1/auth/register', await client.post('/v1/auth/register', { email, password, name: 'Documented' }), 201);
    const bodyLogin = await client.login(email, password, { refreshTokenIn: 'body' });
    check('post', '/v1/auth/login', bodyLogin, 200);
    const { accessToken, refreshToken } = tokensOf(bodyLogin);
    check('post', '/v1/auth/refresh', await client.refresh(refreshToken), 200);
    // Cookie mode: the CSRF token instead of the refresh token, on login and on refresh.
    const cookieLogin = await client.login(email, password);
    check('post', '/v1/auth/login', cookieLogin, 200);
    const cookies = setCookies(cookieLogin);
    const csrf = cookies.get('pc_csrf')?.value ?? '';
    const cookieRefresh = await client.send('POST', '/v1/auth/refresh', { headers: { cookie: `pc_refresh=${cookies.get('pc_refresh')?.value ?? ''}; pc_csrf=${csrf}`, 'x-csrf-token': csrf } });
    check('post', '/v1/auth/refresh', cookieRefresh, 200);
    assert.equal(typeof cookieRefresh.json()['csrfToken'], 'string', cookieRefresh.text);
    check('get', '/v1/auth/sessions', await client.send('GET', '/v1/auth/sessions', { token: accessToken }), 200);
    check('post', '/v1/auth/password/forgot', await client.post('/v1/auth/password/forgot', { email }), 202);
    const setup = await client.post('/v1/auth/mfa/totp/setup', undefined, { token: accessToken });
    check('post', '/v1/auth/mfa/totp/setup', setup, 200);
    const enabled = await client.post('/v1/auth/mfa/totp/enable', { code: totpCode(setup.json()['secret'] as string) }, { token: accessToken });
    check('post', '/v1/auth/mfa/totp/enable', enabled, 200);
    const [backupCode] = enabled.json()['backupCodes'] as string[];
    check('post', '/v1/auth/mfa/backup-codes', await client.post('/v1/auth/mfa/backup-codes', { code: backupCode }, { token: accessToken }), 200);
  });

  it('refuses /users/me without a bearer token, with a challenge', async () => {
    assertBearerRefused(await client.send('GET', '/v1/users/me'), 'auth.unauthenticated');
    assertBearerRefused(await client.send('GET', '/v1/users/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 'auth.token_invalid');
  });

  it('PATCH /users/me changes the name only; role or email in the body is a 400 and changes nothing', async () => {
    const account = await client.register('patch');
    const { accessToken } = await client.signIn(account);
    const renamed = await client.send('PATCH', '/v1/users/me', { token: accessToken, body: { name: '  Grace  ' } });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.json()['name'], 'Grace');
    for (const sneaky of [{ role: 'admin' }, { name: 'X', role: 'admin' }, { email: 'other@example.com' }, { mfaEnabled: true }, { passwordHash: 'x' }]) {
      assertProblem(await client.send('PATCH', '/v1/users/me', { token: accessToken, body: sneaky }), 400, 'request.validation_failed');
    }
    const me = (await client.me(accessToken)).json();
    assert.deepEqual([me['name'], me['role'], me['email']], ['Grace', 'user', account.email]);
    assertBearerRefused(await client.send('PATCH', '/v1/users/me', { body: { name: 'Nobody' } }), 'auth.unauthenticated');
  });

  it('lists sessions with the current one marked, and revokes one session by id', async () => {
    const account = await client.register('sessions');
    const first = await client.signIn(account, {}, { 'user-agent': 'laptop-browser/1.0' });
    const second = await client.signIn(account, {}, { 'user-agent': 'phone-app/2.0' });
    const listed = await client.send('GET', '/v1/auth/sessions', { token: second.accessToken });
    assert.equal(listed.status, 200);
    const sessions = listed.json<{ sessions: Record<string, unknown>[] }>().sessions;
    assert.equal(sessions.length, 2);
    for (const s of sessions) assert.deepEqual(Object.keys(s).sort(), ['createdAt', 'current', 'expiresAt', 'id', 'ipAddress', 'lastUsedAt', 'userAgent']);
    const current = sessions.filter((s) => s['current'] === true);
    assert.equal(current.length, 1);
    assert.equal(current[0]?.['userAgent'], 'phone-app/2.0');
    assert.equal(current[0]?.['ipAddress'], '127.0.0.1');
    const other = sessions.find((s) => s['current'] === false);
    assert.equal(other?.['userAgent'], 'laptop-browser/1.0');

    // Someone else's session id and an unknown one look the same: not found.
    const stranger = await client.register('stranger');
    const strangerTokens = await client.signIn(stranger);
    assertProblem(await client.send('DELETE', `/v1/auth/sessions/${String(other?.['id'])}`, { token: strangerTokens.accessToken }), 404, 'auth.session_not_found');
    assertProblem(await client.send('DELETE', `/v1/auth/sessions/${randomUUID()}`, { token: second.accessToken }), 404, 'auth.session_not_found');
    assertProblem(await client.send('DELETE', '/v1/auth/sessions/not-a-uuid', { token: second.accessToken }), 400, 'request.validation_failed');
    assert.equal((await client.me(first.accessToken)).status, 200, 'the stranger could not end it');

    const revoked = await client.send('DELETE', `/v1/auth/sessions/${String(other?.['id'])}`, { token: second.accessToken });
    assert.equal(revoked.status, 204);
    assertBearerRefused(await client.me(first.accessToken), 'auth.token_revoked');
    assertProblem(await client.refresh(first.refreshToken), 401, 'auth.refresh_invalid');
    assert.equal((await client.me(second.accessToken)).status, 200);
    const after = (await client.send('GET', '/v1/auth/sessions', { token: second.accessToken })).json<{ sessions: { id: string }[] }>().sessions;
    assert.deepEqual(after.map((s) => s.id), [current[0]?.['id']]);
    assertProblem(await client.send('DELETE', `/v1/auth/sessions/${String(other?.['id'])}`, { token: second.accessToken }), 404, 'auth.session_not_found');
  });

  it('logout ends this session only: its access and refresh tokens are refused, others keep working', async () => {
    const account = await client.register('logout');
    const kept = await client.signIn(account);
    const ended = await client.signIn(account);
    const res = await client.send('POST', '/v1/auth/logout', { token: ended.accessToken });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assertBearerRefused(await client.me(ended.accessToken), 'auth.token_revoked');
    assertProblem(await client.refresh(ended.refreshToken), 401, 'auth.refresh_invalid');
    assertBearerRefused(await client.send('POST', '/v1/auth/logout', { token: ended.accessToken }), 'auth.token_revoked');
    assert.equal((await client.me(kept.accessToken)).status, 200);
    assert.equal((await client.refresh(kept.refreshToken)).status, 200);
    assertBearerRefused(await client.send('POST', '/v1/auth/logout'), 'auth.unauthenticated');
  });

  it('logout-all ends every session of the user and no one else\'s', async () => {
    const account = await client.register('logoutall');
    const sessions = [await client.signIn(account), await client.signIn(account), await client.signIn(account)];
    const bystander = await client.register('bystander');
    const bystanderTokens = await client.signIn(bystander);
    const res = await client.send('POST', '/v1/auth/logout-all', { token: sessions[1]!.accessToken });
    assert.equal(res.status, 204);
    for (const s of sessions) {
      assertBearerRefused(await client.me(s.accessToken), 'auth.token_revoked');
      assertProblem(await client.refresh(s.refreshToken), 401, 'auth.refresh_invalid');
    }
    assert.equal((await client.me(bystanderTokens.accessToken)).status, 200);
    // Signing in again opens a fresh, working session.
    const fresh = await client.signIn(account);
    assert.equal((await client.me(fresh.accessToken)).status, 200);
    assert.equal((await client.send('GET', '/v1/auth/sessions', { token: fresh.accessToken })).json<{ sessions: unknown[] }>().sessions.length, 1);
  });

  it('password change needs the current password, keeps this session and ends the others', async () => {
    const account: Account = await client.register('change');
    const here = await client.signIn(account);
    const elsewhere = await client.signIn(account);
    const wrong = await client.post('/v1/auth/password/change', { currentPassword: `${account.password}!`, newPassword: newPassword() }, { token: here.accessToken });
    assertProblem(wrong, 403, 'auth.reauthentication_failed');
    assert.equal((await client.me(elsewhere.accessToken)).status, 200, 'a refused change revokes nothing');
    const weak = await client.post('/v1/auth/password/change', { currentPassword: account.password, newPassword: 'password' }, { token: here.accessToken });
    assertProblem(weak, 400, 'auth.password_rejected');
    assertBearerRefused(await client.post('/v1/auth/password/change', { currentPassword: account.password, newPassword: newPassword() }), 'auth.unauthenticated');

    const next = newPassword();
    const changed = await client.post('/v1/auth/password/change', { currentPassword: account.password, newPassword: next }, { token: here.accessToken });
    assert.equal(changed.status, 204, changed.text);
    assertBearerRefused(await client.me(elsewhere.accessToken), 'auth.token_revoked');
    assertProblem(await client.refresh(elsewhere.refreshToken), 401, 'auth.refresh_invalid');
    assert.equal((await client.me(here.accessToken)).status, 200, 'the session that changed it stays');
    assert.equal((await client.refresh(here.refreshToken)).status, 200);
    assertProblem(await client.login(account.email, account.password), 401, 'auth.invalid_credentials');
    account.password = next;
    await client.signIn(account);
  });
});
