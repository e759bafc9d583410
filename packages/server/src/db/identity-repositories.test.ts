import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { describeEachDatabase } from '../test-support/databases.js';
import { migrateToLatest } from './migrate.js';
import { openDatabase, type AppDatabase } from './open-database.js';
import { createPasswordReset, spendPasswordReset } from './password-resets-repository.js';
import { addRefreshToken, createSession, listLiveSessions, revokeSessions, spendRefreshToken } from './sessions-repository.js';
import { acceptTotpStep, createUser } from './users-repository.js';
import { replaceBackupCodes, spendBackupCode, unusedBackupCodes } from './backup-codes-repository.js';
import { sqlDenylistBackend } from './denylist-repository.js';
import { lockoutPolicy } from 'portcullis/auth';
import { clearLockout, loadLockout, recordLoginFailure, saveLockout } from './lockouts-repository.js';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
const DAY = 86_400_000;

describeEachDatabase('identity repositories', (t) => {
  let app: AppDatabase;
  let userId: string;
  before(async () => {
    app = await openDatabase(t.target, { poolSize: 20 });
    await migrateToLatest(app.db);
    userId = await createUser(app.db, { email: 'owner@example.com', passwordHash: HASH, role: 'user', name: 'Owner' });
  });
  after(() => app.close());

  async function newSession(tokenHash: string, now = new Date()): Promise<string> {
    return createSession(app.db, {
      userId,
      tokenHash,
      now,
      refreshExpiresAt: new Date(now.getTime() + DAY),
      sessionExpiresAt: new Date(now.getTime() + 30 * DAY),
      userAgent: 'test-agent',
      ipAddress: '127.0.0.1',
    });
  }

  it('spends a refresh token exactly once among 50 concurrent attempts; later attempts are reuse', async () => {
    const sessionId = await newSession('hash-concurrent');
    const results = await Promise.all(Array.from({ length: 50 }, () => spendRefreshToken(app.db, 'hash-concurrent', new Date())));
    assert.equal(results.filter((r) => r.outcome === 'spent').length, 1);
    assert.equal(results.filter((r) => r.outcome === 'reused').length, 49);
    const winner = results.find((r) => r.outcome === 'spent');
    assert.ok(winner?.outcome === 'spent' && winner.sessionId === sessionId && winner.userId === userId);
  });

  it('rotates within a session, refuses expired tokens and tokens of revoked sessions', async () => {
    const now = new Date();
    const sessionId = await newSession('hash-a', now);
    assert.equal((await spendRefreshToken(app.db, 'hash-a', now)).outcome, 'spent');
    await addRefreshToken(app.db, sessionId, 'hash-b', now, new Date(now.getTime() + 1000));
    assert.equal((await spendRefreshToken(app.db, 'hash-b', new Date(now.getTime() + 1000))).outcome, 'invalid', 'expired');
    assert.equal((await spendRefreshToken(app.db, 'unknown', now)).outcome, 'invalid');
    await addRefreshToken(app.db, sessionId, 'hash-c', now, new Date(now.getTime() + DAY));
    assert.deepEqual(await revokeSessions(app.db, userId, { only: sessionId }, 'test', now), [sessionId]);
    assert.equal((await spendRefreshToken(app.db, 'hash-c', now)).outcome, 'invalid', 'session revoked');
    assert.equal((await spendRefreshToken(app.db, 'hash-a', now)).outcome, 'invalid', 'reuse after revocation is just invalid');
  });

  it('revokes all sessions but one, and lists only live ones', async () => {
    const keep = await newSession('hash-keep');
    const other = await newSession('hash-other');
    const revoked = await revokeSessions(app.db, userId, { except: keep }, 'password_changed', new Date());
    assert.ok(revoked.includes(other) && !revoked.includes(keep));
    assert.deepEqual((await listLiveSessions(app.db, userId, new Date())).map((s) => s.id), [keep]);
  });

  it('spends a reset token once, and a newer token spends the older one', async () => {
    const now = new Date();
    await createPasswordReset(app.db, userId, 'reset-1', now, new Date(now.getTime() + 60_000));
    await createPasswordReset(app.db, userId, 'reset-2', now, new Date(now.getTime() + 60_000));
    assert.equal(await spendPasswordReset(app.db, 'reset-1', now), undefined);
    const spent = await Promise.all(Array.from({ length: 10 }, () => spendPasswordReset(app.db, 'reset-2', now)));
    assert.equal(spent.filter((id) => id === userId).length, 1);
    await createPasswordReset(app.db, userId, 'reset-3', now, new Date(now.getTime() + 60_000));
    assert.equal(await spendPasswordReset(app.db, 'reset-3', new Date(now.getTime() + 60_000)), undefined, 'expired');
  });

  it('accepts each TOTP step once, in increasing order only', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => acceptTotpStep(app.db, userId, 1000)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await acceptTotpStep(app.db, userId, 999), false);
    assert.equal(await acceptTotpStep(app.db, userId, 1001), true);
  });

  it('spends a backup code once', async () => {
    await replaceBackupCodes(app.db, userId, ['h1', 'h2']);
    const [first] = await unusedBackupCodes(app.db, userId);
    const spent = await Promise.all(Array.from({ length: 10 }, () => spendBackupCode(app.db, first!.id, new Date())));
    assert.equal(spent.filter(Boolean).length, 1);
    assert.equal((await unusedBackupCodes(app.db, userId)).length, 1);
  });

  it('keeps lockout records by account name and clears them', async () => {
    await saveLockout(app.db, 'nobody@example.com', { failures: 3, lockedUntil: undefined, lastFailureAt: 1_700_000_000_000 });
    await saveLockout(app.db, 'nobody@example.com', { failures: 5, lockedUntil: 1_700_000_030_000, lastFailureAt: 1_700_000_000_000 });
    assert.deepEqual(await loadLockout(app.db, 'nobody@example.com'), { failures: 5, lockedUntil: 1_700_000_030_000, lastFailureAt: 1_700_000_000_000 });
    await clearLockout(app.db, 'nobody@example.com');
    assert.equal(await loadLockout(app.db, 'nobody@example.com'), undefined);
  });

  it('counts every one of concurrent login failures, and forgets failures after the quiet time', async () => {
    const policy = lockoutPolicy({ threshold: 5, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: DAY });
    const now = 1_700_000_000_000;
    await Promise.all(Array.from({ length: 20 }, () => recordLoginFailure(app.db, 'burst@example.com', now, policy)));
    // 20 failures: the lock of the 20th (1 s doubled 15 times, capped), not of whichever wrote last.
    assert.deepEqual(await loadLockout(app.db, 'burst@example.com'), { failures: 20, lockedUntil: now + 60_000, lastFailureAt: now });
    const later = await recordLoginFailure(app.db, 'burst@example.com', now + DAY, policy);
    assert.deepEqual(later, { failures: 1, lockedUntil: undefined, lastFailureAt: now + DAY });
    assert.equal((await loadLockout(app.db, 'burst@example.com'))?.failures, 1);
    await clearLockout(app.db, 'burst@example.com');
  });

  it('shares denylist entries and prunes expired ones', async () => {
    const backend = sqlDenylistBackend(app.db);
    const now = Date.now();
    await backend.add({ id: 'jti:one', revokedAt: now, expiresAt: now + 60_000 });
    await backend.add({ id: 'sid:two', revokedAt: now - 5000, expiresAt: now - 1 });
    assert.deepEqual((await backend.revokedSince(now - 10_000, now)).map((e) => e.id), ['jti:one']);
    await backend.prune?.(now);
    assert.deepEqual((await backend.revokedSince(0, 0)).map((e) => e.id), ['jti:one']);
  });
});
