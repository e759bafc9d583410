import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeEachDatabase } from '../test-support/databases.js';
import { redisUrlForTests } from '../test-support/redis.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { assertBearerRefused, AuthClient, ROOMY_LIMITS } from './identity.test-helpers.js';

// A5 across instances: two servers on one database (sharing revocations through it, or through
// Redis when REDIS_URL is set). What one instance revokes, it refuses at once; the other refuses it
// within DENYLIST_SYNC_MS; an instance started later refuses it from its first request.

const SYNC_MS = 50;

function sharedEnv(extra: Record<string, string>): Record<string, string> {
  return {
    ...ROOMY_LIMITS,
    DENYLIST_SYNC_MS: String(SYNC_MS),
    // Every instance must hold the same keys, as a real deployment's instances do.
    JWT_SECRET: randomBytes(48).toString('base64url'),
    APP_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...extra,
  };
}

/** Polls until `token` is refused as revoked by `client`'s server; fails after two seconds. */
async function refusedSoon(client: AuthClient, token: string): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const res = await client.me(token);
    if (res.status === 401) {
      assertBearerRefused(res, 'auth.token_revoked');
      return;
    }
    assert.equal(res.status, 200, res.text);
    if (Date.now() > deadline) assert.fail(`still accepted ${Date.now() - deadline + 2000} ms after the revocation`);
    await sleep(SYNC_MS / 2);
  }
}

function revocationSuite(env: () => Record<string, string>): void {
  let first: TestServer;
  let second: TestServer;
  let a: AuthClient;
  let b: AuthClient;
  before(async () => {
    first = await startTestServer(env());
    second = await startTestServer(env());
    a = new AuthClient(first.url);
    b = new AuthClient(second.url);
  });
  after(async () => {
    await first?.close();
    await second?.close();
  });

  it('a logout on one instance is refused by the other', async () => {
    const account = await a.register('multi');
    const session = await a.signIn(account);
    assert.equal((await b.me(session.accessToken)).status, 200, 'the instances share keys and users');
    assert.equal((await a.send('POST', '/v1/auth/logout', { token: session.accessToken })).status, 204);
    assertBearerRefused(await a.me(session.accessToken), 'auth.token_revoked');
    await refusedSoon(b, session.accessToken);
  });

  it('a password change on one instance ends the other sessions on every instance', async () => {
    const account = await b.register('multichange');
    const kept = await b.signIn(account);
    const ended = await a.signIn(account);
    const res = await b.post('/v1/auth/password/change', { currentPassword: account.password, newPassword: `${account.password}-next` }, { token: kept.accessToken });
    assert.equal(res.status, 204, res.text);
    await refusedSoon(a, ended.accessToken);
    assert.equal((await a.me(kept.accessToken)).status, 200);
  });

  it('an instance started after the revocation refuses it from its first request', async () => {
    const account = await a.register('multilate');
    const session = await a.signIn(account);
    assert.equal((await a.send('POST', '/v1/auth/logout-all', { token: session.accessToken })).status, 204);
    const late = await startTestServer(env());
    try {
      assertBearerRefused(await new AuthClient(late.url).me(session.accessToken), 'auth.token_revoked');
    } finally {
      await late.close();
    }
  });
}

describeEachDatabase('identity revocation across instances, shared through the database', (target) => {
  const env = sharedEnv({ DATABASE_URL: target.databaseUrl });
  revocationSuite(() => env);
});

describe('identity revocation across instances, shared through Redis', async () => {
  const redisUrl = await redisUrlForTests();
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-revocation-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const env = sharedEnv({ REDIS_URL: redisUrl ?? '', RATE_LIMIT_REDIS_PREFIX: `test:${randomBytes(6).toString('hex')}:` });
  if (redisUrl === undefined) {
    it('runs against Redis', { skip: 'Redis is not reachable (see the warning above)' }, () => undefined);
    return;
  }
  revocationSuite(() => ({ ...env, DATABASE_URL: `sqlite:${join(dir, 'shared.sqlite')}` }));
});
