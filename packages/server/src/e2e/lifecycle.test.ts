import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseTargets, type DatabaseTestTarget } from '../test-support/databases.js';
import { redisUrlForTests } from '../test-support/redis.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { probeCounters, registerProbeRoutes } from '../test-support/probe-routes.js';
import { request } from '../test-support/http-client.js';
import { stopServer } from '../app/start-server.js';
import { successBodyChecker } from './openapi-bodies.test-helpers.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

describe('health and readiness on every database', async () => {
  const targets: DatabaseTestTarget[] = await databaseTargets();
  after(() => Promise.all(targets.map((t) => t.cleanup())));
  for (const target of targets) {
    it(`${target.label}: starts, migrates, /health and /ready answer 200`, async () => {
      const server = await startTestServer({ DATABASE_URL: target.databaseUrl });
      try {
        assert.deepEqual((await request(server.url, { path: '/health' })).json(), { status: 'ok' });
        const ready = await request(server.url, { path: '/ready' });
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.json(), { status: 'ready', checks: { database: 'ok', redis: 'not_configured' } });
      } finally {
        await server.close();
      }
    });
  }
});

describe('readiness with Redis', () => {
  it('is ready when Redis answers', async (t) => {
    const redisUrl = await redisUrlForTests();
    if (redisUrl === undefined) return t.skip('Redis unreachable');
    const server = await startTestServer({ REDIS_URL: redisUrl });
    try {
      const ready = await request(server.url, { path: '/ready' });
      assert.equal(ready.status, 200, ready.text);
      assert.equal(ready.json<{ checks: Record<string, string> }>().checks['redis'], 'ok');
    } finally {
      await server.close();
    }
  });

  it('/health, /ready (with and without Redis) and /v1 answer the success bodies /openapi.json documents for them (L1, V6)', async (t) => {
    const redisUrl = await redisUrlForTests();
    const servers = [await startTestServer({}), ...(redisUrl === undefined ? [] : [await startTestServer({ REDIS_URL: redisUrl })])];
    try {
      for (const server of servers) {
        const check = successBodyChecker(await request(server.url, { path: '/openapi.json' }));
        check('get', '/health', await request(server.url, { path: '/health' }), 200);
        check('get', '/ready', await request(server.url, { path: '/ready' }), 200);
        check('get', '/v1', await request(server.url, { path: '/v1' }), 200);
      }
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
    if (redisUrl === undefined) t.diagnostic('Redis unreachable: /ready checked without Redis only');
  });

  it('answers 503 problem+json when Redis is configured but unreachable, and /health stays 200', async () => {
    const server = await startTestServer({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const ready = await request(server.url, { path: '/ready' });
      assert.equal(ready.status, 503);
      assert.equal(ready.json()['code'], 'service.unavailable');
      assert.ok(!ready.text.includes('127.0.0.1:1'), 'no connection details in the body');
      assert.equal((await request(server.url, { path: '/health' })).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, { extraV1Routes: registerProbeRoutes });
  });
  after(() => server.close());

  it('drains an in-flight request, then stops accepting connections', async () => {
    const started = probeCounters.slowStarted;
    // Its own 5 s handler timeout: the 300 ms one of /probe/slow can expire on a loaded machine.
    const inFlight = request(server.url, { path: '/v1/probe/slow-own-timeout?ms=200' });
    // Shut down only once the request is in its handler (a fixed sleep races a loaded machine).
    for (let waited = 0; probeCounters.slowStarted === started && waited < 5000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    const outcome = await stopServer(server.app, 5_000);
    assert.equal(outcome, 'drained');
    const res = await inFlight;
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json(), { waited: 200 });
    await assert.rejects(request(server.url, { path: '/health' }), { code: 'ECONNREFUSED' });
  });
});

function runMain(env: Record<string, string>): { child: ReturnType<typeof spawn>; output: () => string } {
  const child = spawn(process.execPath, ['--conditions=portcullis-source', '--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('the real entry point (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-main-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts on the embedded default, generates dev secrets (0600) once, and exits 0 on SIGTERM', async () => {
    const { child, output } = runMain({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' });
    const exited = exitOf(child);
    const deadline = Date.now() + 20_000;
    while (!/Server listening at/.test(output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(output(), /Server listening at http:\/\/127\.0\.0\.1:\d+/);
    const port = /127\.0\.0\.1:(\d+)/.exec(output())?.[1];
    assert.equal((await request(`http://127.0.0.1:${port}`, { path: '/ready' })).status, 200);
    const secretsFile = join(dataDir, 'secrets.json');
    assert.equal(statSync(secretsFile).mode & 0o777, 0o600);
    const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>;
    assert.ok((secrets['jwtSecret'] ?? '').length >= 43);
    assert.ok(statSync(join(dataDir, 'portcullis.sqlite')).size > 0, 'SQLite file under DATA_DIR');
    for (const value of Object.values(secrets)) assert.ok(!output().includes(value), 'secrets never logged');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(output(), /shutdown complete/);

    const again = runMain({ DATA_DIR: dataDir, PORT: '0' });
    const againExit = exitOf(again.child);
    const deadline2 = Date.now() + 20_000;
    while (!/Server listening at/.test(again.output()) && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 100));
    again.child.kill('SIGTERM');
    assert.equal(await againExit, 0);
    assert.deepEqual(JSON.parse(readFileSync(secretsFile, 'utf8')), secrets, 'secrets kept across restarts');
  });

  it('in production refuses to start without secrets, naming the variable, with no stack', async () => {
    const { child, output } = runMain({ NODE_ENV: 'production', DATA_DIR: dataDir, PORT: '0' });
    assert.equal(await exitOf(child), 1);
    assert.match(output(), /JWT_SECRET is missing/);
    assert.ok(!/\n\s+at /.test(output()), 'no stack trace');
  });

  it('in production refuses a default secret, naming the variable and not echoing it', async () => {
    const { child, output } = runMain({
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      PORT: '0',
      JWT_SECRET: 'changeme-changeme-changeme-changeme-0123',
      APP_SECRET: 'x'.repeat(40),
      ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    assert.equal(await exitOf(child), 1);
    assert.match(output(), /JWT_SECRET is a default or placeholder value/);
    assert.ok(!output().includes('changeme-changeme'));
  });
});
