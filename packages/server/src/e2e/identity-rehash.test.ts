import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import type { TestServer } from '../test-support/test-server.js';
import { assertProblem, ROOMY_LIMITS, type AuthClient } from './identity.test-helpers.js';
import { startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// A1 over real HTTP: a user imported from a bcrypt system signs in with their old password, and the
// login re-hashes it to argon2id (with the pepper), once; the old hash is gone from the database.

const LEGACY_PASSWORD = 'Legacy-bcrypt-Passw0rd!';
/** bcrypt (cost 10) of LEGACY_PASSWORD, made once with @node-rs/bcrypt, as another system would store it. */
const LEGACY_HASH = '$2b$10$b676czSNW/Vd5wMmrodZNOLOvEREd/jfb.Y/PHyBZX.PCNUCM14ki';

describeEachDatabase('bcrypt hashes are accepted and re-hashed to argon2id at login', (target) => {
  let server: TestServer;
  let database: AppDatabase;
  let client: AuthClient;
  before(async () => {
    ({ server, database, client } = await startSuiteServer(target, { ...ROOMY_LIMITS, PASSWORD_PEPPER: randomBytes(32).toString('base64url') }));
  });
  after(() => stopSuiteServer(server, database));

  const storedHash = async (id: string): Promise<string> =>
    (await database.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow()).password_hash;

  it('signs the user in with the old password and replaces the bcrypt hash with argon2id', async () => {
    const account = await client.register('legacy');
    await database.db.updateTable('users').set({ password_hash: LEGACY_HASH }).where('id', '=', account.id).execute();

    assertProblem(await client.login(account.email, `${LEGACY_PASSWORD}x`), 401, 'auth.invalid_credentials');
    assert.equal(await storedHash(account.id), LEGACY_HASH, 'a failed login changes nothing');

    const first = await client.login(account.email, LEGACY_PASSWORD);
    assert.equal(first.status, 200, first.text);
    const upgraded = await storedHash(account.id);
    assert.match(upgraded, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    assert.equal(server.logLines().filter((line) => line['event'] === 'auth.password_rehashed' && line['userId'] === account.id).length, 1);

    const second = await client.login(account.email, LEGACY_PASSWORD);
    assert.equal(second.status, 200, second.text);
    assert.equal(await storedHash(account.id), upgraded, 'an argon2id hash at current parameters is not re-hashed again');
    assert.equal(server.logLines().filter((line) => line['event'] === 'auth.password_rehashed' && line['userId'] === account.id).length, 1);
    assert.ok(!server.logText().includes(LEGACY_HASH) && !server.logText().includes(upgraded), 'no hash in the logs');
  });
});
