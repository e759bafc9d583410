import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config/load-config.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { request } from '../test-support/http-client.js';

const ALLOWED = 'https://app.example.com';

describe('T4 CORS allowlist', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ CORS_ORIGINS: `${ALLOWED},https://admin.example.com:8443` });
  });
  after(() => server.close());

  it('an allowed origin gets its own origin back, credentials and exposed headers', async () => {
    const res = await request(server.url, { path: '/health', headers: { origin: ALLOWED } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.match(String(res.headers['access-control-expose-headers']), /x-request-id/);
    assert.match(String(res.headers['vary']), /Origin/);
  });

  it('exposes the quota and the version lifecycle headers (Deprecation, Sunset, Link) to scripts', async () => {
    const res = await request(server.url, { path: '/health', headers: { origin: ALLOWED } });
    const exposed = String(res.headers['access-control-expose-headers']).split(',').map((name) => name.trim().toLowerCase());
    for (const name of ['x-request-id', 'ratelimit', 'ratelimit-policy', 'retry-after', 'deprecation', 'sunset', 'link']) assert.ok(exposed.includes(name), `${name} is not exposed`);
  });

  it('a disallowed origin gets no CORS headers and no error', async () => {
    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.com', 'http://app.example.com', 'https://APP.example.com']) {
      const res = await request(server.url, { path: '/health', headers: { origin } });
      assert.equal(res.status, 200, origin);
      assert.equal(res.headers['access-control-allow-origin'], undefined, origin);
      assert.equal(res.headers['access-control-allow-credentials'], undefined, origin);
      assert.match(String(res.headers['vary']), /Origin/, `${origin}: caches must key on Origin`);
    }
  });

  it('the null origin is never allowed', async () => {
    const res = await request(server.url, { path: '/health', headers: { origin: 'null' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    const preflight = await request(server.url, {
      method: 'OPTIONS',
      path: '/v1',
      headers: { origin: 'null', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    assert.equal(preflight.status, 204);
  });

  it('answers a preflight with 204, methods, headers and max-age', async () => {
    const res = await request(server.url, {
      method: 'OPTIONS',
      path: '/v1/anything',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
    assert.match(String(res.headers['access-control-allow-methods']), /POST/);
    assert.match(String(res.headers['access-control-allow-headers']), /authorization/);
    assert.equal(res.headers['access-control-max-age'], '600');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('a preflight from a disallowed origin is not granted', async () => {
    const res = await request(server.url, {
      method: 'OPTIONS',
      path: '/v1',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'DELETE' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(res.headers['access-control-allow-methods'], undefined);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('an origin with an explicit port matches exactly', async () => {
    const ok = await request(server.url, { path: '/health', headers: { origin: 'https://admin.example.com:8443' } });
    assert.equal(ok.headers['access-control-allow-origin'], 'https://admin.example.com:8443');
    const other = await request(server.url, { path: '/health', headers: { origin: 'https://admin.example.com' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
});

describe('T4 CORS misconfiguration refuses to start', () => {
  it('wildcard with credentials', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'test', CORS_ORIGINS: '*', CORS_CREDENTIALS: 'true', DATA_DIR: '/tmp/unused' }), {
      code: 'config.invalid',
    });
  });

  it('a null origin or a non-origin entry in the allowlist', async () => {
    await assert.rejects(startTestServer({ CORS_ORIGINS: 'null' }), { code: 'config.invalid', message: /null/ });
    await assert.rejects(startTestServer({ CORS_ORIGINS: 'https://app.example.com/path' }), { code: 'config.invalid' });
    await assert.rejects(startTestServer({ CORS_ORIGINS: 'app.example.com' }), { code: 'config.invalid' });
  });

  it('a credential-less wildcard is allowed and sends "*" without credentials', async () => {
    const server = await startTestServer({ CORS_ORIGINS: '*', CORS_CREDENTIALS: 'false' });
    try {
      const res = await request(server.url, { path: '/health', headers: { origin: 'https://anyone.example' } });
      assert.equal(res.headers['access-control-allow-origin'], '*');
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
    } finally {
      await server.close();
    }
  });
});
