import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../db/open-database.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { AuthClient, ROOMY_LIMITS, totpCode } from './identity.test-helpers.js';

// V9: the TOTP secret's encryption key rotates without losing anyone's second factor.
describe('V9 encryption key rotation for TOTP secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-rotation-'));
  const file = join(dir, 'db.sqlite');
  const oldKey = randomBytes(32).toString('base64');
  const newKey = randomBytes(32).toString('base64');
  const base = { ...ROOMY_LIMITS, DATABASE_URL: `sqlite:${file}`, JWT_SECRET: randomBytes(32).toString('base64'), APP_SECRET: randomBytes(32).toString('base64') };
  let server: TestServer | undefined;
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function storedSecret(email: string): Promise<string> {
    const database = await openDatabase({ kind: 'sqlite', file });
    try {
      const row = await database.db.selectFrom('users').select('mfa_secret').where('email', '=', email).executeTakeFirstOrThrow();
      return row.mfa_secret as string;
    } finally {
      await database.close();
    }
  }

  it('opens secrets sealed under a previous key, re-seals them under the current one on use, and then needs no old key', async () => {
    server = await startTestServer({ ...base, ENCRYPTION_KEY: oldKey });
    let client = new AuthClient(server.url);
    const account = await client.register('rotation');
    const { accessToken } = await client.signIn(account);
    const setup = await client.post('/v1/auth/mfa/totp/setup', undefined, { token: accessToken });
    const secret = setup.json()['secret'] as string;
    const past = Date.now() - 30_000;
    assert.equal((await client.post('/v1/auth/mfa/totp/enable', { code: totpCode(secret, past) }, { token: accessToken })).status, 200);
    const sealedUnderOld = await storedSecret(account.email);
    await server.close();

    // Without the old key, the sealed secret cannot be read: the second factor fails closed.
    server = await startTestServer({ ...base, ENCRYPTION_KEY: newKey });
    client = new AuthClient(server.url);
    const unreadable = await client.login(account.email, account.password, { totp: totpCode(secret), refreshTokenIn: 'body' });
    assert.equal(unreadable.status, 500);
    assert.equal(unreadable.json()['code'], 'storage.secret_unreadable');
    await server.close();

    server = await startTestServer({ ...base, ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_PREVIOUS: oldKey });
    client = new AuthClient(server.url);
    assert.equal((await client.login(account.email, account.password, { totp: totpCode(secret), refreshTokenIn: 'body' })).status, 200);
    const resealed = await storedSecret(account.email);
    assert.notEqual(resealed, sealedUnderOld);
    assert.notEqual(resealed.split('.')[1], sealedUnderOld.split('.')[1], 'sealed under another key id');
    await server.close();

    server = await startTestServer({ ...base, ENCRYPTION_KEY: newKey });
    client = new AuthClient(server.url);
    const later = Date.now() + 30_000;
    assert.equal((await client.login(account.email, account.password, { totp: totpCode(secret, later), refreshTokenIn: 'body' })).status, 200);
  });
});
