import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { postJson, request } from '../test-support/http-client.js';
import { registerProbeRoutes } from '../test-support/probe-routes.js';

// The server's own defaults (memory store, REDIS_URL unset), over real loopback HTTP.
describe('R4/R5 rate limiting in the reference server (memory store)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ RATE_LIMIT_GENERAL: '5', RATE_LIMIT_AUTH: '3' }, { extraV1Routes: registerProbeRoutes });
  });
  after(() => server.close());

  it('puts the general limit on every route with IETF fields, then refuses with 429 problem+json', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await request(server.url, { path: '/v1' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['ratelimit-policy'], '"api";q=5;w=60');
      remaining.push(String(res.headers['ratelimit']).replace(/;t=\d+$/, ''));
    }
    assert.deepEqual(remaining, ['"api";r=4', '"api";r=3', '"api";r=2', '"api";r=1', '"api";r=0']);
    const refused = await request(server.url, { path: '/v1/anything-at-all' });
    assert.equal(refused.status, 429);
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    const body = refused.json();
    assert.equal(body['code'], 'ratelimit.exceeded');
    assert.equal(body['status'], 429);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal(refused.headers['x-content-type-options'], 'nosniff', 'security headers stay on refusals');
    const events = server.logLines().filter((line) => line['event'] === 'ratelimit.exceeded');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.['policy'], 'api');
  });

  it('never limits the health probes', async () => {
    for (let i = 0; i < 20; i += 1) {
      const res = await request(server.url, { path: '/health' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['ratelimit'], undefined);
    }
  });
});

describe('R4 strict login limits: by address and by account, failed attempts only', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(
      { RATE_LIMIT_GENERAL: '1000', RATE_LIMIT_AUTH: '3', TRUSTED_PROXIES: '127.0.0.1' },
      { extraV1Routes: registerProbeRoutes },
    );
  });
  after(() => server.close());

  const login = (from: string, email: string, ok: boolean) =>
    postJson(server.url, '/v1/probe/login', JSON.stringify({ email, ok }), { 'x-forwarded-for': from });

  it('successful logins are not counted', async () => {
    for (let i = 0; i < 6; i += 1) assert.equal((await login('198.51.100.1', 'good@example.com', true)).status, 200);
    const res = await login('198.51.100.1', 'good@example.com', true);
    assert.match(String(res.headers['ratelimit']), /"login";r=2;t=\d+, "login-account";r=2;t=\d+/);
  });

  it('one account attacked from many addresses is limited by the account limit, whatever the case of the name', async () => {
    assert.equal((await login('203.0.113.1', 'victim@example.com', false)).status, 401);
    assert.equal((await login('203.0.113.2', 'VICTIM@example.com', false)).status, 401);
    assert.equal((await login('203.0.113.3', ' victim@example.com', false)).status, 401);
    const refused = await login('203.0.113.4', 'victim@example.com', false);
    assert.equal(refused.status, 429);
    assert.match(String(refused.headers['ratelimit']), /"login-account";r=0;t=\d+$/);
    // Another account from a fresh address is unaffected.
    assert.equal((await login('203.0.113.5', 'someone@example.com', false)).status, 401);
  });

  it('one address trying many accounts is limited by the address limit', async () => {
    for (let i = 0; i < 3; i += 1) assert.equal((await login('192.0.2.50', `user${i}@example.com`, false)).status, 401);
    const refused = await login('192.0.2.50', 'user9@example.com', false);
    assert.equal(refused.status, 429);
    assert.equal(refused.json()['code'], 'ratelimit.exceeded');
    // Every policy of the route is announced; the address policy refused before the body was read,
    // so the account limit was never consulted and has no RateLimit item.
    assert.equal(refused.headers['ratelimit-policy'], '"api";q=1000;w=60, "login";q=3;w=900, "login-account";q=3;w=900');
    assert.match(String(refused.headers['ratelimit']), /^"api";r=\d+;t=\d+, "login";r=0;t=\d+$/);
  });
});

describe('R1/R2 concurrency on the memory store', () => {
  let server: TestServer;
  before(async () => {
    // Sliding log: "exactly 50 in any 60 s" is its definition (GCRA would rightly add the units
    // that refill while the 1,000 requests are served).
    server = await startTestServer({ RATE_LIMIT_GENERAL: '50', RATE_LIMIT_ALGORITHM: 'sliding-log' });
  });
  after(() => server.close());

  it('1,000 concurrent requests from one client admit exactly the limit', async () => {
    const statuses = await Promise.all(Array.from({ length: 1_000 }, () => request(server.url, { path: '/v1' }).then((res) => res.status)));
    assert.equal(statuses.filter((status) => status === 200).length, 50);
    assert.equal(statuses.filter((status) => status === 429).length, 950);
  });
});

describe('R7 load shedding in the reference server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ LOAD_SHED_MAX_DELAY_MS: '200', RATE_LIMIT_GENERAL: '1000' }, { extraV1Routes: registerProbeRoutes });
  });
  after(() => server.close());

  it('answers 503 with Retry-After after the event loop stalled, keeps /health and /ready up, then recovers', async () => {
    assert.equal((await request(server.url, { path: '/v1/probe/block?ms=1500' })).status, 200);
    const shed = await request(server.url, { path: '/v1' });
    assert.equal(shed.status, 503);
    assert.equal(shed.json()['code'], 'service.overloaded');
    assert.equal(shed.headers['retry-after'], '1');
    assert.equal((await request(server.url, { path: '/health' })).status, 200);
    assert.equal((await request(server.url, { path: '/ready' })).status, 200);
    const events = server.logLines().filter((line) => line['event'] === 'load.shedding_started');
    assert.equal(events.length, 1);
    const deadline = Date.now() + 5_000;
    let status = 503;
    while (status === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await request(server.url, { path: '/v1' })).status;
    }
    assert.equal(status, 200);
  });
});
