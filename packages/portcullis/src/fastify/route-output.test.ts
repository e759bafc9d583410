import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { z } from 'zod';
import { definePermissions, policy } from '../authz/index.js';
import { PortcullisError, isPortcullisError } from '../errors/index.js';
import { buildOpenApiDocument } from '../openapi/index.js';
import { portcullisPlugin, portcullisServerOptions, type PortcullisFastifyOptions, type RouteOutput } from './index.js';

const OPEN = policy.public();
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$bm90LWEtcmVhbC1oYXNo';
const user = { id: 'u_1', email: 'ada@example.com', passwordHash: HASH, mfaSecret: 'JBSWY3DPEHPK3PXP' };
const publicUser = z.object({ id: z.string(), email: z.string() });

async function buildApp(logLines?: string[]) {
  const logger = logLines === undefined ? false : { level: 'error' as const, stream: new Writable({ write: (chunk: Buffer, _encoding, next) => (logLines.push(chunk.toString()), next()) }) };
  const options: PortcullisFastifyOptions = { transport: { requireHttps: false }, logger, authorization: { permissions: definePermissions({}) } };
  const app = Fastify(portcullisServerOptions(options));
  await app.register(portcullisPlugin, options);
  return app;
}

const declaring = (output: RouteOutput) => ({ config: { portcullis: { policy: OPEN, output } } });

describe('declared route output (V6, L1)', () => {
  it('sends only the fields the schema declares: a hash or secret the handler leaves in is dropped', async () => {
    const app = await buildApp();
    app.get('/me', declaring({ body: publicUser }), async () => user);
    app.get('/users', declaring({ body: z.object({ users: z.array(publicUser), next: z.string().nullable() }) }), async () => ({ users: [user, { ...user, id: 'u_2' }], next: null, debug: 'x' }));
    const me = await app.inject({ url: '/me' });
    assert.equal(me.statusCode, 200);
    assert.deepEqual(me.json(), { id: 'u_1', email: 'ada@example.com' });
    for (const secret of [HASH, 'JBSWY3DPEHPK3PXP', 'passwordHash', 'mfaSecret']) assert.ok(!me.body.includes(secret), secret);
    const list = await app.inject({ url: '/users' });
    assert.deepEqual(list.json(), { users: [{ id: 'u_1', email: 'ada@example.com' }, { id: 'u_2', email: 'ada@example.com' }], next: null });
    await app.close();
  });

  it('a body that breaks its schema is the generic 500: nothing of it is sent, the log names fields, not values', async () => {
    const logLines: string[] = [];
    const app = await buildApp(logLines);
    app.get('/missing', declaring({ body: publicUser }), async () => ({ id: 'u_1', passwordHash: HASH }));
    app.get('/strict', declaring({ body: z.strictObject({ id: z.string() }) }), async () => ({ id: 'u_1', passwordHash: HASH }));
    for (const url of ['/missing', '/strict']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 500, url);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      assert.equal(res.json()['code'], 'internal.unexpected');
      assert.match(String(res.json()['errorId']), /\S/);
      assert.ok(!res.body.includes(HASH) && !res.body.includes('u_1') && !res.body.includes('passwordHash'), url);
    }
    const logged = logLines.join('');
    assert.match(logged, /does not match its declared output \(email: invalid_type\)/);
    assert.match(logged, /\(\(body\): unrecognized_keys\)/);
    assert.ok(!logged.includes(HASH), 'the log carries no value of the body');
    await app.close();
  });

  it('checks its declared status only; error answers pass as problem+json', async () => {
    const app = await buildApp();
    app.post('/things', declaring({ status: 201, body: z.object({ id: z.string() }) }), async (_request, reply) => reply.code(201).send({ id: 't_1', secret: 's' }));
    app.get('/gone', declaring({ body: publicUser }), async () => {
      throw new PortcullisError('route.not_found');
    });
    const created = await app.inject({ method: 'POST', url: '/things', payload: {} });
    assert.equal(created.statusCode, 201);
    assert.deepEqual(created.json(), { id: 't_1' });
    const gone = await app.inject({ url: '/gone' });
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json()['code'], 'route.not_found');
    await app.close();
  });

  it('a route declared 204 answers without a body; an object it sends with a success status is the generic 500', async () => {
    const logLines: string[] = [];
    const app = await buildApp(logLines);
    const noContent = declaring({ status: 204 });
    app.delete('/things/:id', noContent, async (_request, reply) => reply.code(204).send());
    // The forgotten reply.code(204): the handler's value would go out with a 200.
    app.delete('/forgot/:id', noContent, async () => user);
    app.delete('/missing/:id', noContent, async () => {
      throw new PortcullisError('route.not_found');
    });
    const deleted = await app.inject({ method: 'DELETE', url: '/things/1' });
    assert.equal(deleted.statusCode, 204);
    assert.equal(deleted.body, '');
    const forgot = await app.inject({ method: 'DELETE', url: '/forgot/1' });
    assert.equal(forgot.statusCode, 500);
    assert.equal(forgot.json()['code'], 'internal.unexpected');
    assert.ok(!forgot.body.includes(HASH) && !forgot.body.includes('ada@example.com'));
    assert.match(logLines.join(''), /declares no content \(204\) but sent a body with status 200/);
    assert.ok(!logLines.join('').includes(HASH), 'the log carries no value of the body');
    const missing = await app.inject({ method: 'DELETE', url: '/missing/1' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json()['code'], 'route.not_found');
    await app.close();
  });

  it('refuses a declaration it cannot honour when the route is registered', async () => {
    for (const output of [{ status: 204, body: publicUser }, { status: 404, body: publicUser }, { body: {} as never }, { status: 200 } as never] as RouteOutput[]) {
      const app = await buildApp();
      assert.throws(
        () => app.get('/x', declaring(output), async () => ({})),
        (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid' && /output/.test(String(error.detail)),
      );
      await app.close().catch(() => undefined);
    }
  });

  it('documents the declared body under its status in the OpenAPI document, a declared 204 without content, the undeclared as 2XX', () => {
    const document = buildOpenApiDocument(
      [
        { method: 'POST', path: '/things', policy: OPEN, output: { status: 201, body: z.object({ id: z.string(), tags: z.array(z.string()) }) } },
        { method: 'DELETE', path: '/things', policy: OPEN, output: { status: 204 } },
        { method: 'HEAD', path: '/things', policy: OPEN, output: { body: z.object({ id: z.string() }) } },
        { method: 'GET', path: '/other', policy: OPEN },
      ],
      { title: 't', version: '1' },
    );
    const created = (document.paths['/things']?.['post'] as { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> }).responses;
    assert.equal(created['2XX'], undefined);
    const schema = created['201']?.content?.['application/json']?.schema;
    assert.deepEqual(schema?.['required'], ['id', 'tags']);
    assert.deepEqual(Object.keys(schema?.['properties'] as object), ['id', 'tags']);
    const deleted = (document.paths['/things']?.['delete'] as { responses: Record<string, unknown> }).responses;
    assert.deepEqual(deleted['204'], { description: 'Success, no content.' });
    assert.equal(deleted['2XX'], undefined);
    // HEAD answers the GET's status and headers without the body.
    const head = (document.paths['/things']?.['head'] as { responses: Record<string, { content?: unknown }> }).responses;
    assert.ok(head['200'] !== undefined && head['200'].content === undefined);
    const other = (document.paths['/other']?.['get'] as { responses: Record<string, unknown> }).responses;
    assert.deepEqual(other['2XX'], { description: 'Success.' });
  });
});
