import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../config/load-config.js';
import { postJson, request } from '../test-support/http-client.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { assertProblem } from './identity.test-helpers.js';

// L2 over real loopback HTTP: API_VERSIONS marks v1 deprecated (RFC 9745 Deprecation, RFC 8594
// Sunset, Link), then sunset (410 on every v1 route); health probes and /openapi.json unaffected.

const DEPRECATED_AT = '2025-01-15T10:00:00Z';
const MIGRATION = 'https://docs.example.com/migrate/v1-to-v2';
const SUNSET_POLICY = 'https://docs.example.com/sunset-policy';
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const ROOMY = { RATE_LIMIT_GENERAL: '100000', LOAD_SHED_MAX_DELAY_MS: '0' };

function versions(v1: Record<string, unknown>): string {
  return JSON.stringify({ v1 });
}

describe('L2 a deprecated version announces its lifecycle on every response', () => {
  const sunsetAt = new Date(Date.now() + 180 * 86_400_000);
  sunsetAt.setUTCMilliseconds(0);
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      ...ROOMY,
      API_VERSIONS: versions({ status: 'deprecated', deprecatedAt: DEPRECATED_AT, sunsetAt: sunsetAt.toISOString(), link: MIGRATION, sunsetLink: SUNSET_POLICY }),
    });
  });
  after(() => server.close());

  it('sends Deprecation, Sunset and Link with the exact syntax', async () => {
    const res = await request(server.url, { path: '/v1' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['deprecation'], `@${Date.parse(DEPRECATED_AT) / 1000}`);
    assert.equal(res.headers['deprecation'], '@1736935200');
    assert.match(String(res.headers['sunset']), IMF_FIXDATE);
    assert.equal(Date.parse(String(res.headers['sunset'])), sunsetAt.getTime());
    assert.equal(res.headers['link'], `<${MIGRATION}>; rel="deprecation"; type="text/html", <${SUNSET_POLICY}>; rel="sunset"; type="text/html"`);
  });

  it('on refusals from the version too, but not on health probes, the document or other paths', async () => {
    const refused = await request(server.url, { path: '/v1/users/me' });
    assertProblem(refused, 401, 'auth.unauthenticated');
    assert.equal(refused.headers['deprecation'], '@1736935200');
    const invalid = await postJson(server.url, '/v1/auth/login', JSON.stringify({ email: 'not-an-email' }));
    assertProblem(invalid, 400, 'request.validation_failed');
    assert.equal(invalid.headers['sunset'], new Date(sunsetAt).toUTCString());
    for (const path of ['/health', '/ready', '/openapi.json', '/docs']) {
      const res = await request(server.url, { path });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['deprecation'], undefined, path);
      assert.equal(res.headers['sunset'], undefined, path);
      assert.equal(res.headers['link'], undefined, path);
    }
  });

  it('marks every v1 operation deprecated in the OpenAPI document, and no other', async () => {
    const document = (await request(server.url, { path: '/openapi.json' })).json<{ paths: Record<string, Record<string, Record<string, unknown>>> }>();
    let v1Operations = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const operation of Object.values(item)) {
        if (path === '/v1' || path.startsWith('/v1/')) {
          v1Operations += 1;
          assert.equal(operation['deprecated'], true, path);
          assert.equal(operation['x-sunset'], sunsetAt.toISOString(), path);
          assert.deepEqual((operation['responses'] as Record<string, unknown>)['410'], { $ref: '#/components/responses/Gone' }, path);
        } else {
          assert.equal(operation['deprecated'], undefined, path);
        }
      }
    }
    assert.ok(v1Operations > 20);
  });
});

describe('L2 a sunset version answers 410 on every route', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ ...ROOMY, API_VERSIONS: versions({ status: 'sunset', deprecatedAt: DEPRECATED_AT, sunsetAt: '2025-07-01T00:00:00Z', link: MIGRATION }) });
  });
  after(() => server.close());

  it('before authentication, validation or the handler, with the lifecycle headers', async () => {
    const probes = [
      await request(server.url, { path: '/v1' }),
      await request(server.url, { path: '/v1/users/me' }),
      await request(server.url, { path: '/v1/admin/users', headers: { authorization: 'Bearer forged' } }),
      await postJson(server.url, '/v1/auth/login', JSON.stringify({ email: 'a@example.com', password: 'whatever it is 123' })),
      await postJson(server.url, '/v1/auth/register', '{"not":"valid"}'),
      await request(server.url, { method: 'DELETE', path: '/v1/posts/00000000-0000-4000-8000-000000000000' }),
    ];
    for (const res of probes) {
      const body = assertProblem(res, 410, 'api.version_sunset');
      assert.equal(body['detail'], 'API version v1 was retired on 2025-07-01.');
      assert.equal(res.headers['sunset'], 'Tue, 01 Jul 2025 00:00:00 GMT');
      assert.equal(res.headers['deprecation'], '@1736935200');
      assert.equal(res.headers['link'], `<${MIGRATION}>; rel="deprecation"; type="text/html"`);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', 'the security headers stay');
    }
  });

  it('leaves health probes and /openapi.json alone', async () => {
    for (const path of ['/health', '/ready', '/openapi.json']) assert.equal((await request(server.url, { path })).status, 200, path);
  });
});

describe('L2 a sunset date that passes retires the version by itself', () => {
  it('serves with headers until the instant, then 410', async () => {
    const sunsetAt = Date.now() + 1_500;
    const server = await startTestServer({ ...ROOMY, API_VERSIONS: versions({ status: 'deprecated', deprecatedAt: DEPRECATED_AT, sunsetAt: new Date(sunsetAt).toISOString() }) });
    try {
      const served = await request(server.url, { path: '/v1' });
      assert.equal(served.status, 200, 'the sunset is still ahead');
      assert.equal(served.headers['sunset'], new Date(sunsetAt).toUTCString());
      assert.equal(served.headers['link'], undefined, 'no link configured, none sent');
      await sleep(Math.max(0, sunsetAt - Date.now()) + 50);
      assertProblem(await request(server.url, { path: '/v1' }), 410, 'api.version_sunset');
      assert.equal((await request(server.url, { path: '/health' })).status, 200);
    } finally {
      await server.close();
    }
  });

  it('a current version sends no lifecycle header at all', async () => {
    const server = await startTestServer(ROOMY);
    try {
      const res = await request(server.url, { path: '/v1' });
      assert.equal(res.status, 200);
      for (const name of ['deprecation', 'sunset', 'link']) assert.equal(res.headers[name], undefined, name);
    } finally {
      await server.close();
    }
  });
});

describe('L2 API_VERSIONS is validated at start', () => {
  const base = { NODE_ENV: 'test', DATA_DIR: '/tmp/portcullis-versions-config' };
  const refused = (value: string, message: RegExp) => assert.throws(() => loadConfig({ ...base, API_VERSIONS: value }), message);

  it('defaults to v1 current', () => {
    assert.deepEqual(loadConfig(base).apiVersions, { v1: { status: 'current' } });
  });

  it('refuses what it cannot honour, naming API_VERSIONS', () => {
    refused('v1=deprecated', /API_VERSIONS: must be a JSON object/);
    refused(versions({ status: 'retired' }), /API_VERSIONS: v1\.status/);
    refused(JSON.stringify({ v2: { status: 'current' } }), /API_VERSIONS: the server has no version "v2"/);
    refused(versions({ status: 'deprecated' }), /API_VERSIONS: .*needs deprecatedAt/);
    refused(versions({ status: 'deprecated', deprecatedAt: '2026-01-01T00:00:00Z', sunsetAt: '2025-01-01T00:00:00Z' }), /sunsetAt is before deprecatedAt/);
    refused(versions({ status: 'deprecated', deprecatedAt: 'next tuesday' }), /API_VERSIONS: v1\.deprecatedAt/);
    refused(versions({ status: 'deprecated', deprecatedAt: DEPRECATED_AT, link: 'javascript:alert(1)' }), /API_VERSIONS: v1\.link/);
    refused(versions({ status: 'current', extra: true }), /API_VERSIONS: v1/);
  });
});
