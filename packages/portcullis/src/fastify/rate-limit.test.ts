import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createRateLimitPolicy, type LimitSpec } from '../ratelimit/index.js';
import { portcullisPlugin, portcullisServerOptions, type PortcullisFastifyOptions, type RouteRateLimit } from './index.js';

// draft-ietf-httpapi-ratelimit-headers-10: sf-list of sf-string items with integer parameters.
const POLICY_FIELD = /^"[a-z0-9][a-z0-9_.-]*";q=\d+;w=\d+(, "[a-z0-9][a-z0-9_.-]*";q=\d+;w=\d+)*$/;
const LIMIT_FIELD = /^"[a-z0-9][a-z0-9_.-]*";r=\d+;t=\d+(, "[a-z0-9][a-z0-9_.-]*";r=\d+;t=\d+)*$/;

const fixed = (limit: number, windowMs = 60_000): LimitSpec => ({ algorithm: 'fixed-window', limit, windowMs });

async function appWith(options: PortcullisFastifyOptions, routes: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const merged: PortcullisFastifyOptions = { transport: { requireHttps: false }, logger: false, loadShedding: false, ...options };
  const app = Fastify(portcullisServerOptions(merged));
  await app.register(portcullisPlugin, merged);
  routes(app);
  await app.ready();
  return app;
}

describe('rate limit checkpoint (Fastify)', () => {
  it('sends RateLimit-Policy and RateLimit on every limited response and 429 problem+json when spent', async () => {
    const general: RouteRateLimit = { policy: createRateLimitPolicy({ name: 'api', limit: fixed(3) }) };
    const app = await appWith({ rateLimit: { general } }, (a) => a.get('/x', async () => ({ ok: true })));
    const seen: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await app.inject({ url: '/x', remoteAddress: '198.51.100.7' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['ratelimit-policy'], '"api";q=3;w=60');
      assert.match(String(res.headers['ratelimit']), LIMIT_FIELD);
      seen.push(Number(/r=(\d+)/.exec(String(res.headers['ratelimit']))?.[1]));
    }
    assert.deepEqual(seen, [2, 1, 0]);
    const refused = await app.inject({ url: '/x', remoteAddress: '198.51.100.7' });
    assert.equal(refused.statusCode, 429);
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    const body = refused.json() as Record<string, unknown>;
    assert.equal(body['code'], 'ratelimit.exceeded');
    assert.match(String(body['type']), /quota-exceeded$/);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60);
    assert.match(String(refused.headers['ratelimit-policy']), POLICY_FIELD);
    assert.match(String(refused.headers['ratelimit']), /^"api";r=0;t=\d+$/);
    // Another client is unaffected.
    assert.equal((await app.inject({ url: '/x', remoteAddress: '198.51.100.8' })).statusCode, 200);
    await app.close();
  });

  it('counts 404s against the general limit, and lets routes opt out', async () => {
    const general: RouteRateLimit = { policy: createRateLimitPolicy({ name: 'api', limit: fixed(2) }) };
    const app = await appWith({ rateLimit: { general } }, (a) => {
      a.get('/health', { config: { portcullis: { rateLimit: false } } }, async () => ({ ok: true }));
    });
    assert.equal((await app.inject({ url: '/nope-1', remoteAddress: '203.0.113.1' })).statusCode, 404);
    assert.equal((await app.inject({ url: '/nope-2', remoteAddress: '203.0.113.1' })).statusCode, 404);
    assert.equal((await app.inject({ url: '/nope-3', remoteAddress: '203.0.113.1' })).statusCode, 429);
    const health = await app.inject({ url: '/health', remoteAddress: '203.0.113.1' });
    assert.equal(health.statusCode, 200);
    assert.equal(health.headers['ratelimit'], undefined);
    await app.close();
  });

  it('applies route limits after the general one, listing both policies', async () => {
    const general: RouteRateLimit = { policy: createRateLimitPolicy({ name: 'api', limit: fixed(100) }) };
    const login: RouteRateLimit = { policy: createRateLimitPolicy({ name: 'login', limit: fixed(2, 900_000) }) };
    const app = await appWith({ rateLimit: { general } }, (a) => {
      a.post('/login', { config: { portcullis: { rateLimit: { limits: [login] } } } }, async () => ({ ok: true }));
    });
    const res = await app.inject({ method: 'POST', url: '/login', remoteAddress: '192.0.2.9' });
    assert.equal(res.headers['ratelimit-policy'], '"api";q=100;w=60, "login";q=2;w=900');
    assert.equal(res.headers['ratelimit'], '"api";r=99;t=' + /t=(\d+)/.exec(String(res.headers['ratelimit']))?.[1] + ', "login";r=1;t=' + /"login";r=1;t=(\d+)/.exec(String(res.headers['ratelimit']))?.[1]);
    assert.match(String(res.headers['ratelimit']), LIMIT_FIELD);
    await app.close();
  });

  it('announces every policy of the route once, in run order, even when a limit is skipped', async () => {
    const byUser: RouteRateLimit = {
      policy: createRateLimitPolicy({ name: 'user', limit: fixed(10) }),
      phase: 'preHandler',
      key: (request) => (request.headers['x-user'] === undefined ? undefined : `user:${String(request.headers['x-user'])}`),
    };
    const byAddress: RouteRateLimit = { policy: createRateLimitPolicy({ name: 'route', limit: fixed(5) }) };
    const app = await appWith({}, (a) => {
      a.get('/x', { config: { portcullis: { rateLimit: { limits: [byUser, byAddress] } } } }, async () => ({ ok: true }));
    });
    const anonymous = await app.inject({ url: '/x', remoteAddress: '192.0.2.61' });
    assert.equal(anonymous.headers['ratelimit-policy'], '"route";q=5;w=60, "user";q=10;w=60');
    assert.match(String(anonymous.headers['ratelimit']), /^"route";r=4;t=\d+$/);
    const known = await app.inject({ url: '/x', remoteAddress: '192.0.2.61', headers: { 'x-user': 'u1' } });
    assert.equal(known.headers['ratelimit-policy'], '"route";q=5;w=60, "user";q=10;w=60');
    assert.match(String(known.headers['ratelimit']), /^"route";r=3;t=\d+, "user";r=9;t=\d+$/);
    await app.close();
  });

  it('skip-successful counts only failed attempts', async () => {
    const login: RouteRateLimit = { policy: createRateLimitPolicy({ name: 'login', limit: fixed(2) }), skipSuccessful: true };
    const app = await appWith({}, (a) => {
      a.post('/login', { config: { portcullis: { rateLimit: { limits: [login] }, input: { query: z.strictObject({ ok: z.enum(['0', '1']) }) } } } }, async (request, reply) => {
        const ok = (request.query as Record<string, string>)['ok'] === '1';
        return ok ? { ok } : reply.code(401).send({ ok });
      });
    });
    const post = (ok: boolean) => app.inject({ method: 'POST', url: `/login?ok=${ok ? 1 : 0}`, remoteAddress: '192.0.2.10' });
    for (let i = 0; i < 5; i += 1) assert.equal((await post(true)).statusCode, 200);
    assert.equal((await post(false)).statusCode, 401);
    assert.equal((await post(false)).statusCode, 401);
    assert.equal((await post(false)).statusCode, 429);
    assert.equal((await post(true)).statusCode, 429);
    await app.close();
  });

  it('groups IPv6 clients by /64 and maps IPv4-mapped IPv6 to IPv4', async () => {
    const general: RouteRateLimit = { policy: createRateLimitPolicy({ name: 'api', limit: fixed(2) }) };
    const app = await appWith({ rateLimit: { general } }, (a) => a.get('/x', async () => ({ ok: true })));
    const from = (remoteAddress: string) => app.inject({ url: '/x', remoteAddress }).then((res) => res.statusCode);
    assert.equal(await from('2001:db8:1:2::1'), 200);
    assert.equal(await from('2001:db8:1:2:ffff:ffff:ffff:fffe'), 200);
    assert.equal(await from('2001:db8:1:2:abcd::9'), 429);
    assert.equal(await from('2001:db8:1:3::1'), 200);
    assert.equal(await from('1.2.3.4'), 200);
    assert.equal(await from('::ffff:1.2.3.4'), 200);
    assert.equal(await from('::ffff:102:304'), 429);
    await app.close();
  });

  it('does not let an untrusted peer change its key with X-Forwarded-For', async () => {
    const general: RouteRateLimit = { policy: createRateLimitPolicy({ name: 'api', limit: fixed(2) }) };
    const app = await appWith({ rateLimit: { general }, transport: { requireHttps: false, trustedProxies: ['10.0.0.1'] } }, (a) =>
      a.get('/x', async () => ({ ok: true })),
    );
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await app.inject({ url: '/x', remoteAddress: '198.51.100.20', headers: { 'x-forwarded-for': `203.0.113.${i}` } });
      statuses.push(res.statusCode);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    // Through the trusted proxy, the forwarded client is the key.
    const viaProxy = (client: string) => app.inject({ url: '/x', remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': client } }).then((res) => res.statusCode);
    assert.equal(await viaProxy('203.0.113.50'), 200);
    assert.equal(await viaProxy('203.0.113.51'), 200);
    assert.equal(await viaProxy('203.0.113.50'), 200);
    assert.equal(await viaProxy('203.0.113.50'), 429);
    await app.close();
  });

  it('slow-down waits for a slot instead of refusing, within maxDelayMs', async () => {
    const policy = createRateLimitPolicy({ name: 'slow', limit: { algorithm: 'gcra', limit: 10, windowMs: 1000, burst: 1 }, slowDown: { maxDelayMs: 500 } });
    const app = await appWith({ rateLimit: { general: { policy } } }, (a) => a.get('/x', async () => ({ ok: true })));
    const started = Date.now();
    const statuses = await Promise.all([0, 1, 2].map(() => app.inject({ url: '/x', remoteAddress: '192.0.2.44' }).then((res) => res.statusCode)));
    assert.deepEqual(statuses, [200, 200, 200]);
    assert.ok(Date.now() - started >= 190, 'the third request waited for two emission intervals');
    await app.close();
  });

  it('logs each refusal as the ratelimit.exceeded security event without the key', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
    const general: RouteRateLimit = { policy: createRateLimitPolicy({ name: 'api', limit: fixed(1) }) };
    const app = await appWith({ rateLimit: { general }, logger: { level: 'info', stream } }, (a) => a.get('/x', async () => ({ ok: true })));
    await app.inject({ url: '/x', remoteAddress: '192.0.2.77' });
    await app.inject({ url: '/x', remoteAddress: '192.0.2.77' });
    const events = lines.filter((line) => line['event'] === 'ratelimit.exceeded');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.['policy'], 'api');
    assert.ok(!JSON.stringify(events).includes('ip4:'));
    await app.close();
  });
});

describe('load shedding', () => {
  it('answers 503 with Retry-After while the event loop lags, serves exempt paths, and recovers', async () => {
    const app = await appWith({ loadShedding: { maxEventLoopDelayMs: 100, checkIntervalMs: 200, exemptPaths: ['/health'] } }, (a) => {
      a.get('/x', async () => ({ ok: true }));
      a.get('/health', async () => ({ ok: true }));
    });
    assert.equal((await app.inject('/x')).statusCode, 200);
    const until = Date.now() + 400;
    while (Date.now() < until) {
      // Block the event loop, as a CPU-bound handler would.
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    const shed = await app.inject('/x');
    assert.equal(shed.statusCode, 503);
    assert.equal(shed.headers['retry-after'], '1');
    assert.equal((shed.json() as Record<string, unknown>)['code'], 'service.overloaded');
    assert.equal((await app.inject('/health')).statusCode, 200);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal((await app.inject('/x')).statusCode, 200);
    await app.close();
  });
});
