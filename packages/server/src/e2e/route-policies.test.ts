import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { isPortcullisError } from 'portcullis/errors';
import { assertProblem, registerWithRole, ROOMY_LIMITS, type AuthClient } from './identity.test-helpers.js';
import { startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// Z1 and L3 on the real app: every route has a policy (or the server does not start), and
// GET /v1/admin/routes lists them for admins only.

interface Listed {
  readonly method: string;
  readonly path: string;
  readonly policy: string;
  readonly rateLimits: readonly string[];
  readonly validates: { body: boolean; query: boolean; params: boolean; headers: boolean };
  readonly gaps: readonly string[];
}

describe('a route without a policy', () => {
  it('stops the server from starting, naming the route', async () => {
    await assert.rejects(
      startTestServer(ROOMY_LIMITS, { extraV1Routes: (v1) => v1.get('/forgotten', async () => ({})) }),
      (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid' && /GET \/v1\/forgotten/.test(String(error.detail)),
    );
  });
});

describeEachDatabase('GET /v1/admin/routes', (target) => {
  let server: TestServer;
  let database: AppDatabase;
  let client: AuthClient;
  before(async () => {
    ({ server, database, client } = await startSuiteServer(target, ROOMY_LIMITS));
  });
  after(() => stopSuiteServer(server, database));

  it('is refused to anonymous callers (401) and to users (403), and lists every route for an admin', async () => {
    assertProblem(await client.send('GET', '/v1/admin/routes'), 401, 'auth.unauthenticated');
    const user = await client.register('plain');
    const userTokens = await client.signIn(user);
    assertProblem(await client.send('GET', '/v1/admin/routes', { token: userTokens.accessToken }), 403, 'auth.forbidden');

    const { tokens: adminTokens } = await registerWithRole(client, database, 'admin', 'admin');
    const res = await client.send('GET', '/v1/admin/routes', { token: adminTokens.accessToken });
    assert.equal(res.status, 200, res.text);
    const routes = res.json()['routes'] as Listed[];
    const find = (method: string, path: string) => routes.find((route) => route.method === method && route.path === path);
    for (const [method, path] of [
      ['GET', '/health'],
      ['POST', '/v1/auth/login'],
      ['GET', '/v1/users/me'],
      ['POST', '/v1/api-keys'],
      ['GET', '/v1/admin/routes'],
    ]) {
      assert.ok(find(method!, path!) !== undefined, `${method} ${path} is listed`);
    }
    assert.ok(routes.every((route) => route.policy !== 'none'), 'every route has a policy');
    assert.equal(find('GET', '/health')?.policy, 'public');
    assert.equal(find('GET', '/v1/admin/routes')?.policy, 'permission admin:read');
    assert.equal(find('PATCH', '/v1/users/me')?.policy, 'permission profile:write; owner: the caller itself');
    assert.deepEqual(find('POST', '/v1/auth/login')?.rateLimits, ['api', 'login', 'login-account']);
    assert.deepEqual(find('GET', '/health')?.rateLimits, []);
    assert.deepEqual(routes.filter((route) => route.gaps.length > 0), [], 'no route without a policy or an input schema');
    assert.equal(res.json()['gaps'], 0);
    assert.deepEqual(find('POST', '/v1/api-keys/:id/rotate')?.validates, { body: true, query: false, params: true, headers: false });
    assert.deepEqual(find('POST', '/v1/auth/login')?.validates, { body: true, query: false, params: false, headers: true });
  });
});
