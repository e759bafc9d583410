import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { registerProbeRoutes } from '../test-support/probe-routes.js';
import { request } from '../test-support/http-client.js';

const HSTS = 'max-age=63072000; includeSubDomains; preload';

describe('T1 plain HTTP refused when HTTPS is required, no redirect', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ REQUIRE_HTTPS: 'true' }, { extraV1Routes: registerProbeRoutes });
  });
  after(() => server.close());

  it('answers 403 problem+json, not a redirect, even with credentials attached', async () => {
    const res = await request(server.url, { path: '/v1', headers: { authorization: 'Bearer abc.def.ghi' } });
    assert.equal(res.status, 403);
    assert.equal(res.headers['location'], undefined);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    const body = res.json();
    assert.equal(body['code'], 'transport.https_required');
    assert.equal(typeof body['errorId'], 'string');
    assert.equal(res.headers['x-frame-options'], 'DENY');
  });

  it('also for unknown paths and POSTs with bodies', async () => {
    const res = await request(server.url, { method: 'POST', path: '/v1/probe/echo', headers: { 'content-type': 'application/json' }, body: '{"password":"x"}' });
    assert.equal(res.status, 403);
  });

  it('ignores X-Forwarded-Proto from a peer that is not a trusted proxy', async () => {
    const res = await request(server.url, { path: '/v1', headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(res.status, 403);
    assert.equal(res.headers['strict-transport-security'], undefined);
  });

  it('keeps health probes reachable over plain HTTP', async () => {
    assert.equal((await request(server.url, { path: '/health' })).status, 200);
    assert.equal((await request(server.url, { path: '/ready' })).status, 200);
  });
});

describe('T1 trusted proxies', () => {
  let trusted: TestServer;
  let untrusted: TestServer;
  before(async () => {
    trusted = await startTestServer({ REQUIRE_HTTPS: 'true', TRUSTED_PROXIES: '127.0.0.1' }, { extraV1Routes: registerProbeRoutes });
    untrusted = await startTestServer({ REQUIRE_HTTPS: 'false', TRUSTED_PROXIES: '10.0.0.0/8' }, { extraV1Routes: registerProbeRoutes });
  });
  after(async () => {
    await trusted.close();
    await untrusted.close();
  });

  it('honours X-Forwarded-Proto: https from a trusted proxy, with HSTS', async () => {
    const res = await request(trusted.url, { path: '/v1/probe/client', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['strict-transport-security'], HSTS);
    assert.deepEqual(res.json(), { clientAddress: '203.0.113.7', secure: true });
  });

  it('takes the client address from the rightmost untrusted hop, not a spoofed leftmost one', async () => {
    const res = await request(trusted.url, {
      path: '/v1/probe/client',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '6.6.6.6, 198.51.100.4, 127.0.0.1' },
    });
    assert.equal(res.json()['clientAddress'], '198.51.100.4');
  });

  it('a trusted proxy reporting plain http is still refused', async () => {
    const res = await request(trusted.url, { path: '/v1', headers: { 'x-forwarded-proto': 'http' } });
    assert.equal(res.status, 403);
  });

  it('malformed forwarded values never become the client address', async () => {
    const res = await request(trusted.url, {
      path: '/v1/probe/client',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '<script>, not-an-ip' },
    });
    assert.equal(res.json()['clientAddress'], '127.0.0.1');
  });

  it('ignores X-Forwarded-For and -Proto when the peer is not in the trusted list', async () => {
    const res = await request(untrusted.url, { path: '/v1/probe/client', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' } });
    assert.deepEqual(res.json(), { clientAddress: '127.0.0.1', secure: false });
    assert.equal(res.headers['strict-transport-security'], undefined);
  });

  it('an invalid TRUSTED_PROXIES entry refuses to start', async () => {
    await assert.rejects(startTestServer({ TRUSTED_PROXIES: '10.0.0.0/99' }), { code: 'config.invalid' });
    await assert.rejects(startTestServer({ TRUSTED_PROXIES: 'proxy.internal' }), { code: 'config.invalid' });
  });
});

function makeCertificate(dir: string): { cert: string; key: string } | undefined {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-keyout', key, '-out', cert, '-days', '1', '-nodes',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
    return { cert, key };
  } catch {
    if (process.env.CI === 'true') throw new Error('openssl is needed to make a test certificate');
    console.error('\n!!!!!! openssl not found: TLS tests are SKIPPED !!!!!!\n');
    return undefined;
  }
}

function handshake(port: number, ca: Buffer, options: { minVersion?: 'TLSv1' | 'TLSv1.2'; maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; ciphers?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...options }, () => {
      const protocol = socket.getProtocol() ?? 'unknown';
      socket.end();
      resolve(protocol);
    });
    socket.on('error', reject);
  });
}

describe('T2 serving TLS directly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-tls-'));
  const files = makeCertificate(dir);
  let server: TestServer;
  before(async () => {
    if (files === undefined) return;
    server = await startTestServer({ TLS_CERT_FILE: files.cert, TLS_KEY_FILE: files.key, REQUIRE_HTTPS: 'true' });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with HSTS', { skip: files === undefined }, async () => {
    const res = await request(server.url, { path: '/v1', ca: readFileSync(files!.cert) });
    assert.equal(res.status, 200);
    assert.equal(res.headers['strict-transport-security'], HSTS);
  });

  it('negotiates TLS 1.3 and TLS 1.2 with an AEAD cipher', { skip: files === undefined }, async () => {
    const ca = readFileSync(files!.cert);
    assert.equal(await handshake(server.port, ca, {}), 'TLSv1.3');
    assert.equal(await handshake(server.port, ca, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }), 'TLSv1.2');
  });

  it('refuses TLS 1.1 and TLS 1.2 CBC ciphers', { skip: files === undefined }, async () => {
    const ca = readFileSync(files!.cert);
    await assert.rejects(handshake(server.port, ca, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }));
    await assert.rejects(handshake(server.port, ca, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' }));
  });
});
