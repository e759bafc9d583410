import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { PresetHeaderResponse } from '../headers/index.js';
import { createRateLimitPolicy } from '../ratelimit/index.js';
import { SAFE_REQUEST_ID, portcullisPlugin, portcullisServerOptions, type PortcullisFastifyOptions } from './index.js';

const ORIGIN = 'https://app.example.com';
/** Headers that differ between two responses by nature (or that inject() does not write). */
const VARYING = new Set(['date', 'x-request-id', 'connection', 'keep-alive', 'ratelimit', 'transfer-encoding']);
const LIMIT_ITEM = /^"api";r=\d+;t=\d+$/;

interface Sent {
  readonly status: number;
  /** Lower-case name -> every value sent under it, in order. */
  readonly headers: Map<string, string[]>;
}

function exchange(port: number, request: string): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => {
      const lines = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
      const headers = new Map<string, string[]>();
      for (const line of lines.slice(1)) {
        const at = line.indexOf(':');
        const name = line.slice(0, at).toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), line.slice(at + 1).trim()]);
      }
      resolve({ status: Number(lines[0]!.slice(9, 12)), headers });
    });
    socket.on('error', reject);
  });
}

const cases: { name: string; method: string; url: string; body?: string; extra?: string }[] = [
  { name: 'a 200', method: 'GET', url: '/ok' },
  { name: 'a route that sets cache-control itself', method: 'GET', url: '/cached' },
  { name: 'a 404', method: 'GET', url: '/missing' },
  { name: 'a thrown error (500)', method: 'GET', url: '/boom' },
  { name: 'a refused body (415)', method: 'POST', url: '/ok', body: 'x=1', extra: 'Content-Type: application/x-www-form-urlencoded\r\n' },
  { name: 'a preflight', method: 'OPTIONS', url: '/ok', extra: 'Access-Control-Request-Method: POST\r\n' },
  { name: 'a route with a second limit (both items in each RateLimit field)', method: 'GET', url: '/two-limits' },
  { name: 'a route that sets X-Request-ID itself', method: 'GET', url: '/own-id' },
];

/** The per-request lines Portcullis sets (request id, RateLimit fields) as the wire shows them. */
function assertOwnLines(url: string, wire: Sent, injected: Record<string, unknown>): void {
  const id = wire.headers.get('x-request-id')?.[0];
  if (url === '/own-id') assert.equal(id, 'set-by-the-route');
  else assert.match(id ?? '', SAFE_REQUEST_ID, 'every response carries its request id');
  assert.equal(wire.headers.has('ratelimit'), injected['ratelimit'] !== undefined, 'RateLimit on the wire exactly when inject() has it');
  const limit = wire.headers.get('ratelimit')?.[0];
  if (url === '/two-limits') {
    assert.equal(wire.headers.get('ratelimit-policy')?.[0], '"api";q=100000;w=60, "burst";q=50;w=1');
    assert.match(limit ?? '', /^"api";r=\d+;t=\d+, "burst";r=\d+;t=\d+$/);
  } else if (limit !== undefined) {
    assert.match(limit, LIMIT_ITEM);
  }
}

describe('fixed headers sent as one block (real HTTP) match the per-header path (inject)', () => {
  let app: FastifyInstance;
  let port = 0;
  before(async () => {
    const options: PortcullisFastifyOptions = {
      transport: { requireHttps: false },
      logger: false,
      cors: { origins: [ORIGIN], credentials: true },
      rateLimit: { general: { policy: createRateLimitPolicy({ name: 'api', limit: { algorithm: 'gcra', limit: 100_000, windowMs: 60_000 } }) } },
    };
    app = Fastify(portcullisServerOptions(options));
    await app.register(portcullisPlugin, options);
    app.get('/ok', async () => ({ ok: true }));
    app.get('/kind', async (_request, reply) => ({ block: reply.raw instanceof PresetHeaderResponse && reply.raw.presetHeaders !== undefined }));
    app.post('/ok', async () => ({ ok: true }));
    app.get('/cached', async (_request, reply) => reply.header('Cache-Control', 'public, max-age=60').send({ ok: true }));
    const burst = createRateLimitPolicy({ name: 'burst', limit: { algorithm: 'fixed-window', limit: 50, windowMs: 1_000 } });
    app.get('/two-limits', { config: { portcullis: { rateLimit: { limits: [{ policy: burst }] } } } }, async () => ({ ok: true }));
    app.get('/own-id', async (_request, reply) => reply.header('X-Request-ID', 'set-by-the-route').send({ ok: true }));
    const once = createRateLimitPolicy({ name: 'once', limit: { algorithm: 'fixed-window', limit: 1, windowMs: 60_000 } });
    app.get('/once', { config: { portcullis: { rateLimit: { general: false, limits: [{ policy: once }] } } } }, async () => ({ ok: true }));
    app.get('/boom', async () => {
      throw new Error('internal detail');
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  after(() => app.close());

  it('over real HTTP the fixed headers do take the block path', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/kind`);
    assert.deepEqual(await res.json(), { block: true });
  });

  for (const { name, method, url, body, extra } of cases) {
    it(name, async () => {
      const payload = body ?? '';
      const wire = await exchange(
        port,
        `${method} ${url} HTTP/1.1\r\nHost: x\r\nOrigin: ${ORIGIN}\r\n${extra ?? ''}Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n${payload}`,
      );
      const injected = await app.inject({
        method: method as 'GET',
        url,
        payload,
        headers: { origin: ORIGIN, ...(extra === undefined ? {} : Object.fromEntries([extra.trim().split(': ') as [string, string]])) },
      });
      assert.equal(wire.status, injected.statusCode);
      for (const [header, sent] of wire.headers) {
        assert.equal(sent.length, 1, `${header} sent ${sent.length} times: ${sent.join(' | ')}`);
      }
      const wireNames = [...wire.headers.keys()].filter((header) => !VARYING.has(header)).sort();
      const injectedNames = Object.keys(injected.headers).filter((header) => !VARYING.has(header)).sort();
      assert.deepEqual(wireNames, injectedNames);
      for (const header of wireNames) assert.equal(wire.headers.get(header)![0], String(injected.headers[header]), header);
      assertOwnLines(url, wire, injected.headers);
      assert.equal(wire.headers.get('x-content-type-options')?.[0], 'nosniff');
      if (url === '/cached') assert.equal(wire.headers.get('cache-control')?.[0], 'public, max-age=60');
    });
  }

  it('a refusal (429) carries the request id, the RateLimit fields and Retry-After, each once', async () => {
    const request = `GET /once HTTP/1.1\r\nHost: x\r\nOrigin: ${ORIGIN}\r\nConnection: close\r\n\r\n`;
    assert.equal((await exchange(port, request)).status, 200);
    const refused = await exchange(port, request);
    assert.equal(refused.status, 429);
    for (const [header, sent] of refused.headers) assert.equal(sent.length, 1, `${header} sent ${sent.length} times`);
    assert.match(refused.headers.get('x-request-id')?.[0] ?? '', SAFE_REQUEST_ID);
    assert.equal(refused.headers.get('ratelimit-policy')?.[0], '"once";q=1;w=60');
    assert.match(refused.headers.get('ratelimit')?.[0] ?? '', /^"once";r=0;t=\d+$/);
    assert.match(refused.headers.get('retry-after')?.[0] ?? '', /^\d+$/);
    assert.equal(refused.headers.get('x-content-type-options')?.[0], 'nosniff');
  });
});
