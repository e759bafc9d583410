import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { assertBearerRefused, assertProblem, AuthClient, ROOMY_LIMITS, totpCode, type Account, type Tokens } from './identity.test-helpers.js';
import { startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// A6, V9 on each database: TOTP enrolment (codes from otpauth, as an authenticator app makes
// them), login with a code that works once, single-use backup codes, regeneration, disable, and
// the secret sealed at rest.

const STEP_MS = 30_000;
const currentStep = () => Math.floor(Date.now() / STEP_MS);
const BACKUP_CODE = /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/;

interface Enrolled {
  readonly account: Account;
  readonly tokens: Tokens;
  readonly secret: string;
  readonly backupCodes: string[];
  /** The time step of the code that enabled TOTP (now spent). */
  readonly step: number;
}

/** Registers, signs in, sets up and enables TOTP. */
async function enrol(client: AuthClient, tag: string): Promise<Enrolled> {
  const account = await client.register(tag);
  const tokens = await client.signIn(account);
  const setup = await client.post('/v1/auth/mfa/totp/setup', undefined, { token: tokens.accessToken });
  assert.equal(setup.status, 200, setup.text);
  const secret = setup.json()['secret'] as string;
  const step = currentStep();
  const enabled = await client.post('/v1/auth/mfa/totp/enable', { code: totpCode(secret, step * STEP_MS) }, { token: tokens.accessToken });
  assert.equal(enabled.status, 200, enabled.text);
  return { account, tokens, secret, backupCodes: enabled.json()['backupCodes'] as string[], step };
}

/** A six-digit code that is not valid for `secret` anywhere near now. */
function wrongCode(secret: string): string {
  const near = new Set([-2, -1, 0, 1, 2].map((offset) => totpCode(secret, Date.now() + offset * STEP_MS)));
  for (let n = 123456; ; n += 1) if (!near.has(String(n))) return String(n);
}

describeEachDatabase('identity MFA (TOTP and backup codes)', (target) => {
  let server: TestServer;
  let client: AuthClient;
  let db: AppDatabase;
  before(async () => {
    ({ server, client, database: db } = await startSuiteServer(target, { ...ROOMY_LIMITS, AUTH_ISSUER: 'https://api.example.com' }));
  });
  after(() => stopSuiteServer(server, db));

  it('sets up with an otpauth URI, enables with a valid code, and returns 10 backup codes once', async () => {
    const account = await client.register('enrol');
    const { accessToken } = await client.signIn(account);
    assertProblem(await client.post('/v1/auth/mfa/totp/enable', { code: '123456' }, { token: accessToken }), 409, 'auth.mfa_setup_missing');
    assertBearerRefused(await client.post('/v1/auth/mfa/totp/setup'), 'auth.unauthenticated');

    const setup = await client.post('/v1/auth/mfa/totp/setup', undefined, { token: accessToken });
    assert.equal(setup.status, 200);
    assert.equal(setup.headers['cache-control'], 'no-store');
    const { secret, otpauthUri } = setup.json<{ secret: string; otpauthUri: string }>();
    assert.match(secret, /^[A-Z2-7]{32}$/, '160-bit base32 secret');
    const uri = new URL(otpauthUri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), `/api.example.com:${account.email}`);
    assert.deepEqual(
      [uri.searchParams.get('secret'), uri.searchParams.get('algorithm'), uri.searchParams.get('digits'), uri.searchParams.get('period'), uri.searchParams.get('issuer')],
      [secret, 'SHA1', '6', '30', 'api.example.com'],
    );
    // Pending only: the account does not need a code until enrolment is confirmed.
    assert.equal((await client.login(account.email, account.password)).status, 200);

    const pending = await db.db.selectFrom('users').select(['mfa_secret', 'mfa_pending_secret', 'mfa_enabled']).where('id', '=', account.id).executeTakeFirstOrThrow();
    assert.equal(pending.mfa_secret, null);
    assert.ok(pending.mfa_pending_secret !== null && !pending.mfa_pending_secret.includes(secret), 'the pending secret is sealed');

    assertProblem(await client.post('/v1/auth/mfa/totp/enable', { code: wrongCode(secret) }, { token: accessToken }), 401, 'auth.mfa_invalid');
    assertProblem(await client.post('/v1/auth/mfa/totp/enable', { code: 'abcde-fghjk' }, { token: accessToken }), 401, 'auth.mfa_invalid');
    const enabled = await client.post('/v1/auth/mfa/totp/enable', { code: totpCode(secret) }, { token: accessToken });
    assert.equal(enabled.status, 200, enabled.text);
    assert.equal(enabled.headers['cache-control'], 'no-store');
    const body = enabled.json<{ enabled: boolean; backupCodes: string[] }>();
    assert.equal(body.enabled, true);
    assert.equal(body.backupCodes.length, 10);
    assert.equal(new Set(body.backupCodes).size, 10);
    for (const code of body.backupCodes) assert.match(code, BACKUP_CODE);

    assert.equal((await client.me(accessToken)).json()['mfaEnabled'], true);
    assertProblem(await client.post('/v1/auth/mfa/totp/setup', undefined, { token: accessToken }), 409, 'auth.mfa_already_enabled');
    assertProblem(await client.post('/v1/auth/mfa/totp/enable', { code: totpCode(secret) }, { token: accessToken }), 409, 'auth.mfa_already_enabled');

    // At rest: the secret sealed (AES-256-GCM), the backup codes only as keyed hashes.
    const row = await db.db.selectFrom('users').select(['mfa_secret', 'mfa_pending_secret', 'mfa_enabled']).where('id', '=', account.id).executeTakeFirstOrThrow();
    assert.equal(Number(row.mfa_enabled), 1);
    assert.equal(row.mfa_pending_secret, null);
    assert.ok(row.mfa_secret !== null && !row.mfa_secret.includes(secret));
    const hashes = await db.db.selectFrom('mfa_backup_codes').select('code_hash').where('user_id', '=', account.id).execute();
    assert.equal(hashes.length, 10);
    for (const { code_hash } of hashes) for (const code of body.backupCodes) assert.ok(!code_hash.includes(code.replace('-', '')) && !code_hash.includes(code));
  });

  it('login asks for the code, accepts a valid one once, and refuses its replay and older codes', async () => {
    const { account, secret, step } = await enrol(client, 'totplogin');
    assertProblem(await client.login(account.email, account.password), 401, 'auth.mfa_required');
    assertProblem(await client.login(account.email, `${account.password}x`, { totp: totpCode(secret, (step + 1) * STEP_MS) }), 401, 'auth.invalid_credentials');
    assertProblem(await client.login(account.email, account.password, { totp: wrongCode(secret) }), 401, 'auth.mfa_invalid');
    // The code that enabled TOTP was for `step`: that step is spent, even though it is still in the window.
    assertProblem(await client.login(account.email, account.password, { totp: totpCode(secret, step * STEP_MS) }), 401, 'auth.mfa_invalid');

    const next = totpCode(secret, (step + 1) * STEP_MS);
    const tokens = await client.signIn(account, { totp: next });
    assert.equal((await client.me(tokens.accessToken)).status, 200);
    assertProblem(await client.login(account.email, account.password, { totp: next }), 401, 'auth.mfa_invalid');
    const succeeded = server.logLines().filter((line) => line['event'] === 'auth.login_succeeded' && line['userId'] === account.id);
    assert.equal(succeeded.at(-1)?.['mfa'], true);
    assert.ok(server.logLines().some((line) => line['event'] === 'auth.mfa_failed' && line['userId'] === account.id));
  });

  it('two concurrent logins with one code: exactly one gets in', async () => {
    const { account, secret, step } = await enrol(client, 'totprace');
    const code = totpCode(secret, (step + 1) * STEP_MS);
    const results = await Promise.all(Array.from({ length: 5 }, () => client.login(account.email, account.password, { totp: code, refreshTokenIn: 'body' })));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401, 401, 401]);
  });

  it('wrong codes count towards the lockout, so the second factor cannot be guessed at leisure', async () => {
    const { account, secret } = await enrol(client, 'totpguess');
    for (let i = 0; i < 5; i += 1) assertProblem(await client.login(account.email, account.password, { totp: wrongCode(secret) }), 401, 'auth.mfa_invalid');
    assertProblem(await client.login(account.email, account.password, { totp: totpCode(secret) }), 429, 'auth.account_locked');
  });

  it('a backup code works once, typed in any case, with or without its dash', async () => {
    const { account, backupCodes } = await enrol(client, 'backup');
    const [first = '', second = ''] = backupCodes;
    const tokens = await client.signIn(account, { totp: first });
    assert.equal((await client.me(tokens.accessToken)).status, 200);
    assertProblem(await client.login(account.email, account.password, { totp: first }), 401, 'auth.mfa_invalid');
    await client.signIn(account, { totp: second.replace('-', '').toUpperCase() });
    assertProblem(await client.login(account.email, account.password, { totp: second }), 401, 'auth.mfa_invalid');
    const used = server.logLines().filter((line) => line['event'] === 'auth.backup_code_used' && line['userId'] === account.id);
    assert.deepEqual(used.map((line) => line['remaining']), [9, 8]);
  });

  it('new backup codes replace the old ones', async () => {
    const { account, tokens, secret, backupCodes } = await enrol(client, 'regen');
    assertProblem(await client.post('/v1/auth/mfa/backup-codes', { code: wrongCode(secret) }, { token: tokens.accessToken }), 401, 'auth.mfa_invalid');
    assertBearerRefused(await client.post('/v1/auth/mfa/backup-codes', { code: backupCodes[0] }), 'auth.unauthenticated');
    const res = await client.post('/v1/auth/mfa/backup-codes', { code: backupCodes[0] }, { token: tokens.accessToken });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['cache-control'], 'no-store');
    const fresh = res.json<{ backupCodes: string[] }>().backupCodes;
    assert.equal(fresh.length, 10);
    assert.ok(fresh.every((code) => BACKUP_CODE.test(code) && !backupCodes.includes(code)));
    assertProblem(await client.login(account.email, account.password, { totp: backupCodes[1] }), 401, 'auth.mfa_invalid');
    await client.signIn(account, { totp: fresh[0] });
  });

  it('disable needs the password and a code; afterwards login needs no code', async () => {
    const { account, tokens, secret, backupCodes } = await enrol(client, 'disable');
    const disable = (body: unknown) => client.post('/v1/auth/mfa/totp/disable', body, { token: tokens.accessToken });
    assertProblem(await disable({ password: `${account.password}x`, code: backupCodes[0] }), 403, 'auth.reauthentication_failed');
    assertProblem(await disable({ password: account.password, code: wrongCode(secret) }), 401, 'auth.mfa_invalid');
    assert.equal((await disable({ password: account.password, code: backupCodes[0] })).status, 204);
    assert.equal((await client.me(tokens.accessToken)).json()['mfaEnabled'], false);
    assert.equal((await client.login(account.email, account.password)).status, 200);
    assertProblem(await disable({ password: account.password, code: backupCodes[1] }), 409, 'auth.mfa_not_enabled');
    const row = await db.db.selectFrom('users').select(['mfa_secret', 'mfa_last_step']).where('id', '=', account.id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { mfa_secret: null, mfa_last_step: null });
    assert.equal((await db.db.selectFrom('mfa_backup_codes').select('id').where('user_id', '=', account.id).execute()).length, 0);
  });
});

describe('identity MFA limit (per user, on enable, disable and backup codes)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ RATE_LIMIT_GENERAL: '100000', LOAD_SHED_MAX_DELAY_MS: '0', RATE_LIMIT_AUTH: '3' });
  });
  after(() => server?.close());

  it('refuses the fourth code check in the window, even a right one', async () => {
    const client = new AuthClient(server.url);
    const account = await client.register('mfalimit');
    const { accessToken } = await client.signIn(account);
    const secret = (await client.post('/v1/auth/mfa/totp/setup', undefined, { token: accessToken })).json()['secret'] as string;
    for (let i = 0; i < 3; i += 1) assertProblem(await client.post('/v1/auth/mfa/totp/enable', { code: wrongCode(secret) }, { token: accessToken }), 401, 'auth.mfa_invalid');
    const refused = await client.post('/v1/auth/mfa/totp/enable', { code: totpCode(secret) }, { token: accessToken });
    assertProblem(refused, 429, 'ratelimit.exceeded');
    assert.match(String(refused.headers['ratelimit']), /"mfa";r=0;/);
  });
});
