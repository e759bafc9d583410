import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import { policy } from '../authz/index.js';
import { isPortcullisError } from '../errors/index.js';
import { buildOpenApiDocument, toOpenApiPath, type OpenApiRoute } from './index.js';

const info = { title: 'Test API', version: '1.0.0' };
type Operation = Record<string, unknown> & { parameters?: Record<string, unknown>[] };
const operation = (routes: OpenApiRoute[], path: string, method: string): Operation =>
  buildOpenApiDocument(routes, info).paths[path]?.[method] as Operation;

describe('OpenAPI document from route declarations (L1)', () => {
  it('turns Fastify path parameters into templates, keeping names and literal text', () => {
    assert.deepEqual(toOpenApiPath('/v1/posts/:id/comments/:commentId'), { path: '/v1/posts/{id}/comments/{commentId}', parameters: ['id', 'commentId'] });
    assert.deepEqual(toOpenApiPath('/files/:name(^\\d+).png'), { path: '/files/{name}.png', parameters: ['name'] });
    assert.deepEqual(toOpenApiPath('/time/at::hour'), { path: '/time/at:hour', parameters: [] });
    assert.deepEqual(toOpenApiPath('/static/*'), { path: '/static/{wildcard}', parameters: ['wildcard'] });
    const segment = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), segment), { minLength: 1, maxLength: 6 }), (parts) => {
        const fastify = `/${parts.map(([param, name]) => (param ? `:${name.replace(/-/g, '_')}` : name)).join('/')}`;
        const { path, parameters } = toOpenApiPath(fastify);
        assert.ok(!path.includes(':'));
        assert.deepEqual(parameters, parts.filter(([param]) => param).map(([, name]) => name.replace(/-/g, '_')));
        assert.equal(path.replace(/\{([^}]+)\}/g, ':$1'), fastify);
      }),
    );
  });

  it('describes inputs from zod schemas, input side, without a dialect of their own', () => {
    const route: OpenApiRoute = {
      method: 'POST',
      path: '/v1/things/:id',
      policy: policy.permission('things:write'),
      credentials: ['bearer', 'apiKey', 'signature'],
      input: {
        params: z.strictObject({ id: z.uuid() }),
        query: z.strictObject({ dryRun: z.enum(['true', 'false']).optional(), tag: z.array(z.string()).optional() }),
        headers: z.object({ 'x-request-note': z.string().max(20), authorization: z.string() }),
        body: z.strictObject({ name: z.string().min(1), size: z.number().int().default(1), when: z.date().optional() }),
      },
      rateLimits: [{ name: 'api', limit: 100, windowMs: 60_000, algorithm: 'gcra' }],
    };
    const op = operation([route], '/v1/things/{id}', 'post');
    assert.deepEqual(op.parameters?.map((p) => `${String(p['in'])}:${String(p['name'])}:${String(p['required'])}`), [
      'path:id:true',
      'query:dryRun:false',
      'query:tag:false',
      'header:x-request-note:true',
    ]);
    assert.equal(op.parameters?.find((p) => p['name'] === 'tag')?.['explode'], true);
    const body = (op['requestBody'] as { content: Record<string, { schema: Record<string, unknown> }> }).content['application/json']?.schema;
    assert.deepEqual(body?.['required'], ['name'], 'a defaulted field is optional on input');
    assert.equal(body?.['$schema'], undefined);
    assert.deepEqual(op['security'], [{ bearerAuth: ['things:write'] }, { apiKeyAuth: ['things:write'] }]);
    assert.equal(op['x-signature-required'], true);
    assert.deepEqual(op['x-ratelimit-policies'], [{ name: 'api', quota: 100, windowSeconds: 60, algorithm: 'gcra' }]);
  });

  it('gives self-referencing schemas an $id, so their references resolve inside them', () => {
    type Node = { children: Node[] };
    const node: z.ZodType<Node> = z.lazy(() => z.strictObject({ children: z.array(node) }));
    const op = operation([{ method: 'PUT', path: '/tree', policy: policy.public(), input: { body: node } }], '/tree', 'put');
    const body = (op['requestBody'] as { content: Record<string, { schema: Record<string, unknown> }> }).content['application/json']?.schema;
    assert.match(String(body?.['$id']), /^urn:portcullis:openapi:putTree:body$/);
  });

  it('public routes require nothing; roles are offered to people only; no credentials means bearer', () => {
    const routes: OpenApiRoute[] = [
      { method: 'GET', path: '/open', policy: policy.public(), credentials: ['bearer'] },
      { method: 'GET', path: '/staff', policy: policy.role('admin', 'moderator'), credentials: ['apiKey', 'bearer'] },
      { method: 'GET', path: '/mine', policy: policy.authenticated() },
      { method: 'GET', path: '/undeclared' },
    ];
    assert.deepEqual(operation(routes, '/open', 'get')['security'], []);
    assert.deepEqual(operation(routes, '/staff', 'get')['security'], [{ bearerAuth: ['admin', 'moderator'] }]);
    assert.deepEqual(operation(routes, '/staff', 'get')['x-required-roles'], ['admin', 'moderator']);
    assert.deepEqual(operation(routes, '/mine', 'get')['security'], [{ bearerAuth: [] }]);
    assert.deepEqual(operation(routes, '/undeclared', 'get')['security'], []);
    assert.equal((operation(routes, '/open', 'get')['responses'] as Record<string, unknown>)['401'], undefined);
  });

  it('refuses what an OpenAPI document cannot hold', () => {
    const refuses = (routes: OpenApiRoute[], detail: RegExp) =>
      assert.throws(() => buildOpenApiDocument(routes, info), (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid' && detail.test(String(error.detail)));
    refuses([{ method: 'PROPFIND', path: '/dav' }], /no OpenAPI operation/);
    refuses([{ method: 'GET', path: '/a/:id' }, { method: 'GET', path: '/a/{id}' }], /declared twice/);
  });
});
