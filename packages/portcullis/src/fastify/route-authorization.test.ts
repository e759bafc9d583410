import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { definePermissions, policy } from '../authz/index.js';
import { isPortcullisError } from '../errors/index.js';
import { portcullisPlugin, portcullisServerOptions, type PortcullisFastifyOptions } from './index.js';

const permissions = definePermissions({ user: ['posts:read'], admin: ['posts:read', 'users:write'] });

/** A stand-in for the authentication hooks: `x-test-role` becomes a principal, `x-test-scopes` an API key. */
function fakeAuthenticate(request: FastifyRequest, _reply: unknown, done: () => void): void {
  const role = request.headers['x-test-role'];
  const scopes = request.headers['x-test-scopes'];
  if (typeof role === 'string') request.principal = { userId: 'u1', role, sessionId: undefined, tokenId: 't1', expiresAt: 0 };
  if (typeof scopes === 'string') request.apiKey = { key: { id: 'k1', userId: 'u1' } as never, scopes: new Set(scopes.split(',')) };
  done();
}

async function buildApp(extra: Partial<PortcullisFastifyOptions> = {}) {
  const lines: Record<string, unknown>[] = [];
  const options: PortcullisFastifyOptions = {
    transport: { requireHttps: false },
    logger: { level: 'info', stream: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } },
    authorization: { permissions },
    ...extra,
  };
  const app = Fastify(portcullisServerOptions(options));
  await app.register(portcullisPlugin, options);
  app.decorateRequest('principal', undefined);
  app.decorateRequest('apiKey', undefined);
  return { app, lines };
}

describe('route policies in Fastify (Z1)', () => {
  it('refuses to register a route without a policy, naming it, and a malformed policy', async () => {
    const { app } = await buildApp();
    assert.throws(
      () => app.get('/v1/forgotten', async () => ({})),
      (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid' && /GET \/v1\/forgotten/.test(String(error.detail)),
    );
    assert.throws(() => app.get('/v1/odd', { config: { portcullis: { policy: { access: 'public' } as never } } }, async () => ({})), /not a policy/);
    await app.close();
  });

  it('enforces each kind of policy after authentication, with 401, 403 naming what is missing, and an event', async () => {
    const { app, lines } = await buildApp();
    const route = (path: string, routePolicy: ReturnType<typeof policy.public>) =>
      app.get(path, { onRequest: fakeAuthenticate, config: { portcullis: { policy: routePolicy } } }, async () => ({ ok: true }));
    route('/open', policy.public());
    route('/members', policy.authenticated());
    route('/users', policy.permission('users:write'));
    route('/admin', policy.role('admin'));
    await app.ready();
    const call = async (url: string, headers: Record<string, string> = {}) => {
      const res = await app.inject({ url, headers });
      return res.statusCode === 200 ? 200 : `${res.statusCode} ${String(res.json()['code'])}`;
    };
    assert.equal(await call('/open'), 200);
    assert.equal(await call('/members'), '401 auth.unauthenticated');
    assert.equal(await call('/members', { 'x-test-role': 'user' }), 200);
    assert.equal(await call('/users', { 'x-test-role': 'user' }), '403 auth.forbidden');
    assert.equal(await call('/users', { 'x-test-role': 'admin' }), 200);
    assert.equal(await call('/users', { 'x-test-scopes': 'users:write' }), 200);
    assert.equal(await call('/users', { 'x-test-scopes': 'posts:read' }), '403 auth.forbidden');
    assert.equal(await call('/admin', { 'x-test-scopes': 'users:write' }), '403 auth.forbidden', 'a key never holds a role');
    assert.equal(await call('/admin', { 'x-test-role': 'admin' }), 200);
    const refused = await app.inject({ url: '/users', headers: { 'x-test-role': 'user' } });
    assert.match(String(refused.json()['detail']), /users:write/);
    const denied = lines.filter((line) => line['event'] === 'authz.denied');
    assert.ok(denied.some((line) => line['route'] === '/users' && line['userId'] === 'u1' && line['required'] === 'users:write'));
    await app.close();
  });

  it('checks declared input schemas before the handler and hands it the parsed values', async () => {
    const { app } = await buildApp();
    app.post(
      '/v1/things/:id',
      {
        config: {
          portcullis: {
            policy: policy.public(),
            input: { params: z.strictObject({ id: z.string().regex(/^t_\d+$/) }), body: z.strictObject({ name: z.string().trim().min(1) }) },
          },
        },
      },
      async (request) => ({ params: request.params, body: request.body }),
    );
    const ok = await app.inject({ method: 'POST', url: '/v1/things/t_1', payload: { name: '  Widget ' } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { params: { id: 't_1' }, body: { name: 'Widget' } });
    const badBody = await app.inject({ method: 'POST', url: '/v1/things/t_1', payload: { name: 'x', role: 'admin' } });
    assert.equal(badBody.statusCode, 400);
    assert.equal(badBody.json()['code'], 'request.validation_failed');
    const badParams = await app.inject({ method: 'POST', url: '/v1/things/x1', payload: { name: 'x' } });
    assert.equal(badParams.statusCode, 400);
    assert.equal(badParams.json()['code'], 'request.validation_failed');
    assert.deepEqual((badParams.json()['errors'] as { field: string }[]).map((error) => error.field), ['id']);
    await app.close();
  });

  it('lists every route with its policy, limits, validated inputs and gaps (L3)', async () => {
    const { app } = await buildApp({ authorization: { permissions, requirePolicy: false } });
    app.get('/v1/public', { config: { portcullis: { policy: policy.public() } } }, async () => ({}));
    app.post('/v1/posts/:id', { config: { portcullis: { policy: policy.owned(policy.permission('posts:read'), 'post owner') } } }, async () => ({}));
    app.get('/v1/unguarded', async () => ({}));
    await app.ready();
    const routes = app.portcullisRoutes();
    const find = (method: string, path: string) => routes.find((route) => route.method === method && route.path === path);
    assert.deepEqual(find('GET', '/v1/public')?.gaps, []);
    assert.equal(find('POST', '/v1/posts/:id')?.policy, 'permission posts:read; owner: post owner');
    assert.deepEqual(find('POST', '/v1/posts/:id')?.gaps, ['body not validated by a schema', 'path parameters not validated by a schema']);
    assert.deepEqual(find('GET', '/v1/unguarded')?.gaps, ['no authorization policy']);
    assert.equal(find('GET', '/v1/unguarded')?.policy, 'none');
    await app.close();
  });
});
