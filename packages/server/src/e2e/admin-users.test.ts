import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import type { TestServer } from '../test-support/test-server.js';
import { assertBearerRefused, assertProblem, registerWithRole, ROOMY_LIMITS, type Account, type AuthClient, type Tokens } from './identity.test-helpers.js';
import { successBodyChecker } from './openapi-bodies.test-helpers.js';
import { startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// Issue 6's admin functions over real HTTP on SQLite and PostgreSQL: admins only, paginated
// listing, role change and disable ending every session at once, unlock, and never zero admins.

describeEachDatabase('administration of accounts (/v1/admin/users)', (target) => {
  let server: TestServer;
  let database: AppDatabase;
  let client: AuthClient;
  let admin: Tokens;
  before(async () => {
    ({ server, database, client } = await startSuiteServer(target, { ...ROOMY_LIMITS, LOCKOUT_THRESHOLD: '3' }));
    admin = await makeAdmin('first-admin');
  });
  after(() => stopSuiteServer(server, database));

  async function makeAdmin(tag: string): Promise<Tokens> {
    return (await registerWithRole(client, database, tag, 'admin')).tokens;
  }

  const patch = (tokens: Tokens, id: string, body: Record<string, unknown>) => client.send('PATCH', `/v1/admin/users/${id}`, { token: tokens.accessToken, body });

  it('is for admins only: 401 without a token, 403 for a user', async () => {
    const user = await client.signIn(await client.register('nosy'));
    for (const [method, path] of [
      ['GET', '/v1/admin/users'],
      ['PATCH', `/v1/admin/users/${randomUUID()}`],
      ['DELETE', `/v1/admin/users/${randomUUID()}`],
      ['POST', `/v1/admin/users/${randomUUID()}/unlock`],
    ] as const) {
      const body = method === 'PATCH' ? { role: 'admin' } : undefined;
      assertProblem(await client.send(method, path, body === undefined ? {} : { body }), 401, 'auth.unauthenticated');
      assertProblem(await client.send(method, path, { token: user.accessToken, ...(body === undefined ? {} : { body }) }), 403, 'auth.forbidden');
    }
  });

  it('lists accounts a page at a time, with a cursor, at most 100 per page, and no hash', async () => {
    await client.register('page-a');
    await client.register('page-b');
    const first = await client.send('GET', '/v1/admin/users?limit=2', { token: admin.accessToken });
    assert.equal(first.status, 200, first.text);
    const page = first.json() as { users: { id: string }[]; next: string | null };
    assert.equal(page.users.length, 2);
    assert.equal(page.next, page.users[1]!.id);
    const second = (await client.send('GET', `/v1/admin/users?limit=2&after=${page.next}`, { token: admin.accessToken })).json() as { users: { id: string }[] };
    assert.ok(second.users.every((user) => user.id > page.next!));
    assert.ok(!first.text.includes('argon2') && !first.text.includes('password'));
    assertProblem(await client.send('GET', '/v1/admin/users?limit=101', { token: admin.accessToken }), 400, 'request.validation_failed');
    assertProblem(await client.send('GET', '/v1/admin/users?role=admin', { token: admin.accessToken }), 400, 'request.validation_failed');
  });

  it('the admin routes answer the success bodies /openapi.json documents for them (L1, V6)', async () => {
    const check = successBodyChecker(await client.send('GET', '/openapi.json'));
    const account = await client.register('documented-admin');
    check('get', '/v1/admin/routes', await client.send('GET', '/v1/admin/routes', { token: admin.accessToken }), 200);
    const page = await client.send('GET', '/v1/admin/users?limit=2', { token: admin.accessToken });
    check('get', '/v1/admin/users', page, 200);
    assert.equal(typeof page.json()['next'], 'string', 'a full page names the next cursor');
    const last = await client.send('GET', `/v1/admin/users?limit=100&after=${'f'.repeat(8)}-ffff-4fff-bfff-${'f'.repeat(12)}`, { token: admin.accessToken });
    check('get', '/v1/admin/users', last, 200);
    assert.equal(last.json()['next'], null, 'the last page has no cursor');
    check('patch', '/v1/admin/users/{id}', await patch(admin, account.id, { role: 'moderator' }), 200);
  });

  it('a role change ends the user sessions at once; the next sign-in carries the new role', async () => {
    const account = await client.register('promoted');
    const before = await client.signIn(account);
    const res = await patch(admin, account.id, { role: 'moderator' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json(), { id: account.id, role: 'moderator', status: 'active' });
    assertBearerRefused(await client.me(before.accessToken), 'auth.token_revoked');
    const after = await client.signIn(account);
    assert.equal(JSON.parse(Buffer.from(after.accessToken.split('.')[1]!, 'base64url').toString())['role'], 'moderator');
    assertProblem(await patch(admin, account.id, { role: 'root' }), 400, 'request.validation_failed');
    assertProblem(await patch(admin, account.id, { email: 'x@example.com' }), 400, 'request.validation_failed');
  });

  it('DELETE disables the account: its sessions end and it cannot sign in until re-enabled', async () => {
    const account: Account = await client.register('disabled');
    const session = await client.signIn(account);
    assert.equal((await client.send('DELETE', `/v1/admin/users/${account.id}`, { token: admin.accessToken })).status, 204);
    assertBearerRefused(await client.me(session.accessToken), 'auth.token_revoked');
    assertProblem(await client.login(account.email, account.password), 401, 'auth.invalid_credentials');
    assert.equal((await patch(admin, account.id, { status: 'active' })).status, 200);
    assert.equal((await client.login(account.email, account.password)).status, 200);
  });

  it('clears a login lockout', async () => {
    const account = await client.register('locked');
    for (let i = 0; i < 3; i++) await client.login(account.email, `${account.password}-wrong`);
    assertProblem(await client.login(account.email, account.password), 429, 'auth.account_locked');
    assert.equal((await client.send('POST', `/v1/admin/users/${account.id}/unlock`, { token: admin.accessToken })).status, 204);
    assert.equal((await client.login(account.email, account.password)).status, 200);
  });

  it('answers 404 for an unknown account and 400 for an id that is not one', async () => {
    assertProblem(await patch(admin, randomUUID(), { role: 'user' }), 404, 'user.not_found');
    assertProblem(await client.send('POST', `/v1/admin/users/${randomUUID()}/unlock`, { token: admin.accessToken }), 404, 'user.not_found');
    assertProblem(await patch(admin, 'not-a-uuid', { role: 'user' }), 400, 'request.validation_failed');
  });

  it('never leaves zero active admins, even when two admins demote each other at the same moment', async () => {
    // Only this suite's admins exist in this database besides the first one: make it the last.
    const soleId = JSON.parse(Buffer.from(admin.accessToken.split('.')[1]!, 'base64url').toString())['sub'] as string;
    const others = await database.db.selectFrom('users').select('id').where('role', '=', 'admin').where('id', '<>', soleId).execute();
    for (const other of others) await database.db.updateTable('users').set({ role: 'user' }).where('id', '=', other.id).execute();
    assertProblem(await patch(admin, soleId, { role: 'user' }), 409, 'user.last_admin');
    assertProblem(await client.send('DELETE', `/v1/admin/users/${soleId}`, { token: admin.accessToken }), 409, 'user.last_admin');

    const second = await makeAdmin('second-admin');
    const secondId = JSON.parse(Buffer.from(second.accessToken.split('.')[1]!, 'base64url').toString())['sub'] as string;
    const [a, b] = await Promise.all([patch(admin, secondId, { role: 'user' }), patch(second, soleId, { role: 'user' })]);
    const statuses = [a.status, b.status].sort();
    assert.ok(
      (statuses[0] === 200 && statuses[1] === 409) || (statuses[0] === 200 && statuses[1] === 401),
      `exactly one demotion wins (the loser is refused as the last admin, or its own token was already revoked): ${a.status} ${a.text} / ${b.status} ${b.text}`,
    );
    const admins = await database.db.selectFrom('users').select('id').where('role', '=', 'admin').where('status', '=', 'active').execute();
    assert.equal(admins.length, 1);
  });
});
