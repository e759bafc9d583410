import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { isPortcullisError, type ErrorCode } from '../errors/index.js';
import { fetchValidatedJson, type FetchValidatedJsonOptions } from './fetch-validated-json.js';
import { createOutboundClient, type OutboundClient } from './outbound-client.js';
import { publicLikeServer, scriptedResolver, type PublicLikeServer } from './outbound.test-helpers.js';

// V8 over real sockets: a third party's answer is trusted only after TLS verification, status,
// content type, size, time, JSON and schema checks. HTTPS uses a certificate made with openssl
// for this run; plain HTTP (requireHttps: false) covers the answer checks.

const rate = z.object({ currency: z.string().length(3), rate: z.number().positive() });

function makeCertificate(): { cert: Buffer; key: Buffer } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-outbound-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-keyout', key, '-out', cert, '-days', '1', '-nodes',
        '-subj', '/CN=api.test', '-addext', 'subjectAltName=DNS:api.test'],
      { stdio: 'ignore' },
    );
  } catch (error) {
    if (process.env['CI'] === 'true') throw error;
    console.error('\n!!!!!! openssl not found: the HTTPS tests of fetchValidatedJson are SKIPPED !!!!!!\n');
    return undefined;
  }
  try {
    return { cert: readFileSync(cert), key: readFileSync(key) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function failsWith(promise: Promise<unknown>, code: ErrorCode, leak?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isPortcullisError(error), String(error));
    assert.equal(error.code, code, `${error.code}: ${error.message}`);
    if (leak !== undefined) assert.ok(!`${error.message} ${error.detail ?? ''} ${JSON.stringify(error)}`.includes(leak), 'the error quotes the remote answer');
    return true;
  });
}

const material = makeCertificate();

describe('fetchValidatedJson over HTTPS', { skip: material === undefined }, () => {
  const { cert, key } = material ?? { cert: Buffer.alloc(0), key: Buffer.alloc(0) };
  let server: Server;
  let port = 0;
  const dns = scriptedResolver({ 'api.test': [['127.0.0.1']], 'wrong-name.test': [['127.0.0.1']] });
  const clientWith = (ca?: Buffer): OutboundClient =>
    createOutboundClient({ allowedPorts: [port], allowAddresses: ['127.0.0.1'], resolver: dns.resolve, timeoutMs: 2_000, ...(ca === undefined ? {} : { ca }) });

  before(async () => {
    server = createServer({ cert, key }, (req, res) => {
      if (req.url === '/to-http') res.writeHead(302, { location: `http://api.test:${port}/rate` }).end();
      else res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end('{"currency":"EUR","rate":1.08,"extra":"dropped"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('accepts a verified certificate and returns only what the schema describes', async () => {
    const value = await fetchValidatedJson(clientWith(cert), `https://api.test:${port}/rate`, rate);
    assert.deepEqual(value, { currency: 'EUR', rate: 1.08 });
  });

  it('refuses an untrusted certificate, even with NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment', async () => {
    await failsWith(fetchValidatedJson(clientWith(), `https://api.test:${port}/rate`, rate), 'outbound.tls_failed');
    const before = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
    try {
      await failsWith(fetchValidatedJson(clientWith(), `https://api.test:${port}/rate`, rate), 'outbound.tls_failed');
    } finally {
      if (before === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = before;
    }
  });

  it('refuses a trusted certificate issued for another name', async () => {
    await failsWith(fetchValidatedJson(clientWith(cert), `https://wrong-name.test:${port}/rate`, rate), 'outbound.tls_failed');
    await failsWith(fetchValidatedJson(clientWith(cert), `https://127.0.0.1:${port}/rate`, rate), 'outbound.tls_failed');
  });

  it('requires https by default, on every hop', async () => {
    await failsWith(fetchValidatedJson(clientWith(cert), `http://api.test:${port}/rate`, rate), 'outbound.scheme_refused');
    await failsWith(fetchValidatedJson(clientWith(cert), `https://api.test:${port}/to-http`, rate), 'outbound.scheme_refused');
  });
});

describe('fetchValidatedJson: answer checks (plain HTTP test server)', () => {
  let remote: PublicLikeServer;
  let client: OutboundClient;
  const plain: FetchValidatedJsonOptions = { requireHttps: false };
  const json = (body: string, type = 'application/json') => `${remote.base}/json?type=${encodeURIComponent(type)}&body=${encodeURIComponent(body)}`;

  before(async () => {
    remote = await publicLikeServer({ '/not-utf8': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.from([0x22, 0xff, 0xfe, 0x22])) });
    client = createOutboundClient({ allowedPorts: [remote.port], allowAddresses: ['127.0.0.1'], timeoutMs: 2_000, maxResponseBytes: 32 * 1024 });
  });
  after(() => remote.close());

  it('returns the parsed, validated answer; +json media types count as JSON', async () => {
    assert.deepEqual(await fetchValidatedJson(client, json('{"currency":"USD","rate":2}'), rate, plain), { currency: 'USD', rate: 2 });
    assert.deepEqual(await fetchValidatedJson(client, json('{"currency":"USD","rate":2}', 'application/problem+json'), rate, plain), { currency: 'USD', rate: 2 });
  });

  it('refuses an answer that does not match the schema, without quoting it', async () => {
    await failsWith(fetchValidatedJson(client, json('{"currency":"<script>evil</script>","rate":-1}'), rate, plain), 'outbound.response_invalid', 'evil');
    await failsWith(fetchValidatedJson(client, json('{"rate":"1.0"}'), rate, plain), 'outbound.response_invalid');
    await failsWith(fetchValidatedJson(client, json('[1,2,3]'), rate, plain), 'outbound.response_invalid');
  });

  it('refuses malformed JSON, too-deep JSON and non-UTF-8 bytes', async () => {
    await failsWith(fetchValidatedJson(client, json('{"currency":"EUR",'), rate, plain), 'outbound.response_invalid', 'currency');
    await failsWith(fetchValidatedJson(client, json(`${'['.repeat(100)}${']'.repeat(100)}`), z.unknown(), plain), 'outbound.response_invalid');
    await failsWith(fetchValidatedJson(client, json('{"a":1}'), z.unknown(), { ...plain, maxDepth: 0 }), 'outbound.response_invalid');
    await failsWith(fetchValidatedJson(client, `${remote.base}/not-utf8`, z.unknown(), plain), 'outbound.response_invalid');
  });

  it('refuses an answer that is not labelled JSON, or not 2xx', async () => {
    await failsWith(fetchValidatedJson(client, json('{"currency":"EUR","rate":1}', 'text/html'), rate, plain), 'outbound.content_type_refused');
    await failsWith(fetchValidatedJson(client, json('{"currency":"EUR","rate":1}', 'application/jsonp'), rate, plain), 'outbound.content_type_refused');
    await failsWith(fetchValidatedJson(client, `${remote.base}/status/500`, rate, plain), 'outbound.status_refused');
    await failsWith(fetchValidatedJson(client, `${remote.base}/status/404`, rate, plain), 'outbound.status_refused');
  });

  it('refuses oversized and slow answers', async () => {
    await failsWith(fetchValidatedJson(client, `${remote.base}/big?bytes=${64 * 1024}`, z.unknown(), plain), 'outbound.response_too_large');
    await failsWith(fetchValidatedJson(client, `${remote.base}/big?bytes=2048`, z.unknown(), { ...plain, maxResponseBytes: 1024 }), 'outbound.response_too_large');
    const started = Date.now();
    await failsWith(fetchValidatedJson(client, `${remote.base}/slow`, z.unknown(), { ...plain, timeoutMs: 300 }), 'outbound.timeout');
    await failsWith(fetchValidatedJson(client, `${remote.base}/drip`, z.unknown(), { ...plain, timeoutMs: 300 }), 'outbound.timeout');
    assert.ok(Date.now() - started < 2_000);
  });

  it('goes through the SSRF rules like any outbound call', async () => {
    const strict = createOutboundClient({ allowedPorts: [remote.port] });
    await failsWith(fetchValidatedJson(strict, json('{}'), z.unknown(), plain), 'outbound.address_refused');
  });

  it('sends a JSON body and an Accept header', async () => {
    const echoed = await fetchValidatedJson(client, `${remote.base}/echo`, z.object({ method: z.string(), body: z.string(), headers: z.record(z.string(), z.string()) }), { ...plain, body: { q: 1 } });
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.body, '{"q":1}');
    assert.equal(echoed.headers['accept'], 'application/json');
    assert.equal(echoed.headers['content-type'], 'application/json');
  });
});
