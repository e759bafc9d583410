import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../db/open-database.js';
import type { Database } from '../db/schema.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { assertProblem, AuthClient, newPassword, ROOMY_LIMITS, setCookies, totpCode, waitForResetToken, type Exchange } from './identity.test-helpers.js';

// No password, hash, token or secret in any response body or header, in any log line (at the
// most verbose level), or at rest in the database: every identity flow runs once, recording
// what it sends and receives, and everything is then scanned for every secret it handled. A
// response may carry only what it issues itself (the login's tokens, the setup's TOTP secret,
// the enable's backup codes), and nothing else.

const TABLES: readonly (keyof Database)[] = ['users', 'sessions', 'refresh_tokens', 'password_resets', 'mfa_backup_codes', 'login_lockouts', 'revoked_tokens'];

describe('identity leaks', () => {
  const jwtSecret = randomBytes(48).toString('base64url');
  const appSecret = randomBytes(48).toString('base64url');
  const encryptionKey = randomBytes(32).toString('base64');
  const pepper = randomBytes(24).toString('base64url');
  let dir: string;
  let databaseFile: string;
  let server: TestServer;
  let client: AuthClient;

  /** Every secret the flows handled, by kind. */
  const secrets = new Map<string, string>();
  const remember = (kind: string, value: unknown) => {
    assert.equal(typeof value, 'string', kind);
    assert.ok((value as string).length >= 8, `${kind} is long enough to scan for`);
    secrets.set(value as string, kind);
  };
  /** What each response may carry because it issued it. */
  const ownIssue = new Map<Exchange, string[]>();
  const issued = (values: unknown[]) => {
    const exchange = client.exchanges.at(-1) as Exchange;
    ownIssue.set(exchange, [...(ownIssue.get(exchange) ?? []), ...values.map(String)]);
  };
  /** Records the tokens of a 200 from login or refresh (body or cookies) as secrets this response may hold. */
  const rememberSignedIn = (res: Awaited<ReturnType<AuthClient['login']>>) => {
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    const cookies = setCookies(res);
    const values = [body['accessToken'], body['refreshToken'] ?? cookies.get('pc_refresh')?.value, body['csrfToken']].filter((v) => v !== undefined);
    remember('access token', body['accessToken']);
    remember('refresh token', body['refreshToken'] ?? cookies.get('pc_refresh')?.value);
    if (body['csrfToken'] !== undefined) remember('csrf token', body['csrfToken']);
    issued(values);
    return body;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-leaks-'));
    databaseFile = join(dir, 'leaks.sqlite');
    server = await startTestServer({
      ...ROOMY_LIMITS,
      LOG_LEVEL: 'trace',
      DATABASE_URL: `sqlite:${databaseFile}`,
      MAIL_OUTBOX_DIR: join(dir, 'outbox'),
      JWT_SECRET: jwtSecret,
      APP_SECRET: appSecret,
      ENCRYPTION_KEY: encryptionKey,
      PASSWORD_PEPPER: pepper,
    });
    client = new AuthClient(server.url);
    for (const [kind, value] of [['JWT_SECRET', jwtSecret], ['APP_SECRET', appSecret], ['ENCRYPTION_KEY', encryptionKey], ['PASSWORD_PEPPER', pepper]] as const) remember(kind, value);
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every identity flow', async () => {
    const weak = `Weak${randomBytes(3).toString('hex')}`;
    remember('refused password', weak);
    assertProblem(await client.post('/v1/auth/register', { email: 'leaky@example.com', password: weak, name: 'Leaky' }), 400, 'auth.password_rejected');
    const account = await client.register('leaks');
    remember('password', account.password);
    const other = await client.register('leaks-other');
    remember('password', other.password);

    const wrong = newPassword();
    remember('wrong password', wrong);
    assertProblem(await client.login(account.email, wrong), 401, 'auth.invalid_credentials');
    assertProblem(await client.login('unknown-leaks@example.com', wrong), 401, 'auth.invalid_credentials');

    // Body and cookie sessions, rotation, reuse, the CSRF-checked cookie path.
    const bodySession = rememberSignedIn(await client.login(account.email, account.password, { refreshTokenIn: 'body' }));
    const rotated = rememberSignedIn(await client.refresh(bodySession['refreshToken'] as string));
    assertProblem(await client.refresh(bodySession['refreshToken'] as string), 401, 'auth.refresh_invalid');
    assertProblem(await client.refresh(rotated['refreshToken'] as string), 401, 'auth.refresh_invalid');
    const cookieLogin = await client.login(account.email, account.password);
    const cookieSession = rememberSignedIn(cookieLogin);
    const refreshCookie = setCookies(cookieLogin).get('pc_refresh')?.value ?? '';
    const csrf = cookieSession['csrfToken'] as string;
    const cookie = `pc_refresh=${refreshCookie}; pc_csrf=${csrf}`;
    assertProblem(await client.send('POST', '/v1/auth/refresh', { headers: { cookie, origin: 'https://evil.example', 'x-csrf-token': csrf } }), 403, 'auth.csrf_refused');
    rememberSignedIn(await client.send('POST', '/v1/auth/refresh', { headers: { cookie, origin: 'http://localhost:3000', 'x-csrf-token': csrf } }));
    const access = cookieSession['accessToken'] as string;

    assert.equal((await client.me(access)).status, 200);
    assert.equal((await client.send('PATCH', '/v1/users/me', { token: access, body: { name: 'Renamed' } })).status, 200);
    assertProblem(await client.send('PATCH', '/v1/users/me', { token: access, body: { role: 'admin', passwordHash: '$argon2id$' } }), 400, 'request.validation_failed');
    rememberSignedIn(await client.login(account.email, account.password, { refreshTokenIn: 'body' }));
    const sessions = (await client.send('GET', '/v1/auth/sessions', { token: access })).json<{ sessions: { id: string; current: boolean }[] }>().sessions;
    const notCurrent = sessions.find((s) => !s.current);
    assert.ok(notCurrent);
    assert.equal((await client.send('DELETE', `/v1/auth/sessions/${notCurrent.id}`, { token: access })).status, 204);

    // Password change, then reset.
    const changed = newPassword();
    remember('password', changed);
    assertProblem(await client.post('/v1/auth/password/change', { currentPassword: wrong, newPassword: changed }, { token: access }), 403, 'auth.reauthentication_failed');
    assert.equal((await client.post('/v1/auth/password/change', { currentPassword: account.password, newPassword: changed }, { token: access })).status, 204);
    assert.equal((await client.post('/v1/auth/password/forgot', { email: account.email })).status, 202);
    assert.equal((await client.post('/v1/auth/password/forgot', { email: 'unknown-leaks@example.com' })).status, 202);
    const resetToken = await waitForResetToken(join(dir, 'outbox'), account.email);
    remember('reset token', resetToken);
    const weakReset = `Weak${randomBytes(3).toString('hex')}`;
    remember('refused password', weakReset);
    assertProblem(await client.post('/v1/auth/password/reset', { token: resetToken, password: weakReset }), 400, 'auth.password_rejected');
    const afterReset = newPassword();
    remember('password', afterReset);
    assert.equal((await client.post('/v1/auth/password/reset', { token: resetToken, password: afterReset })).status, 204);
    assertProblem(await client.post('/v1/auth/password/reset', { token: resetToken, password: afterReset }), 400, 'auth.reset_invalid');
    account.password = afterReset;

    // TOTP: setup, enable, login with a code and with a backup code, new backup codes, disable.
    const mfaSession = rememberSignedIn(await client.login(account.email, account.password, { refreshTokenIn: 'body' }));
    const token = mfaSession['accessToken'] as string;
    const setup = await client.post('/v1/auth/mfa/totp/setup', undefined, { token });
    const { secret, otpauthUri } = setup.json<{ secret: string; otpauthUri: string }>();
    remember('TOTP secret', secret);
    issued([secret, otpauthUri]);
    const step = Math.floor(Date.now() / 30_000);
    const enabled = await client.post('/v1/auth/mfa/totp/enable', { code: totpCode(secret, step * 30_000) }, { token });
    const backupCodes = enabled.json<{ backupCodes: string[] }>().backupCodes;
    issued(backupCodes);
    for (const code of backupCodes) remember('backup code', code);
    assertProblem(await client.login(account.email, account.password), 401, 'auth.mfa_required');
    rememberSignedIn(await client.login(account.email, account.password, { totp: totpCode(secret, (step + 1) * 30_000), refreshTokenIn: 'body' }));
    rememberSignedIn(await client.login(account.email, account.password, { totp: backupCodes[0], refreshTokenIn: 'body' }));
    assertProblem(await client.login(account.email, account.password, { totp: backupCodes[0] }), 401, 'auth.mfa_invalid');
    const regenerated = await client.post('/v1/auth/mfa/backup-codes', { code: backupCodes[1] }, { token });
    const newCodes = regenerated.json<{ backupCodes: string[] }>().backupCodes;
    issued(newCodes);
    for (const code of newCodes) remember('backup code', code);
    assertProblem(await client.post('/v1/auth/mfa/totp/disable', { password: wrong, code: newCodes[0] }, { token }), 403, 'auth.reauthentication_failed');
    assert.equal((await client.post('/v1/auth/mfa/totp/disable', { password: account.password, code: newCodes[0] }, { token })).status, 204);

    // A refused token, logout and logout-all.
    assert.equal((await client.me(`${token.slice(0, -2)}AA`)).status, 401);
    const last = rememberSignedIn(await client.login(account.email, account.password, { refreshTokenIn: 'body' }));
    assert.equal((await client.send('POST', '/v1/auth/logout', { token: last['accessToken'] as string })).status, 204);
    assert.equal((await client.send('POST', '/v1/auth/logout-all', { token })).status, 204);
    assert.equal((await client.me(token)).status, 401);
  });

  it('no response body or header carries a secret it did not itself issue', () => {
    assert.ok(client.exchanges.length >= 40, `${client.exchanges.length} exchanges recorded`);
    for (const exchange of client.exchanges) {
      let text = `${exchange.text}\n${JSON.stringify(exchange.headers)}`;
      for (const own of ownIssue.get(exchange) ?? []) text = text.split(own).join('<own>');
      const where = `${exchange.method} ${exchange.path} (${exchange.status})`;
      assert.ok(!text.includes('$argon2'), `a password hash in ${where}`);
      for (const [value, kind] of secrets) assert.ok(!text.includes(value), `${kind} in ${where}: ${text.slice(0, 300)}`);
      for (const [value, kind] of secrets) {
        if (kind === 'backup code') assert.ok(!text.includes(value.replace('-', '')), `${kind} (undashed) in ${where}`);
      }
    }
  });

  it('no log line carries a secret, at the most verbose level', () => {
    const log = server.logText();
    const events = new Set(server.logLines().map((line) => line['event']));
    for (const event of ['auth.registered', 'auth.login_failed', 'auth.token_reuse', 'auth.password_changed', 'auth.password_reset', 'auth.mfa_enabled', 'auth.backup_code_used', 'auth.mfa_disabled', 'auth.logout_all']) {
      assert.ok(events.has(event), `the flows logged ${event}`);
    }
    assert.ok(!log.includes('$argon2'), 'a password hash in the log');
    for (const [value, kind] of secrets) assert.ok(!log.includes(value), `${kind} in the log`);
    for (const [value, kind] of secrets) if (kind === 'backup code') assert.ok(!log.includes(value.replace('-', '')), `${kind} (undashed) in the log`);
  });

  it('at rest, the database holds no token, code, TOTP secret or password in the clear', async () => {
    const app = await openDatabase({ kind: 'sqlite', file: databaseFile });
    try {
      let dump = '';
      for (const table of TABLES) dump += JSON.stringify(await app.db.selectFrom(table).selectAll().execute());
      assert.ok(dump.includes('$argon2id$'), 'the dump is real: it holds the password hashes');
      for (const [value, kind] of secrets) assert.ok(!dump.includes(value), `${kind} stored in the clear`);
      for (const [value, kind] of secrets) if (kind === 'backup code') assert.ok(!dump.includes(value.replace('-', '')), `${kind} (undashed) stored in the clear`);
    } finally {
      await app.close();
    }
  });
});
