import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import { request } from '../test-support/http-client.js';
import type { TestServer } from '../test-support/test-server.js';
import { registerWithRole, ROOMY_LIMITS } from './identity.test-helpers.js';
import { startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// Every route added for API keys, administration and posts, sent malformed, oversized and hostile
// input by a caller who is allowed in (an admin): each answer is a 4xx problem+json, never a 500,
// never a stack trace, never the hostile text echoed back.

const HOSTILE_BODIES: [string, string][] = [
  ['malformed JSON', '{"name": '],
  ['a JSON array', '[1,2,3]'],
  ['a JSON string', '"x"'],
  ['prototype pollution', '{"__proto__": {"role": "admin"}, "name": "x"}'],
  ['constructor key', '{"constructor": {"prototype": {"x": 1}}}'],
  ['operator key', '{"$where": "1 == 1"}'],
  ['deep nesting', `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`],
  ['an oversized body', JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })],
  ['wrong types', '{"name": 5, "scopes": "profile:read", "title": [], "role": {}, "graceSeconds": "soon"}'],
  ['injection text', `{"name": "x'; DROP TABLE users; --", "title": "<script>alert(1)</script>", "body": "\\u0000"}`],
];

describeEachDatabase('hostile input on the API-key, admin and posts routes', (target) => {
  let server: TestServer;
  let database: AppDatabase;
  let token: string;
  before(async () => {
    const started = await startSuiteServer(target, ROOMY_LIMITS);
    ({ server, database } = started);
    token = (await registerWithRole(started.client, database, 'hostile-admin', 'admin')).tokens.accessToken;
  });
  after(() => stopSuiteServer(server, database));

  const uuid = '00000000-0000-4000-8000-000000000000';
  const routes: [string, string][] = [
    ['POST', '/v1/api-keys'],
    ['POST', '/v1/api-keys/key_AAAAAAAAAAAAAAAA/rotate'],
    ['PATCH', `/v1/admin/users/${uuid}`],
    ['POST', `/v1/admin/users/${uuid}/unlock`],
    ['POST', '/v1/posts'],
    ['PATCH', `/v1/posts/${uuid}`],
    ['POST', `/v1/posts/${uuid}/publish`],
    ['POST', `/v1/posts/${uuid}/comments`],
  ];

  it('answers every hostile body with a 4xx problem+json', async () => {
    for (const [method, path] of routes) {
      for (const [what, body] of HOSTILE_BODIES) {
        const res = await request(server.url, { method, path, body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
        const label = `${method} ${path} with ${what}: ${res.status} ${res.text.slice(0, 200)}`;
        assert.ok(res.status >= 400 && res.status < 500, label);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/, label);
        assert.doesNotMatch(res.text, /\n\s+at |DROP TABLE|<script>/, label);
      }
    }
  });

  it('answers hostile path and query values with a 4xx problem+json', async () => {
    const paths = [
      '/v1/api-keys/..%2f..%2fetc/usage',
      `/v1/api-keys/key_${'A'.repeat(5000)}/usage`,
      "/v1/admin/users/1'%20OR%20'1'='1",
      '/v1/admin/users?limit=-1',
      '/v1/admin/users?limit=1e9',
      '/v1/admin/users?after=%00',
      '/v1/admin/users?__proto__[role]=admin',
      '/v1/posts?limit=101',
      '/v1/posts?orgId=../../',
      `/v1/posts/${'9'.repeat(40)}`,
      `/v1/posts/${uuid}/comments?limit=NaN`,
    ];
    for (const path of paths) {
      const res = await request(server.url, { path, headers: { authorization: `Bearer ${token}` } });
      const label = `GET ${path}: ${res.status} ${res.text.slice(0, 200)}`;
      assert.ok(res.status >= 400 && res.status < 500, label);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/, label);
    }
  });

  it('refuses a hostile API key header with 401, not a 500', async () => {
    for (const key of ['pk_live_' + 'A'.repeat(8000), 'pk_live_\u00ff\u00fe', "pk_live_' OR 1=1 --", '']) {
      const res = await request(server.url, { path: '/v1/users/me', headers: { 'x-api-key': key } });
      assert.equal(res.status, 401, `${key.slice(0, 20)}: ${res.text}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
  });
});
