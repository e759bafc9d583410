import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeEachDatabase, type DatabaseTestTarget } from '../test-support/databases.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import type { AppDatabase } from '../db/open-database.js';
import { loadLockout } from '../db/lockouts-repository.js';
import { runCli, type CliRun } from '../test-support/cli-process.js';
import { assertProblem, AuthClient, newEmail, newPassword, ROOMY_LIMITS, waitForResetToken, withoutErrorId, type Account } from './identity.test-helpers.js';
import { startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// A2: per-account lockout with progressive delay, keyed by normalised email (registered or not),
// that an attacker cannot turn into a permanent denial (cap, password reset, admin unlock); and
// the strict login rate limits (per address and per account, failures only) next to it.

/** `npm run cli -- users unlock --email <email>`, as its own process against the server's database. */
function runUnlockCli(email: string, env: Record<string, string>): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', ...env };
  delete childEnv.npm_lifecycle_event;
  delete childEnv.INIT_CWD;
  return runCli(['users', 'unlock', '--email', email], childEnv, 30_000);
}

async function failTimes(client: AuthClient, email: string, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) assertProblem(await client.login(email, `wrong-password-${i}-xyz`), 401, 'auth.invalid_credentials');
}

/** A lockout refusal whose Retry-After is `retryAfter` seconds, less at most `slack` already elapsed. */
function assertLocked(res: Awaited<ReturnType<AuthClient['login']>>, retryAfter: number, slack = 5): void {
  assertProblem(res, 429, 'auth.account_locked');
  const seconds = Number(res.headers['retry-after']);
  assert.ok(seconds <= retryAfter && seconds >= retryAfter - slack, `Retry-After ${String(res.headers['retry-after'])}, expected about ${retryAfter}`);
}

describeEachDatabase('identity lockout', (target: DatabaseTestTarget) => {
  describe('with a long lock (threshold 3, 10 minutes)', () => {
    let server: TestServer;
    let client: AuthClient;
    let outbox: string;
    let cliDataDir: string;
    let db: AppDatabase;
    before(async () => {
      outbox = await mkdtemp(join(tmpdir(), 'portcullis-outbox-'));
      cliDataDir = await mkdtemp(join(tmpdir(), 'portcullis-cli-'));
      ({ server, client, database: db } = await startSuiteServer(target, {
        ...ROOMY_LIMITS,
        MAIL_OUTBOX_DIR: outbox,
        LOCKOUT_THRESHOLD: '3',
        LOCKOUT_BASE_DELAY_MS: '600000',
        LOCKOUT_MAX_DELAY_MS: '900000',
      }));
    });
    after(async () => {
      await stopSuiteServer(server, db);
      await rm(outbox, { recursive: true, force: true });
      await rm(cliDataDir, { recursive: true, force: true });
    });

    it('locks an account after the threshold, even against the right password, whatever the case of the email', async () => {
      const account = await client.register('locked');
      const bystander = await client.register('bystander');
      await failTimes(client, account.email, 3);
      assertLocked(await client.login(account.email, account.password), 600);
      assertLocked(await client.login(account.email.toUpperCase(), account.password), 600);
      const locked = server.logLines().filter((line) => line['event'] === 'auth.login_locked');
      assert.equal(locked.length, 2);
      assert.equal(locked[0]?.['clientAddress'], '127.0.0.1');
      assert.equal((await client.login(bystander.email, bystander.password)).status, 200, 'other accounts are unaffected');
    });

    it('attempts during a lock are refused without counting, so they cannot lengthen it', async () => {
      const account = await client.register('nolengthen');
      await failTimes(client, account.email, 3);
      const first = await loadLockout(db.db, account.email);
      for (let i = 0; i < 4; i += 1) assertLocked(await client.login(account.email, `wrong-again-${i}-xyz`), 600);
      assert.deepEqual(await loadLockout(db.db, account.email), first);
      assert.equal(first?.failures, 3);
    });

    it('counts every one of a burst of parallel failures, so parallel guessing does not dodge the lock', async () => {
      const account = await client.register('burst');
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => client.login(account.email, `parallel-guess-${i}-xyz`)));
      const counted = results.filter((res) => res.status === 401);
      for (const res of counted) assertProblem(res, 401, 'auth.invalid_credentials');
      for (const res of results.filter((r) => r.status !== 401)) assertProblem(res, 429, 'auth.account_locked');
      assert.equal((await loadLockout(db.db, account.email))?.failures, counted.length);
      assertProblem(await client.login(account.email, account.password), 429, 'auth.account_locked');
    });

    it('locks an unknown email the same way, with the same answer as a registered one', async () => {
      const known = await client.register('knownlock');
      const unknown = newEmail('ghost');
      await failTimes(client, known.email, 3);
      await failTimes(client, unknown, 3);
      const knownRes = await client.login(known.email, known.password);
      const unknownRes = await client.login(unknown, 'any-password-at-all');
      assertLocked(knownRes, 600);
      assertLocked(unknownRes, 600);
      assert.deepEqual(withoutErrorId(unknownRes), withoutErrorId(knownRes));
    });

    it('a successful login before the threshold clears the failure count', async () => {
      const account = await client.register('resetcount');
      await failTimes(client, account.email, 2);
      assert.equal((await client.login(account.email, account.password)).status, 200);
      assert.equal(await loadLockout(db.db, account.email), undefined);
      await failTimes(client, account.email, 2);
      assert.equal((await client.login(account.email, account.password)).status, 200);
    });

    it('a password reset unlocks the account at once', async () => {
      const account: Account = await client.register('resetunlock');
      await failTimes(client, account.email, 3);
      assertLocked(await client.login(account.email, account.password), 600);
      assert.equal((await client.post('/v1/auth/password/forgot', { email: account.email })).status, 202);
      const token = await waitForResetToken(outbox, account.email);
      const password = newPassword();
      assert.equal((await client.post('/v1/auth/password/reset', { token, password })).status, 204);
      assert.equal(await loadLockout(db.db, account.email), undefined);
      assert.equal((await client.login(account.email, password)).status, 200);
    });

    // The CLI's own suite covers unlocking an unregistered email; one process start is enough here.
    it('an administrator unlocks an account with `users unlock`, against the running server\'s database', async () => {
      const account = await client.register('adminunlock');
      await failTimes(client, account.email, 3);
      assertLocked(await client.login(account.email, account.password), 600);
      const run = await runUnlockCli(account.email.toUpperCase(), { DATABASE_URL: target.databaseUrl, DATA_DIR: cliDataDir });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `cleared the login lockout of <${account.email}>\n`);
      assert.equal((await client.login(account.email, account.password)).status, 200);
    });
  });

  describe('with a short lock (threshold 2, 300 ms doubling up to 700 ms)', () => {
    let server: TestServer;
    let client: AuthClient;
    let db: AppDatabase;
    before(async () => {
      ({ server, client, database: db } = await startSuiteServer(target, { ...ROOMY_LIMITS, LOCKOUT_THRESHOLD: '2', LOCKOUT_BASE_DELAY_MS: '300', LOCKOUT_MAX_DELAY_MS: '700' }));
    });
    after(() => stopSuiteServer(server, db));

    it('grows the lock with each further failure but never past the cap, and lets the owner in once it ends', async () => {
      const account = await client.register('progressive');
      await failTimes(client, account.email, 2);
      const delays: number[] = [];
      for (let round = 0; round < 4; round += 1) {
        assertLocked(await client.login(account.email, account.password), 1, 0);
        const record = await loadLockout(db.db, account.email);
        const lockedUntil = record?.lockedUntil;
        assert.ok(record !== undefined && lockedUntil !== undefined, `locked after failure ${round + 2}`);
        delays.push(lockedUntil - record.lastFailureAt);
        await sleep(Math.max(0, lockedUntil - Date.now()) + 30);
        if (round < 3) await failTimes(client, account.email, 1);
      }
      assert.deepEqual(delays, [300, 600, 700, 700]);
      // However many failures came before, the lock has ended within the cap.
      assert.equal((await client.login(account.email, account.password)).status, 200);
    });
  });
});

describe('identity login rate limits (per address and per account, failures only)', () => {
  let server: TestServer;
  let client: AuthClient;
  before(async () => {
    server = await startTestServer({
      RATE_LIMIT_GENERAL: '100000',
      LOAD_SHED_MAX_DELAY_MS: '0',
      RATE_LIMIT_AUTH: '3',
      LOCKOUT_THRESHOLD: '1000',
      TRUSTED_PROXIES: '127.0.0.1',
    });
    client = new AuthClient(server.url);
  });
  after(() => server?.close());

  const from = (address: string) => ({ 'x-forwarded-for': address });

  it('limits one address trying many accounts; successes are not counted', async () => {
    const account = await client.register('ratelimited');
    for (let i = 0; i < 4; i += 1) assert.equal((await client.login(account.email, account.password, {}, from('198.51.100.7'))).status, 200);
    for (let i = 0; i < 3; i += 1) assertProblem(await client.login(newEmail(`spray${i}`), 'sprayed-password-123', {}, from('198.51.100.7')), 401, 'auth.invalid_credentials');
    const refused = await client.login(newEmail('spray9'), 'sprayed-password-123', {}, from('198.51.100.7'));
    assertProblem(refused, 429, 'ratelimit.exceeded');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.match(String(refused.headers['ratelimit']), /"login";r=0;/);
    assert.equal((await client.login(account.email, account.password, {}, from('198.51.100.7'))).status, 429, 'the address is refused before any check');
    assertProblem(await client.login(newEmail('other'), 'sprayed-password-123', {}, from('198.51.100.8')), 401, 'auth.invalid_credentials');
  });

  it('limits one account attacked from many addresses, whatever the case of its email', async () => {
    const account = await client.register('distributed');
    assertProblem(await client.login(account.email, 'guess-number-one', {}, from('203.0.113.1')), 401, 'auth.invalid_credentials');
    assertProblem(await client.login(account.email.toUpperCase(), 'guess-number-two', {}, from('203.0.113.2')), 401, 'auth.invalid_credentials');
    assertProblem(await client.login(account.email, 'guess-number-three', {}, from('203.0.113.3')), 401, 'auth.invalid_credentials');
    const refused = await client.login(account.email, 'guess-number-four', {}, from('203.0.113.4'));
    assertProblem(refused, 429, 'ratelimit.exceeded');
    assert.match(String(refused.headers['ratelimit']), /"login-account";r=0;/);
  });

  it('defaults to 10 failed attempts per 15 minutes', async () => {
    const defaults = await startTestServer({ RATE_LIMIT_GENERAL: '100000', LOAD_SHED_MAX_DELAY_MS: '0' });
    try {
      const res = await new AuthClient(defaults.url).login('default-limit@example.com', 'whatever-password-1');
      assertProblem(res, 401, 'auth.invalid_credentials');
      assert.equal(res.headers['ratelimit-policy'], '"api";q=100000;w=60, "login";q=10;w=900, "login-account";q=10;w=900');
    } finally {
      await defaults.close();
    }
  });
});
