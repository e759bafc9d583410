import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { z } from 'zod';
import { definePermissions, policy } from '../authz/index.js';
import { isPortcullisError } from '../errors/index.js';
import { portcullisPlugin, portcullisServerOptions, type PortcullisFastifyOptions, type RouteInput } from './index.js';

const options: PortcullisFastifyOptions = { transport: { requireHttps: false }, logger: false, authorization: { permissions: definePermissions({}) } };
const OPEN = policy.public();

async function buildApp() {
  const app = Fastify(portcullisServerOptions(options));
  await app.register(portcullisPlugin, options);
  return app;
}

const on = (input: RouteInput) => ({ config: { portcullis: { policy: OPEN, input } } });

describe('query parameter pollution in Fastify (V2)', () => {
  it('refuses repeats with 400 and a duplicate_parameter field error, before validation, on every route', async () => {
    const app = await buildApp();
    app.get('/v1/list', on({ query: z.strictObject({ limit: z.coerce.number().int().max(100).default(10), cursor: z.string().optional() }) }), async (request) => request.query);
    app.get('/v1/bare', { config: { portcullis: { policy: OPEN } } }, async () => ({ ok: true }));
    for (const url of ['/v1/list?limit=1&limit=100', '/v1/list?cursor=a&cursor=b', '/v1/list?%6Cimit=1&limit=2', '/v1/list?x=1&x=2', '/v1/list?a[]=1&a[]=2', '/v1/bare?page=1&page=2']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 400, url);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      assert.equal(res.json()['code'], 'request.validation_failed', url);
      assert.deepEqual((res.json()['errors'] as { code: string }[]).map((error) => error.code), ['duplicate_parameter'], url);
    }
    const named = await app.inject({ url: '/v1/list?limit=1&limit=100' });
    assert.deepEqual((named.json()['errors'] as { field: string }[]).map((error) => error.field), ['limit']);
    const unnamed = await app.inject({ url: '/v1/list?%3Cb%3E=1&%3Cb%3E=2' });
    assert.deepEqual((unnamed.json()['errors'] as { field: string }[]).map((error) => error.field), ['query']);
    assert.ok(!unnamed.body.includes('<b>'));
    const ok = await app.inject({ url: '/v1/list?limit=5&cursor=c' });
    assert.deepEqual(ok.json(), { limit: 5, cursor: 'c' });
    // Forbidden keys are still refused first, repeated or not.
    assert.equal((await app.inject({ url: '/v1/list?__proto__=1&__proto__=2' })).json()['code'], 'request.forbidden_key');
    assert.equal((await app.inject({ url: '/v1/list?a[]=1' })).json()['code'], 'request.validation_failed', 'a bracket name is unknown to the strict schema');
    await app.close();
  });

  it('passes every value of a parameter the schema declares as a list, as an array even when given once', async () => {
    const app = await buildApp();
    app.get('/v1/tagged', on({ query: z.strictObject({ tag: z.array(z.string().max(10)).max(3).optional(), limit: z.coerce.number().optional() }) }), async (request) => request.query);
    assert.deepEqual((await app.inject({ url: '/v1/tagged?tag=a&tag=b&limit=2' })).json(), { tag: ['a', 'b'], limit: 2 });
    assert.deepEqual((await app.inject({ url: '/v1/tagged?tag=a' })).json(), { tag: ['a'] });
    assert.deepEqual((await app.inject({ url: '/v1/tagged' })).json(), {});
    assert.equal((await app.inject({ url: '/v1/tagged?tag=a&tag=b&tag=c&tag=d' })).json()['code'], 'request.validation_failed', 'the list is still bounded by its schema');
    const repeated = await app.inject({ url: '/v1/tagged?tag=a&limit=1&limit=2' });
    assert.deepEqual((repeated.json()['errors'] as { field: string; code: string }[]).map((error) => `${error.field}:${error.code}`), ['limit:duplicate_parameter']);
    await app.close();
  });
});

describe('header schemas (V1)', () => {
  it('validates only the headers the route declares and hands the handler the parsed values', async () => {
    const app = await buildApp();
    const headers = z.object({ 'idempotency-key': z.string().regex(/^[A-Za-z0-9_-]{8,64}$/), 'user-agent': z.string().max(20).optional() });
    app.post('/v1/orders', on({ headers, body: z.strictObject({}) }), async (request) => ({ key: request.headers['idempotency-key'], host: typeof request.headers.host }));
    const ok = await app.inject({ method: 'POST', url: '/v1/orders', payload: {}, headers: { 'idempotency-key': 'abcdefgh12', 'x-other': '<script>' } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { key: 'abcdefgh12', host: 'string' });
    const missing = await app.inject({ method: 'POST', url: '/v1/orders', payload: {} });
    assert.equal(missing.statusCode, 400);
    assert.deepEqual((missing.json()['errors'] as { field: string }[]).map((error) => error.field), ['idempotency-key']);
    const hostile = "x' OR 1=1--<script>";
    const bad = await app.inject({ method: 'POST', url: '/v1/orders', payload: {}, headers: { 'idempotency-key': hostile, 'user-agent': 'a'.repeat(21) } });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual((bad.json()['errors'] as { field: string }[]).map((error) => error.field).sort(), ['idempotency-key', 'user-agent']);
    assert.ok(!bad.body.includes('OR 1=1') && !bad.body.includes('script'), 'the rejected value is not echoed');
    await app.close();
  });

  it('stops the server from starting for a header schema that is not an object of lower-case names', async () => {
    const app = await buildApp();
    assert.throws(
      () => app.get('/v1/a', on({ headers: z.object({ 'Idempotency-Key': z.string() }) }), async () => ({})),
      (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid' && /GET \/v1\/a: .*lower-case/.test(String(error.detail)),
    );
    assert.throws(() => app.get('/v1/b', on({ headers: z.string() as never }), async () => ({})), /object schema/);
    await app.close();
  });
});

describe('unknown fields (V1)', () => {
  it('refuses unknown body and query fields with a strict schema, and strips them when the route opts in', async () => {
    const app = await buildApp();
    const body = z.strictObject({ name: z.string(), nested: z.strictObject({ a: z.number() }).optional() });
    const query = z.strictObject({ page: z.coerce.number().optional() });
    app.post('/v1/strict', on({ body, query }), async (request) => ({ body: request.body, query: request.query }));
    app.post('/v1/lenient', on({ body, query, unknownFields: 'strip' }), async (request) => ({ body: request.body, query: request.query }));
    const send = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
    const refused = await send('/v1/strict?page=1&extra=1', { name: 'a', role: 'admin' });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual((refused.json()['errors'] as { code: string }[]).map((error) => error.code), ['unrecognized_keys']);
    assert.equal((await send('/v1/strict', { name: 'a', role: 'admin' })).json()['code'], 'request.validation_failed');
    const stripped = await send('/v1/lenient?page=1&extra=1', { name: 'a', role: 'admin' });
    assert.equal(stripped.statusCode, 200, stripped.body);
    assert.deepEqual(stripped.json(), { body: { name: 'a' }, query: { page: 1 } });
    // Stripping is top-level only: a nested strict object still refuses.
    assert.equal((await send('/v1/lenient', { name: 'a', nested: { a: 1, b: 2 } })).statusCode, 400);
    assert.equal((await send('/v1/lenient', ['x'])).statusCode, 400, 'a non-object body still reaches the schema');
    await app.close();
  });

  it('lists schemas that let unknown fields through, and handlers reading an unvalidated query, as gaps', async () => {
    const app = await buildApp();
    app.post('/v1/loose', on({ body: z.object({ a: z.string() }), query: z.looseObject({}) }), async () => ({}));
    app.post('/v1/opted', on({ body: z.object({ a: z.string() }), unknownFields: 'strip' }), async () => ({}));
    app.get('/v1/peeks', { config: { portcullis: { policy: OPEN } } }, async (request) => ({ q: (request.query as Record<string, string>)['q'] }));
    app.get('/v1/destructures', { config: { portcullis: { policy: OPEN } } }, async ({ query }) => ({ query }));
    app.get('/v1/checked', on({ query: z.strictObject({ q: z.string() }), headers: z.object({ 'x-trace': z.string().optional() }) }), async (request) => request.query);
    app.get('/v1/quiet', { config: { portcullis: { policy: OPEN } } }, async () => ({ db: 'query' }));
    await app.ready();
    const routes = app.portcullisRoutes();
    const find = (method: string, path: string) => routes.find((route) => route.method === method && route.path === path);
    assert.deepEqual(find('POST', '/v1/loose')?.gaps, [
      "body schema accepts unknown fields (use a strict object, or unknownFields: 'strip')",
      "query schema accepts unknown fields (use a strict object, or unknownFields: 'strip')",
    ]);
    assert.deepEqual(find('POST', '/v1/opted')?.gaps, []);
    assert.equal(find('POST', '/v1/opted')?.unknownFields, 'strip');
    assert.deepEqual(find('GET', '/v1/peeks')?.gaps, ['reads the query string without a query schema']);
    assert.deepEqual(find('GET', '/v1/destructures')?.gaps, ['reads the query string without a query schema']);
    assert.deepEqual(find('GET', '/v1/checked')?.gaps, []);
    assert.deepEqual(find('GET', '/v1/checked')?.validates, { body: false, query: true, params: false, headers: true });
    assert.deepEqual(find('GET', '/v1/checked')?.fields, { body: [], query: ['q'], headers: ['x-trace'] });
    assert.deepEqual(find('POST', '/v1/loose')?.fields, { body: ['a'], query: [], headers: [] });
    assert.deepEqual(find('GET', '/v1/quiet')?.gaps, []);
    await app.close();
  });

  it('refuses any query parameter on a route that declares no query schema, without echoing its name', async () => {
    const app = await buildApp();
    app.get('/v1/me', on({ headers: z.object({ 'user-agent': z.string().optional() }) }), async () => ({ ok: true }));
    app.post('/v1/hooks', on({ body: z.strictObject({ a: z.string() }), unknownFields: 'strip' }), async () => ({ ok: true }));
    app.get('/v1/bare', { config: { portcullis: { policy: OPEN } } }, async () => ({ ok: true }));
    app.get('/v1/list', on({ query: z.strictObject({ q: z.string().optional() }) }), async (request) => request.query);
    const tries: [string, string, string?][] = [['GET', '/v1/me?foo=1'], ['GET', '/v1/me?isAdmin=true'], ['GET', '/v1/me?%3Cscript%3E'], ['HEAD', '/v1/me?foo=1'], ['POST', '/v1/hooks?isAdmin=true', '{"a":"x"}'], ['GET', '/v1/bare?x=']];
    for (const [method, url, body] of tries) {
      const res = await app.inject({ method: method as 'GET', url, ...(body === undefined ? {} : { payload: body, headers: { 'content-type': 'application/json' } }) });
      assert.equal(res.statusCode, 400, url);
      if (method === 'HEAD') continue;
      assert.equal(res.json()['code'], 'request.validation_failed', url);
      assert.deepEqual(res.json()['errors'], [{ field: 'query', code: 'unrecognized_keys', message: 'Unknown field: not allowed here' }], url);
      for (const name of ['foo', 'isAdmin', 'script']) assert.ok(!res.body.includes(name), `${url} echoes the name`);
    }
    // No parameter, an empty query string, a declared schema and an unknown path are unaffected.
    assert.equal((await app.inject({ url: '/v1/me' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/v1/me?' })).statusCode, 200);
    assert.deepEqual((await app.inject({ url: '/v1/list?q=a' })).json(), { q: 'a' });
    assert.equal((await app.inject({ url: '/v1/nowhere?foo=1' })).statusCode, 404);
    await app.close();
  });

  it("refuses unknownFields: 'strip' on a schema whose fields cannot be read, and an unknown setting", async () => {
    const app = await buildApp();
    assert.throws(() => app.post('/v1/a', on({ body: z.array(z.string()), unknownFields: 'strip' }), async () => ({})), /needs an object schema for the body/);
    assert.throws(() => app.post('/v1/b', on({ body: z.strictObject({}), unknownFields: 'ignore' as never }), async () => ({})), /'refuse' or 'strip'/);
    await app.close();
  });
});
