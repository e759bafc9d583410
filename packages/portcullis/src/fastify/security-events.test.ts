import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { z } from 'zod';
import type { SecurityEvent } from '../audit/index.js';
import { definePermissions, policy } from '../authz/index.js';
import { PortcullisError } from '../errors/index.js';
import { portcullisPlugin, portcullisServerOptions, type PortcullisFastifyOptions } from './index.js';

const permissions = definePermissions({ user: ['posts:read'] });

async function buildApp(extra: Partial<PortcullisFastifyOptions> = {}) {
  const lines: Record<string, unknown>[] = [];
  const stored: SecurityEvent[] = [];
  const options: PortcullisFastifyOptions = {
    transport: { requireHttps: false },
    logger: { level: 'info', stream: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } },
    authorization: { permissions },
    securityEvents: { trail: { append: async (events) => void stored.push(...events) }, queue: { flushIntervalMs: 5 }, validationBurst: { threshold: 3, windowMs: 60_000 } },
    ...extra,
  };
  const app = Fastify(portcullisServerOptions(options));
  await app.register(portcullisPlugin, options);
  app.decorateRequest('principal', undefined);
  app.decorateRequest('apiKey', undefined);
  return { app, lines, stored };
}

describe('security events in Fastify (E3)', () => {
  it('request.securityEvent fills request id, address, method, route pattern and principal, and reaches log, trail and listeners', async () => {
    const { app, lines, stored } = await buildApp();
    const heard: SecurityEvent[] = [];
    app.onSecurityEvent((event) => heard.push(event));
    app.post(
      '/things/:id',
      {
        onRequest: (request, _reply, done) => {
          request.principal = { userId: 'u1', role: 'user', sessionId: undefined, tokenId: 't', expiresAt: 0 };
          done();
        },
        config: { portcullis: { policy: policy.authenticated(), input: { params: z.strictObject({ id: z.string() }), query: z.strictObject({ x: z.string().optional() }), body: z.strictObject({}) } } },
      },
      async (request) => {
        await request.securityEvent('post.created', { postId: 'p1', password: 'hunter2' });
        return { ok: true };
      },
    );
    const res = await app.inject({ method: 'POST', url: '/things/42?x=1', payload: {}, remoteAddress: '192.0.2.10' });
    assert.equal(res.statusCode, 200);
    app.securityEvent('config.warning', { warning: 'something' });
    await app.flushSecurityEvents();
    const created = stored.find((event) => event.event === 'post.created');
    assert.deepEqual(
      { ...created, at: undefined },
      {
        event: 'post.created',
        at: undefined,
        requestId: res.headers['x-request-id'],
        principal: 'user:u1',
        clientAddress: '192.0.2.10',
        method: 'POST',
        route: '/things/:id',
        outcome: 'success',
        fields: { postId: 'p1', password: '[REDACTED]' },
      },
    );
    assert.ok(stored.some((event) => event.event === 'config.warning' && event.requestId === null && event.fields['warning'] === 'something'));
    assert.deepEqual(heard.map((event) => event.event), ['post.created', 'config.warning']);
    const line = lines.find((entry) => entry['event'] === 'post.created');
    assert.equal(line?.['postId'], 'p1');
    assert.equal(line?.['route'], '/things/:id');
    assert.ok(!JSON.stringify(lines).includes('hunter2'));
    assert.equal(app.auditQueueDepth(), 0);
    await app.close();
  });

  it('a burst of refused inputs from one address is one input.validation_burst event; refused credentials are auth.credential_rejected', async () => {
    const { app, stored, lines } = await buildApp();
    app.post('/v', { config: { portcullis: { policy: policy.public(), input: { body: z.strictObject({ n: z.number() }) } } } }, async () => ({ ok: true }));
    app.get('/me', {
      onRequest: (_request, _reply, done) => done(new PortcullisError('auth.token_invalid')),
      config: { portcullis: { policy: policy.authenticated() } },
    }, async () => ({}));
    const bad = () => app.inject({ method: 'POST', url: '/v', payload: { n: 'x' }, remoteAddress: '192.0.2.20' });
    for (let i = 0; i < 8; i += 1) assert.equal((await bad()).statusCode, 400);
    assert.equal((await app.inject({ method: 'POST', url: '/v', payload: { n: 'x' }, remoteAddress: '192.0.2.21' })).statusCode, 400);
    for (let i = 0; i < 4; i += 1) assert.equal((await app.inject({ url: '/me', remoteAddress: '192.0.2.22' })).statusCode, 401);
    await app.flushSecurityEvents();
    assert.equal(lines.filter((line) => line['event'] === 'auth.credential_rejected').length, 4, 'every refusal is logged');
    const bursts = stored.filter((event) => event.event === 'input.validation_burst');
    assert.equal(bursts.length, 1, 'one event per incident, at the threshold');
    assert.equal(bursts[0]?.clientAddress, '192.0.2.20');
    assert.equal(bursts[0]?.fields['count'], 3);
    const rejected = stored.filter((event) => event.event === 'auth.credential_rejected');
    assert.deepEqual(rejected.map((event) => [event.clientAddress, event.fields['code'], event.route]), [['192.0.2.22', 'auth.token_invalid', '/me']], 'one trail row per address and minute');
    await app.close();
  });

  it('closing the app writes what is queued; a route-policy refusal is authz.denied with the principal', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stored: SecurityEvent[] = [];
    const { app } = await buildApp({
      securityEvents: { trail: { append: async (events) => { await gate; stored.push(...events); } }, queue: { flushIntervalMs: 10_000 } },
    });
    app.get('/admin', {
      onRequest: (request, _reply, done) => {
        request.principal = { userId: 'u9', role: 'user', sessionId: undefined, tokenId: 't', expiresAt: 0 };
        done();
      },
      config: { portcullis: { policy: policy.permission('users:write') } },
    }, async () => ({}));
    assert.equal((await app.inject({ url: '/admin', remoteAddress: '192.0.2.30' })).statusCode, 403);
    assert.equal(stored.length, 0);
    assert.equal(app.auditQueueDepth(), 1);
    const closing = app.close();
    release();
    await closing;
    assert.deepEqual(stored.map((event) => [event.event, event.principal, event.fields['required']]), [['authz.denied', 'user:u9', 'users:write']]);
  });

  it('refusal gates and bursts key IPv6 clients by /64: rotating addresses inside one /64 is not a new trail row each time', async () => {
    const { app, stored, lines } = await buildApp();
    app.get('/me', {
      onRequest: (_request, _reply, done) => done(new PortcullisError('auth.token_invalid')),
      config: { portcullis: { policy: policy.authenticated() } },
    }, async () => ({}));
    app.post('/v', { config: { portcullis: { policy: policy.public(), input: { body: z.strictObject({ n: z.number() }) } } } }, async () => ({ ok: true }));
    for (let i = 1; i <= 6; i += 1) assert.equal((await app.inject({ url: '/me', remoteAddress: `2001:db8:7:7:${i.toString(16)}::1` })).statusCode, 401);
    assert.equal((await app.inject({ url: '/me', remoteAddress: '2001:db8:7:8::1' })).statusCode, 401);
    for (let i = 1; i <= 3; i += 1) {
      assert.equal((await app.inject({ method: 'POST', url: '/v', payload: { n: 'x' }, remoteAddress: `2001:db8:9:9::${i.toString(16)}` })).statusCode, 400);
    }
    await app.flushSecurityEvents();
    assert.equal(lines.filter((line) => line['event'] === 'auth.credential_rejected').length, 7, 'every refusal is still logged');
    const rejected = stored.filter((event) => event.event === 'auth.credential_rejected');
    assert.deepEqual(rejected.map((event) => event.clientAddress), ['2001:db8:7:7:1::1', '2001:db8:7:8::1'], 'one row per /64, code and minute');
    assert.equal(stored.filter((event) => event.event === 'input.validation_burst').length, 1, 'three addresses of one /64 make one burst');
    await app.close();
  });

  it('events that cannot be written at close are logged with their count, and later onClose hooks still run', async () => {
    const { app, lines } = await buildApp({
      securityEvents: { trail: { append: () => Promise.reject(new Error('database is down')) }, queue: { flushIntervalMs: 10_000, retryDelayMs: 5, maxRetryDelayMs: 10 }, closeTimeoutMs: 50 },
    });
    let laterHookRan = false;
    app.addHook('onClose', async () => {
      laterHookRan = true;
    });
    app.get('/p', { config: { portcullis: { policy: policy.public() } } }, async (request) => {
      void request.securityEvent('auth.logout');
      void request.securityEvent('auth.logout');
      return {};
    });
    assert.equal((await app.inject({ url: '/p' })).statusCode, 200);
    await app.close();
    assert.ok(laterHookRan, 'the database and Redis hooks after it still run');
    const report = lines.filter((line) => line['event'] === 'audit.write_failed' && line['stage'] === 'close');
    assert.equal(report.length, 1);
    assert.equal(report[0]?.['unwritten'], 2);
    assert.equal(report[0]?.['level'], 50, 'at error level');
  });
});
