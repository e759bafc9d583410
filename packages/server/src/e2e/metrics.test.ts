import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { loadConfig } from '../config/load-config.js';
import { metricsListenerOf } from '../app/metrics-listener.js';
import { postJson, request, type TestResponse } from '../test-support/http-client.js';
import { redisUrlForTests } from '../test-support/redis.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { assertProblem } from './identity.test-helpers.js';
import { sqliteTarget, startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// E5 over real loopback HTTP: a separate listener, a bearer token, bounded labels, and values
// that move with the traffic the API port actually served.

const TOKEN = randomBytes(32).toString('base64url');

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses Prometheus text exposition format 0.0.4: comments, `name{label="value",...} number`. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (type !== null) types.set(type[1] as string, type[2] as string);
      else assert.match(line, /^# HELP \S+ .+$/, `unexpected comment line: ${line}`);
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match !== null, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"(,|$)/gy;
    let consumed = 0;
    for (let pair = label.exec(body); pair !== null; pair = label.exec(body)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_all, ch: string) => (ch === 'n' ? '\n' : ch));
      consumed = label.lastIndex;
    }
    assert.equal(consumed, body.length, `unparsed labels in: ${line}`);
    const value = Number(match[3] === '+Inf' ? Infinity : match[3]);
    assert.ok(!Number.isNaN(value), `not a number in: ${line}`);
    samples.push({ name: match[1] as string, labels, value });
  }
  return { samples, types };
}

function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  return found.reduce((sum, sample) => sum + sample.value, 0);
}

function metricsUrl(server: TestServer): string {
  const address = metricsListenerOf(server.app)?.address();
  assert.ok(address !== undefined, 'the metrics listener is listening');
  return `http://127.0.0.1:${address.port}`;
}

async function scrape(server: TestServer): Promise<Sample[]> {
  const res = await request(metricsUrl(server), { path: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200, res.text);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parseExposition(res.text).samples;
}

describe('E5 metrics on their own protected listener', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ METRICS_PORT: '0', METRICS_TOKEN: TOKEN, RATE_LIMIT_GENERAL: '100000', RATE_LIMIT_AUTH: '2', LOAD_SHED_MAX_DELAY_MS: '0' });
  });
  after(() => server.close());

  it('serves a scrape in Prometheus text format, with every metric typed', async () => {
    const res = await request(metricsUrl(server), { path: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const { samples, types } = parseExposition(res.text);
    assert.equal(types.get('portcullis_http_requests_total'), 'counter');
    assert.equal(types.get('portcullis_http_request_duration_seconds'), 'histogram');
    assert.equal(types.get('portcullis_ratelimit_refusals_total'), 'counter');
    assert.equal(types.get('portcullis_auth_failures_total'), 'counter');
    assert.equal(types.get('portcullis_ratelimit_store_up'), 'gauge');
    assert.equal(types.get('portcullis_audit_queue_depth'), 'gauge');
    const depth = samples.find((sample) => sample.name === 'portcullis_audit_queue_depth');
    assert.ok(depth !== undefined && Number.isInteger(depth.value) && depth.value >= 0, 'the audit queue depth is reported');
    // With the queue written out the gauge reads what the app reports: nothing waiting (the stalled
    // trail below shows it rise).
    await server.app.flushSecurityEvents();
    const settled = (await scrape(server)).find((sample) => sample.name === 'portcullis_audit_queue_depth');
    assert.equal(settled?.value, server.app.auditQueueDepth());
    assert.equal(settled?.value, 0);
    // Memory policies have no store to lose: healthy from the start.
    assert.equal(valueOf(samples, 'portcullis_ratelimit_store_up', { policy: 'api' }), 1);
    assert.equal(valueOf(samples, 'portcullis_ratelimit_store_up', { policy: 'login' }), 1);
  });

  it('counts requests by route pattern, method and status, with latency, never by raw URL', async () => {
    const before = await scrape(server);
    for (let i = 0; i < 3; i += 1) assert.equal((await request(server.url, { path: '/v1' })).status, 200);
    const missing = `/v1/no-such-route-${randomBytes(6).toString('hex')}`;
    assert.equal((await request(server.url, { path: missing })).status, 404);
    assert.equal((await request(server.url, { path: `/v1/posts/${randomBytes(4).toString('hex')}` })).status, 401);
    const res = await request(metricsUrl(server), { path: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    const after = parseExposition(res.text).samples;
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    assert.equal(delta('portcullis_http_requests_total', { route: '/v1', method: 'GET', status: '200' }), 3);
    assert.equal(delta('portcullis_http_request_duration_seconds_count', { route: '/v1', method: 'GET' }), 3);
    assert.ok(delta('portcullis_http_request_duration_seconds_sum', { route: '/v1', method: 'GET' }) > 0);
    assert.equal(delta('portcullis_http_request_duration_seconds_bucket', { route: '/v1', method: 'GET', le: '+Inf' }), 3);
    assert.equal(delta('portcullis_http_requests_total', { route: '(unmatched)', method: 'GET', status: '404' }), 1);
    assert.equal(delta('portcullis_http_requests_total', { route: '/v1/posts/:id', method: 'GET', status: '401' }), 1);
    assert.ok(!res.text.includes('no-such-route'), 'an unmatched URL never becomes a label');
    assert.ok(after.every((sample) => sample.labels['route'] === undefined || !/[0-9a-f]{8}$/.test(sample.labels['route'])), 'no raw path as a label');
  });

  it('counts a 401 by its problem code and a 429 by the policy that refused it', async () => {
    const before = await scrape(server);
    assertProblem(await request(server.url, { path: '/v1/users/me' }), 401, 'auth.unauthenticated');
    const login = () => postJson(server.url, '/v1/auth/login', JSON.stringify({ email: `nobody-${randomBytes(4).toString('hex')}@example.com`, password: 'not the password 123' }));
    assertProblem(await login(), 401, 'auth.invalid_credentials');
    assertProblem(await login(), 401, 'auth.invalid_credentials');
    const refused = await login();
    assertProblem(refused, 429, 'ratelimit.exceeded');
    const after = await scrape(server);
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    assert.equal(delta('portcullis_auth_failures_total', { code: 'auth.unauthenticated' }), 1);
    assert.equal(delta('portcullis_auth_failures_total', { code: 'auth.invalid_credentials' }), 2);
    assert.equal(delta('portcullis_ratelimit_refusals_total', { policy: 'login' }), 1);
    assert.equal(delta('portcullis_ratelimit_refusals_total', { policy: 'api' }), 0);
    assert.equal(delta('portcullis_http_requests_total', { route: '/v1/auth/login', method: 'POST', status: '429' }), 1);
    assert.equal(delta('portcullis_http_requests_total', { route: '/v1/auth/login', method: 'POST', status: '401' }), 2);
  });

  it('refuses a scrape without the token, with a wrong one, or with another scheme, and logs no token', async () => {
    const url = metricsUrl(server);
    const refusals: TestResponse[] = [
      await request(url, { path: '/metrics' }),
      await request(url, { path: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } }),
      await request(url, { path: '/metrics', headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } }),
      await request(url, { path: '/metrics', headers: { authorization: `Basic ${Buffer.from(`metrics:${TOKEN}`).toString('base64')}` } }),
      await request(url, { path: '/metrics', headers: { authorization: 'Bearer ' } }),
    ];
    for (const res of refusals) {
      assertProblem(res, 401, 'auth.unauthenticated');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="metrics"');
      assert.ok(!res.text.includes('portcullis_http_requests_total'), 'no metric in a refusal');
    }
    assertProblem(await request(url, { path: '/', headers: { authorization: `Bearer ${TOKEN}` } }), 404, 'route.not_found');
    assertProblem(await request(url, { path: '/metrics/../health', headers: { authorization: `Bearer ${TOKEN}` } }), 404, 'route.not_found');
    const post = await request(url, { method: 'POST', path: '/metrics', headers: { authorization: `Bearer ${TOKEN}` }, body: '{}' });
    assertProblem(post, 405, 'route.method_not_allowed');
    assert.equal(post.headers['allow'], 'GET');
    const logs = server.logText();
    assert.ok(logs.includes('metrics.unauthorized'), 'refused scrapes are logged');
    assert.ok(!logs.includes(TOKEN) && !logs.includes(TOKEN.slice(0, 20)), 'the token never reaches the log');
  });

  it('the API port does not serve /metrics, token or not', async () => {
    assertProblem(await request(server.url, { path: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } }), 404, 'route.not_found');
    assertProblem(await request(server.url, { path: '/metrics' }), 404, 'route.not_found');
    assert.notEqual(metricsListenerOf(server.app)?.address()?.port, server.port);
  });
});

describe('E5 audit queue depth', () => {
  it('the audit queue depth gauge shows the rows waiting while the trail cannot be written, and 0 once it can', async () => {
    const target = await sqliteTarget();
    const { server, database } = await startSuiteServer(target, { METRICS_PORT: '0', METRICS_TOKEN: TOKEN, RATE_LIMIT_GENERAL: '100000', RATE_LIMIT_AUTH: '10000', LOAD_SHED_MAX_DELAY_MS: '0' });
    const depthOf = async (): Promise<number> => valueOf(await scrape(server), 'portcullis_audit_queue_depth', {});
    const failedRows = async () => (await database.db.selectFrom('audit_events').select('seq').where('event', '=', 'auth.login_failed').execute()).length;
    const waitFor = async (what: string, check: () => Promise<boolean>): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!(await check())) {
        assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await server.app.flushSecurityEvents();
      assert.equal(await depthOf(), 0);
      // The trail's table taken away from the server's connection: every write fails and is retried.
      await sql`ALTER TABLE audit_events RENAME TO audit_events_stalled`.execute(database.db);
      let refused: Promise<TestResponse>[] = [];
      try {
        // Five failed sign-ins, each a trail row of its own; not awaited, in case the route waits for its row.
        const login = () => postJson(server.url, '/v1/auth/login', JSON.stringify({ email: `nobody-${randomBytes(4).toString('hex')}@example.com`, password: 'not the password 123' }));
        refused = Array.from({ length: 5 }, login);
        await waitFor('the queue to hold the five rows', async () => (await depthOf()) >= 5);
        const stalled = await depthOf();
        assert.equal(stalled, server.app.auditQueueDepth(), 'the gauge is the queue the app reports');
        await waitFor('an audit.write_failed log line', async () => server.logLines().some((line) => line['event'] === 'audit.write_failed'));
        assert.equal((await depthOf()) >= stalled, true, 'nothing was dropped while the trail was stalled');
      } finally {
        await sql`ALTER TABLE audit_events_stalled RENAME TO audit_events`.execute(database.db);
      }
      for (const res of await Promise.all(refused)) assert.equal(res.status, 401);
      await waitFor('the queue to drain', async () => (await depthOf()) === 0);
      assert.equal(await failedRows(), 5, 'the rows kept through the stall were written');
    } finally {
      await stopSuiteServer(server, database);
      await target.cleanup();
    }
  });
});

describe('E5 limiter store health', () => {
  it('reports a Redis-backed policy healthy while Redis answers', async (t) => {
    const redisUrl = await redisUrlForTests();
    if (redisUrl === undefined) {
      t.skip('Redis unreachable');
      return;
    }
    const server = await startTestServer({
      METRICS_PORT: '0',
      METRICS_TOKEN: TOKEN,
      REDIS_URL: redisUrl,
      RATE_LIMIT_REDIS_PREFIX: `metrics-${randomBytes(4).toString('hex')}:`,
      LOAD_SHED_MAX_DELAY_MS: '0',
    });
    try {
      assert.equal((await request(server.url, { path: '/v1' })).status, 200);
      assert.equal(valueOf(await scrape(server), 'portcullis_ratelimit_store_up', { policy: 'api' }), 1);
    } finally {
      await server.close();
    }
  });

  it('drops to 0 when the store is down (the policy runs on its fail mode)', async () => {
    // Nothing listens on port 9 (discard) on loopback: every store call fails.
    const server = await startTestServer({
      METRICS_PORT: '0',
      METRICS_TOKEN: TOKEN,
      REDIS_URL: 'redis://127.0.0.1:9',
      RATE_LIMIT_FAIL_MODE: 'local',
      RATE_LIMIT_STORE_TIMEOUT_MS: '50',
      LOAD_SHED_MAX_DELAY_MS: '0',
    });
    try {
      assert.equal((await request(server.url, { path: '/v1' })).status, 200, 'the local fallback admits');
      const samples = await scrape(server);
      assert.equal(valueOf(samples, 'portcullis_ratelimit_store_up', { policy: 'api' }), 0);
    } finally {
      await server.close();
    }
  });
});

describe('E5 metrics configuration', () => {
  const base = { NODE_ENV: 'test', DATA_DIR: '/tmp/portcullis-metrics-config' };

  it('is off without METRICS_PORT: no listener at all', async () => {
    assert.equal(loadConfig({ ...base }).metrics, undefined);
    const server = await startTestServer({ LOAD_SHED_MAX_DELAY_MS: '0' });
    try {
      assert.equal(metricsListenerOf(server.app), undefined);
    } finally {
      await server.close();
    }
  });

  it('requires METRICS_TOKEN with METRICS_PORT, refuses a weak one in production, and never echoes it', () => {
    assert.throws(() => loadConfig({ ...base, METRICS_PORT: '9100' }), /METRICS_TOKEN is required when METRICS_PORT is set/);
    const weak = 'changeme-changeme-changeme-changeme';
    const production = {
      ...base,
      NODE_ENV: 'production',
      METRICS_PORT: '9100',
      METRICS_TOKEN: weak,
      JWT_SECRET: randomBytes(48).toString('base64url'),
      APP_SECRET: randomBytes(48).toString('base64url'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    };
    assert.throws(
      () => loadConfig(production),
      (error: unknown) => error instanceof Error && /METRICS_TOKEN/.test(String((error as { detail?: string }).detail)) && !String((error as { detail?: string }).detail).includes(weak),
    );
    assert.throws(() => loadConfig({ ...production, METRICS_TOKEN: 'short' }), /METRICS_TOKEN is too short/);
    const config = loadConfig({ ...base, METRICS_PORT: '9100', METRICS_TOKEN: weak });
    assert.ok(config.warnings.some((warning) => warning.startsWith('METRICS_TOKEN')), 'weak outside production: a warning');
    assert.equal(loadConfig({ ...base, METRICS_PORT: '9100', METRICS_TOKEN: TOKEN }).metrics?.host, '127.0.0.1');
  });
});
