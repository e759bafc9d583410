import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenDenylist, type DenylistBackend, type DenylistEntry } from './token-denylist.js';

/** A backend shared by two in-process "instances", as a database table would be. */
function sharedBackend(): DenylistBackend & { rows: DenylistEntry[]; reads: number } {
  const rows: DenylistEntry[] = [];
  return {
    rows,
    reads: 0,
    async add(entry) {
      rows.push(entry);
    },
    async revokedSince(since, now) {
      this.reads += 1;
      return rows.filter((row) => row.revokedAt >= since && row.expiresAt > now);
    },
  };
}

describe('token denylist', () => {
  it('refuses a revoked id at once on the revoking instance, until it expires', async () => {
    let now = 1_000_000;
    const list = new TokenDenylist({ now: () => now });
    await list.revoke('jti:abc', now + 900_000);
    assert.equal(list.isRevoked('jti:abc'), true);
    assert.equal(list.isRevoked('jti:abd'), false);
    now += 900_000;
    assert.equal(list.isRevoked('jti:abc'), false);
    assert.equal(list.size, 0, 'expired entries are dropped');
  });

  it('carries revocations to another instance on its next sync, and to a restarted one at start', async () => {
    let now = 5_000_000;
    const backend = sharedBackend();
    const a = new TokenDenylist({ backend, now: () => now });
    const b = new TokenDenylist({ backend, now: () => now });
    await a.start();
    await b.start();
    now += 10;
    await a.revoke('sid:session-1', now + 60_000);
    assert.equal(b.isRevoked('sid:session-1'), false);
    await b.sync();
    assert.equal(b.isRevoked('sid:session-1'), true);
    const restarted = new TokenDenylist({ backend, now: () => now });
    await restarted.start();
    assert.equal(restarted.isRevoked('sid:session-1'), true);
    a.stop();
    b.stop();
    restarted.stop();
  });

  it('catches an entry written with a timestamp slightly before the last pull', async () => {
    let now = 9_000_000;
    const backend = sharedBackend();
    const list = new TokenDenylist({ backend, now: () => now, overlapMs: 5000 });
    await list.start();
    now += 1000;
    await list.sync();
    // Another instance whose clock runs 2 s behind commits after our pull.
    backend.rows.push({ id: 'jti:late', revokedAt: now - 2000, expiresAt: now + 60_000 });
    await list.sync();
    assert.equal(list.isRevoked('jti:late'), true);
    list.stop();
  });

  it('refuses ids that are not a jti or sid token', async () => {
    const list = new TokenDenylist();
    for (const id of ['abc', 'jti:', "jti:' OR 1=1--", `jti:${'a'.repeat(129)}`, 'sid:../../x']) {
      await assert.rejects(list.revoke(id, Date.now() + 1000), { code: 'config.invalid' });
    }
  });
});
