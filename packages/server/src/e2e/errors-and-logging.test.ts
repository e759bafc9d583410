import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { LEAKY_SECRET, registerProbeRoutes } from '../test-support/probe-routes.js';
import { postJson, request } from '../test-support/http-client.js';

const PASSWORD = 'Correct-Horse-Battery-Staple-91';
const BEARER = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJlLXNlY3JldC12YWx1ZQ';
const COOKIE_VALUE = 'sess_9f8e7d6c5b4a3210fedcba9876543210';
const API_KEY = 'pk_live_4eC39HqLyjWDarjtT1zdp7dc';

describe('E1 one error model: problem+json with an errorId', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, { extraV1Routes: registerProbeRoutes });
  });
  after(() => server.close());

  it('an exception in a handler is a generic 500 with an errorId and nothing else', async () => {
    const res = await request(server.url, { path: '/v1/probe/boom' });
    assert.equal(res.status, 500);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['code', 'errorId', 'status', 'title', 'type']);
    assert.equal(body['title'], 'Internal server error');
    assert.equal(body['code'], 'internal.unexpected');
    assert.match(String(body['errorId']), /^[0-9a-f-]{36}$/);
    for (const leak of ['SELECT', 'query failed', '/srv/app', 'secret-module', LEAKY_SECRET, 'at ', 'Error:', '.ts']) {
      assert.ok(!res.text.includes(leak), `500 body leaks "${leak}"`);
    }
  });

  it('the errorId in the response is the one in the error log line, whose secrets are redacted', async () => {
    const res = await request(server.url, { path: '/v1/probe/boom' });
    const errorId = res.json()['errorId'];
    const line = server.logLines().find((l) => l['errorId'] === errorId);
    assert.ok(line, 'error logged with its errorId');
    assert.equal(line['level'], 50);
    const text = JSON.stringify(line);
    assert.ok(text.includes('query failed'), 'the log keeps the useful message');
    assert.ok(!text.includes(LEAKY_SECRET), 'the secret in the message and properties is redacted');
    assert.ok(!server.logText().includes(LEAKY_SECRET));
  });

  it('404 and 405 have the same shape on every path and reveal no framework', async () => {
    const shapes = new Set<string>();
    for (const path of ['/nope', '/v1/nope', '/v1/probe/nope/deeper', '/.env', '/v2', '/%2e%2e/etc/passwd']) {
      const res = await request(server.url, { path });
      assert.equal(res.status, 404, path);
      const body = res.json();
      assert.equal(body['code'], 'route.not_found');
      shapes.add(Object.keys(body).sort().join(','));
      assert.ok(!/fastify|Route .* not found|GET:/i.test(res.text), `${path}: no framework text`);
    }
    for (const [method, path] of [['POST', '/health'], ['PUT', '/v1'], ['DELETE', '/ready']] as const) {
      const res = await request(server.url, { method, path });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.match(String(res.headers['allow']), /GET/);
      const body = res.json();
      assert.equal(body['code'], 'route.method_not_allowed');
      shapes.add(Object.keys(body).sort().join(','));
    }
    assert.equal(shapes.size, 1, `one shape: ${[...shapes].join(' | ')}`);
  });

  it('a malformed URL is a 400 problem with the security headers, not a crash', async () => {
    const res = await request(server.url, { path: '/v1/%E0%A4%A' });
    assert.equal(res.status, 400);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.json()['code'], 'request.bad_request');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(!res.text.includes('%E0'), 'the URL is not echoed');
  });
});

describe('E2 request id and redacted logging', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ LOG_LEVEL: 'debug' }, { extraV1Routes: registerProbeRoutes });
  });
  after(() => server.close());

  it('echoes a well-formed X-Request-ID and logs under it', async () => {
    const id = 'req-2026.11.21:abc_DEF-123';
    const res = await request(server.url, { path: '/health', headers: { 'x-request-id': id } });
    assert.equal(res.headers['x-request-id'], id);
    assert.ok(server.logLines().some((l) => l['requestId'] === id));
  });

  it('replaces a malformed or oversized X-Request-ID with a generated one', async () => {
    for (const id of ['has space', 'x'.repeat(200), '<script>', 'a"b', '{"json":1}', '../../etc', '.leading-dot', 'ünïcode']) {
      const res = await request(server.url, { path: '/health', headers: { 'x-request-id': id } });
      assert.notEqual(res.headers['x-request-id'], id, id);
      assert.match(String(res.headers['x-request-id']), /^[A-Za-z0-9_-]{16}$/, id);
      assert.ok(!server.logText().includes(`"${id}"`), `${id} never logged as an id`);
    }
  });

  it('never writes secrets sent in headers, cookies, query or body to the log, errors included', async () => {
    const headers = {
      authorization: `Bearer ${BEARER}`,
      cookie: `session=${COOKIE_VALUE}`,
      'x-api-key': API_KEY,
    };
    await postJson(server.url, `/v1/probe/echo?token=${LEAKY_SECRET}`, JSON.stringify({ email: 'a@example.com', password: PASSWORD }), headers);
    await postJson(server.url, '/v1/probe/echo', `{"password":"${PASSWORD}",`, headers);
    await postJson(server.url, '/v1/probe/echo', JSON.stringify({ password: PASSWORD, $gt: 1 }), headers);
    await request(server.url, { path: `/v1/probe/boom?access_token=${LEAKY_SECRET}`, headers });
    await request(server.url, { path: `/v1/probe/log`, headers });
    await request(server.url, { path: `/nope?password=${PASSWORD}`, headers });
    const log = server.logText();
    assert.ok(log.length > 0);
    for (const secret of [PASSWORD, BEARER, COOKIE_VALUE, API_KEY, LEAKY_SECRET]) {
      assert.ok(!log.includes(secret), `log contains ${secret.slice(0, 8)}…`);
    }
    assert.ok(log.includes('[REDACTED]'), 'redaction happened where secrets were');
  });
});
