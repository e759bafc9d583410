import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { registerProbeRoutes } from '../test-support/probe-routes.js';
import { request, sendRaw } from '../test-support/http-client.js';

describe('R7 timeouts', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ REQUEST_TIMEOUT_MS: '1000', HANDLER_TIMEOUT_MS: '400' }, { extraV1Routes: registerProbeRoutes });
  });
  after(() => server.close());

  it('a handler that overruns its deadline gets 503 problem+json with Retry-After', async () => {
    const started = Date.now();
    const res = await request(server.url, { path: '/v1/probe/slow?ms=3000' });
    assert.equal(res.status, 503);
    assert.equal(res.json()['code'], 'service.timeout');
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(Date.now() - started < 2500, 'answered at the deadline, not when the handler finished');
  });

  it('the server-wide HANDLER_TIMEOUT_MS applies to routes without their own', async () => {
    const started = Date.now();
    const res = await request(server.url, { path: '/v1/probe/slow-default?ms=3000' });
    assert.equal(res.status, 503);
    assert.equal(res.json()['code'], 'service.timeout');
    assert.ok(Date.now() - started < 2000);
    assert.equal((await request(server.url, { path: '/v1/probe/slow-default?ms=50' })).status, 200);
  });

  it('a route with its own longer handlerTimeout is not cut at the server default', async () => {
    const res = await request(server.url, { path: '/v1/probe/slow-own-timeout?ms=900' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { waited: 900 });
  });

  it('a handler within its deadline answers normally', async () => {
    const res = await request(server.url, { path: '/v1/probe/slow?ms=10' });
    assert.equal(res.status, 200);
  });

  it('a body that never finishes arriving gets 408 problem+json and the connection closed', async () => {
    const started = Date.now();
    const raw = await sendRaw(server.port, 'POST /v1/probe/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
    assert.match(raw, /^HTTP\/1\.1 408 /);
    assert.match(raw, /"code":"request.timeout"/);
    assert.match(raw, /x-frame-options: DENY/);
    assert.ok(Date.now() - started < 5000);
  });

  it('headers that never finish arriving are cut off too (slowloris)', async () => {
    const raw = await sendRaw(server.port, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1');
    assert.match(raw, /^HTTP\/1\.1 408 /);
  });
});
