import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { registerProbeRoutes } from '../test-support/probe-routes.js';
import { postJson, request, sendRaw, type TestResponse } from '../test-support/http-client.js';

function assertProblem(res: TestResponse, status: number, code: string): Record<string, unknown> {
  assert.equal(res.status, status, `${code}: ${res.text}`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json();
  assert.equal(body['code'], code);
  assert.equal(body['status'], status);
  assert.equal(typeof body['errorId'], 'string');
  return body;
}

/** The one 400 shape: `errors` lists each refused field, in order, with the given code. */
function assertFieldErrors(problem: Record<string, unknown>, code: string, fields: readonly string[]): void {
  const errors = problem['errors'] as { field: string; code: string; message: string }[] | undefined;
  assert.ok(Array.isArray(errors), `no errors list: ${JSON.stringify(problem)}`);
  assert.deepEqual(errors.map((entry) => entry.field), fields);
  for (const entry of errors) {
    assert.equal(entry.code, code);
    assert.equal(typeof entry.message, 'string');
  }
}

describe('R7/V2/V3 request body and query guards', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ BODY_LIMIT_BYTES: '2048', JSON_MAX_DEPTH: '8' }, { extraV1Routes: registerProbeRoutes });
  });
  after(() => server.close());

  it('accepts a well-formed JSON body', async () => {
    const res = await postJson(server.url, '/v1/probe/echo', '{"name":"widget","tags":["a","b"],"nested":{"x":1}}');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { received: { name: 'widget', tags: ['a', 'b'], nested: { x: 1 } } });
  });

  it('413 for a body over the global limit and over a per-route limit', async () => {
    assertProblem(await postJson(server.url, '/v1/probe/echo', JSON.stringify({ a: 'x'.repeat(3000) })), 413, 'request.body_too_large');
    assertProblem(await postJson(server.url, '/v1/probe/small', JSON.stringify({ a: 'x'.repeat(100) })), 413, 'request.body_too_large');
  });

  it('413 when the declared Content-Length is over the limit, before the body is read', async () => {
    const res = await request(server.url, {
      method: 'POST',
      path: '/v1/probe/echo',
      headers: { 'content-type': 'application/json', 'content-length': '10000000' },
      body: '{}',
    });
    assertProblem(res, 413, 'request.body_too_large');
  });

  it('415 for non-JSON content types, and for JSON in a charset other than UTF-8', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json']) {
      const res = await request(server.url, { method: 'POST', path: '/v1/probe/echo', headers: { 'content-type': type }, body: 'a=1' });
      assertProblem(res, 415, 'request.unsupported_media_type');
    }
    const latin = await request(server.url, {
      method: 'POST',
      path: '/v1/probe/echo',
      headers: { 'content-type': 'application/json; charset=iso-8859-1' },
      body: '{"a":1}',
    });
    assertProblem(latin, 415, 'request.unsupported_media_type');
    const utf8 = await postJson(server.url, '/v1/probe/echo', '{"a":1}', { 'content-type': 'application/json; charset=UTF-8' });
    assert.equal(utf8.status, 200);
  });

  it('415 for a body sent without any content type', async () => {
    const res = await request(server.url, { method: 'POST', path: '/v1/probe/echo', body: '{"a":1}' });
    assertProblem(res, 415, 'request.unsupported_media_type');
  });

  it('400 for malformed JSON, without echoing the input', async () => {
    for (const body of ['{"a":', '{a:1}', "{'a':1}", '', 'nul', '{"a":1}garbage<script>alert(1)</script>']) {
      const res = await postJson(server.url, '/v1/probe/echo', body);
      const problem = assertProblem(res, 400, 'request.malformed_json');
      assert.ok(!res.text.includes('script'), 'no echo of the input');
      assert.ok(!res.text.includes('Unexpected token'), 'no parser message');
      assert.equal(problem['stack'], undefined);
    }
  });

  it('400 for JSON nested deeper than the limit, globally and per route', async () => {
    assertProblem(await postJson(server.url, '/v1/probe/echo', '['.repeat(9) + ']'.repeat(9)), 400, 'request.json_too_deep');
    assertProblem(await postJson(server.url, '/v1/probe/echo', '{"a":'.repeat(9) + '1' + '}'.repeat(9)), 400, 'request.json_too_deep');
    assert.equal((await postJson(server.url, '/v1/probe/echo', '['.repeat(8) + ']'.repeat(8))).status, 200);
    assertProblem(await postJson(server.url, '/v1/probe/shallow', '{"a":{"b":{"c":1}}}'), 400, 'request.json_too_deep');
  });

  it('a deep-nesting bomb is refused fast, before parsing', async () => {
    const bomb = '['.repeat(1000) + ']'.repeat(1000);
    assertProblem(await postJson(server.url, '/v1/probe/echo', bomb), 400, 'request.json_too_deep');
  });

  it('brackets inside strings do not count as depth', async () => {
    const res = await postJson(server.url, '/v1/probe/echo', JSON.stringify({ text: '[[[[[[[[[[[[{{{{{{{{{{', quote: 'a\\"[[[[[[[[[[[[' }));
    assert.equal(res.status, 200);
  });

  it('400 for prototype-pollution keys at any depth, listing each by its parent path, never the key', async () => {
    for (const [body, fields] of [
      ['{"__proto__":{"isAdmin":true}}', ['body.<forbidden key>']],
      ['{"user":{"profile":{"__proto__":{"isAdmin":true}}}}', ['body.user.profile.<forbidden key>']],
      ['{"constructor":{"prototype":{"isAdmin":true}}}', ['body.<forbidden key>', 'body.<key>.<forbidden key>']],
      ['[{"ok":1},{"prototype":1}]', ['body[1].<forbidden key>']],
      ['{"a":[[{"constructor":{}}]]}', ['body.a[0][0].<forbidden key>']],
    ] as const) {
      const problem = assertProblem(await postJson(server.url, '/v1/probe/echo', body), 400, 'request.forbidden_key');
      assertFieldErrors(problem, 'forbidden_key', fields);
    }
    assert.equal(({} as Record<string, unknown>)['isAdmin'], undefined, 'no pollution in this process');
  });

  it('400 for NoSQL operator keys and dotted keys at any depth', async () => {
    for (const body of [
      '{"email":"a@b.c","password":{"$gt":""}}',
      '{"$where":"this.password.length > 0"}',
      '{"filter":{"nested":[{"$ne":null}]}}',
      '{"profile.role":"admin"}',
      '{"a":{"b.c":1}}',
    ]) {
      const problem = assertProblem(await postJson(server.url, '/v1/probe/echo', body), 400, 'request.forbidden_key');
      const errors = problem['errors'] as { field: string }[];
      assert.ok(errors.length === 1 && errors[0]?.field.endsWith('.<forbidden key>'), `${body}: ${JSON.stringify(errors)}`);
      assert.ok(!JSON.stringify(problem).match(/\$gt|\$where|\$ne|profile\.role|b\.c/), `${body}: the key was echoed`);
    }
  });

  it('400 request.invalid_text listing each field holding a NUL or a lone surrogate, and the URL', async () => {
    const problem = assertProblem(await postJson(server.url, '/v1/probe/echo', '{"name":"a\\u0000b","tags":["ok","\\ud800"],"nested":{"\\u0000x":1}}'), 400, 'request.invalid_text');
    assertFieldErrors(problem, 'invalid_text', ['body.name', 'body.tags[1]', 'body.nested.<invalid key>']);
    const inUrl = assertProblem(await request(server.url, { path: '/v1/probe/client?q=a%00b' }), 400, 'request.invalid_text');
    assertFieldErrors(inUrl, 'invalid_text', ['url']);
  });

  it('a "$" or dot inside a value is fine', async () => {
    const res = await postJson(server.url, '/v1/probe/echo', '{"price":"$5.00","host":"a.b.c"}');
    assert.equal(res.status, 200);
  });

  it('400 for forbidden keys in the query string, bracket forms included', async () => {
    for (const query of ['?__proto__[isAdmin]=1', '?a[__proto__]=1', '?filter[$gt]=', '?$where=1', '?constructor=x', '?user.role=admin']) {
      const res = await request(server.url, { path: `/v1/probe/client${query}` });
      assertFieldErrors(assertProblem(res, 400, 'request.forbidden_key'), 'forbidden_key', ['query']);
    }
    assert.equal((await request(server.url, { path: '/v1/probe/client?page=2&sort=name' })).status, 200);
  });

  it('400 problem+json for malformed HTTP, answered on the raw socket', async () => {
    const raw = await sendRaw(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /content-type: application\/problem\+json/);
    assert.match(raw, /x-content-type-options: nosniff/);
    assert.match(raw, /"code":"request.bad_request"/);
  });

  it('431 problem+json for oversized headers', async () => {
    const res = await request(server.url, { path: '/health', headers: { 'x-big': 'a'.repeat(20_000) } });
    assertProblem(res, 431, 'request.header_too_large');
  });
});
