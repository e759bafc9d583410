import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { registerProbeRoutes } from '../test-support/probe-routes.js';
import { request, postJson, type TestResponse } from '../test-support/http-client.js';

const EXPECTED = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

function assertSecurityHeaders(res: TestResponse, label: string): void {
  for (const [name, value] of Object.entries(EXPECTED)) {
    assert.equal(res.headers[name], value, `${label}: ${name}`);
  }
  assert.match(String(res.headers['permissions-policy']), /camera=\(\)/, `${label}: permissions-policy`);
  assert.equal(res.headers['x-powered-by'], undefined, `${label}: no x-powered-by`);
  assert.equal(res.headers['server'], undefined, `${label}: no server header`);
  assert.match(String(res.headers['x-request-id']), /^[A-Za-z0-9_-]{16}$/, `${label}: request id`);
}

describe('T3 security headers on every response', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, { extraV1Routes: registerProbeRoutes });
  });
  after(() => server.close());

  it('are on 200, 400, 404, 405, 413, 415 and 500 responses alike', async () => {
    const cases: [string, Promise<TestResponse>, number][] = [
      ['200', request(server.url, { path: '/health' }), 200],
      ['400', postJson(server.url, '/v1/probe/echo', '{"a":'), 400],
      ['404', request(server.url, { path: '/no/such/path' }), 404],
      ['405', request(server.url, { method: 'DELETE', path: '/health' }), 405],
      ['413', postJson(server.url, '/v1/probe/small', JSON.stringify({ a: 'x'.repeat(200) })), 413],
      ['415', request(server.url, { method: 'POST', path: '/v1/probe/echo', headers: { 'content-type': 'text/plain' }, body: 'hi' }), 415],
      ['500', request(server.url, { path: '/v1/probe/boom' }), 500],
    ];
    for (const [label, pending, status] of cases) {
      const res = await pending;
      assert.equal(res.status, status, label);
      assertSecurityHeaders(res, label);
    }
  });

  it('send no HSTS over plain HTTP', async () => {
    const res = await request(server.url, { path: '/health' });
    assert.equal(res.headers['strict-transport-security'], undefined);
  });
});
