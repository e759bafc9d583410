import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { policy } from '../authz/index.js';
import { isPortcullisError } from '../errors/index.js';
import { portcullisPlugin, portcullisServerOptions } from './index.js';

// V3/V5: multipart only on a route that opts in, in a scope that parses it. A stand-in parser
// (it just marks the body) plays @fastify/multipart here: the guard looks only at whether the
// scope has one.

const MULTIPART = 'multipart/form-data; boundary=xyz';
const PART = '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nhello\r\n--xyz--\r\n';
const open = policy.public();

async function appWith(register: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
  const options = { transport: { requireHttps: false }, logger: false as const, authorization: { permissions: { can: () => true } as never } };
  const app = Fastify(portcullisServerOptions(options));
  await app.register(portcullisPlugin, options);
  await register(app);
  await app.ready();
  return app;
}

const send = (app: FastifyInstance, url: string, contentType: string | undefined, payload: string) =>
  app.inject({ method: 'POST', url, payload, headers: contentType === undefined ? {} : { 'content-type': contentType } });

async function standardApp(): Promise<FastifyInstance> {
  return appWith(async (app) => {
    app.post('/json', { config: { portcullis: { policy: open } } }, async (request) => ({ got: request.body ?? null }));
    await app.register(async (scope) => {
      scope.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, 'multipart body'));
      scope.post('/upload', { config: { portcullis: { policy: open, multipart: { description: 'field "file": one file' } } } }, async (request) => ({ got: request.body }));
      scope.post('/neighbour', { config: { portcullis: { policy: open } } }, async (request) => ({ got: request.body ?? null }));
    });
  });
}

describe('multipart opt-in (V3, V5)', () => {
  it('an opted-in route takes multipart, and only multipart (415 otherwise)', async () => {
    const app = await standardApp();
    const ok = await send(app, '/upload', MULTIPART, PART);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { got: 'multipart body' });
    for (const [type, payload] of [['application/json', '{"a":1}'], ['text/plain', 'x'], [undefined, ''], ['multipart/mixed; boundary=xyz', PART], ['multipart/form-data-ish', PART]] as const) {
      const refused = await send(app, '/upload', type, payload);
      assert.equal(refused.statusCode, 415, `${String(type)}: ${refused.body}`);
      assert.equal(refused.json()['code'], 'request.unsupported_media_type');
    }
    await app.close();
  });

  it('every other route refuses multipart with 415, in the same scope or outside it', async () => {
    const app = await standardApp();
    for (const url of ['/neighbour', '/json']) {
      const refused = await send(app, url, MULTIPART, PART);
      assert.equal(refused.statusCode, 415, `${url}: ${refused.body}`);
      assert.equal(refused.json()['code'], 'request.unsupported_media_type');
      assert.equal((await send(app, url, 'application/json', '{"a":1}')).statusCode, 200, url);
    }
    await app.close();
  });

  it('lists the multipart body in the inventory, without a body gap', async () => {
    const app = await standardApp();
    const upload = app.portcullisRoutes().find((route) => route.path === '/upload');
    assert.equal(upload?.multipart, 'field "file": one file');
    assert.deepEqual(upload?.gaps, []);
    const neighbour = app.portcullisRoutes().find((route) => route.path === '/neighbour');
    assert.equal(neighbour?.multipart, undefined);
    assert.ok(neighbour?.gaps.includes('body not validated by a schema'));
    await app.close();
  });

  it('an opt-in without a multipart parser in the scope stops the server from starting, naming the route', async () => {
    await assert.rejects(
      appWith(async (app) => {
        app.post('/upload', { config: { portcullis: { policy: open, multipart: { description: 'a file' } } } }, async () => ({}));
      }),
      (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid' && /POST \/upload/.test(String(error.detail)),
    );
  });

  it('an opt-in without a description is refused at registration', async () => {
    await assert.rejects(
      appWith(async (app) => {
        await app.register(async (scope) => {
          scope.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, 'x'));
          scope.post('/upload', { config: { portcullis: { policy: open, multipart: { description: ' ' } } } }, async () => ({}));
        });
      }),
      (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid' && /multipart\.description/.test(String(error.detail)),
    );
  });
});
