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
        config: { portcullis: { policy: policy.authenticated(), input: { params: z.strictObject({ id: z.string() }), body: z.strictObject({}) } } },
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
});
