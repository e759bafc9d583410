import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisUrlForTests } from '../test-support/redis.js';
import { startThrowawayRedis, type ThrowawayRedis } from '../test-support/throwaway-redis.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { request } from '../test-support/http-client.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

interface Instance {
  readonly url: string;
  readonly child: ChildProcess;
}

async function startInstance(env: Record<string, string>, dataDir: string): Promise<Instance> {
  const child = spawn(process.execPath, ['--conditions=portcullis-source', '--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!/Server listening at http:\/\/127\.0\.0\.1:\d+/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`instance did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `http://127.0.0.1:${/127\.0\.0\.1:(\d+)/.exec(output)?.[1]}`, child };
}

async function stopInstance(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  await exited;
}

describe('R2 several instances sharing one Redis', () => {
  const dataDirs: string[] = [];
  let instances: Instance[] = [];
  after(async () => {
    await Promise.all(instances.map(stopInstance));
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('three server processes admit exactly the configured limit in total', async (t) => {
    const redisUrl = await redisUrlForTests();
    if (redisUrl === undefined) return t.skip('Redis unreachable');
    const env = {
      REDIS_URL: redisUrl,
      RATE_LIMIT_GENERAL: '60',
      // Sliding log: exactly 60 in any 60 s, however long the burst takes to serve.
      RATE_LIMIT_ALGORITHM: 'sliding-log',
      RATE_LIMIT_REDIS_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
      // Every decision must come from Redis: on a loaded machine a decision slower than the
      // default 250 ms would otherwise be made by the local fallback, which is another test's subject.
      RATE_LIMIT_FAIL_MODE: 'closed',
      RATE_LIMIT_STORE_TIMEOUT_MS: '5000',
    };
    for (let i = 0; i < 3; i += 1) dataDirs.push(mkdtempSync(join(tmpdir(), 'portcullis-multi-')));
    instances = await Promise.all(dataDirs.map((dir) => startInstance(env, dir)));
    // 180 requests from one client, spread round-robin over the instances, all in flight at once.
    const statuses = await Promise.all(
      Array.from({ length: 180 }, (_, i) => request((instances[i % 3] as Instance).url, { path: '/v1' }).then((res) => res.status)),
    );
    const admitted = statuses.filter((status) => status === 200).length;
    const refused = statuses.filter((status) => status === 429).length;
    assert.equal(admitted, 60, `admitted ${admitted}`);
    assert.equal(refused, 120);
    // Every instance saw refusals: none of them counted on its own.
    for (const instance of instances) {
      const res = await request(instance.url, { path: '/v1' });
      assert.equal(res.status, 429);
    }
  });
});

describe('R6 Redis dies during a run: each fail mode, no 500, recovery', () => {
  let redis: ThrowawayRedis | undefined;
  before(async () => {
    redis = await startThrowawayRedis();
  });
  after(() => redis?.stop());

  async function withServer(failMode: string, run: (server: TestServer, redis: ThrowawayRedis) => Promise<void>): Promise<void> {
    if (redis === undefined) return;
    await redis.restart();
    const server = await startTestServer({
      REDIS_URL: redis.url,
      RATE_LIMIT_GENERAL: '5',
      RATE_LIMIT_FAIL_MODE: failMode,
      RATE_LIMIT_STORE_TIMEOUT_MS: '200',
      RATE_LIMIT_REDIS_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
    });
    try {
      await run(server, redis);
    } finally {
      await server.close();
    }
  }

  const statusesOf = async (server: TestServer, count: number) => {
    const results = [];
    for (let i = 0; i < count; i += 1) results.push(await request(server.url, { path: '/v1' }));
    return results;
  };

  const eventsOf = (server: TestServer, event: string) => server.logLines().filter((line) => line['event'] === event);

  async function recovers(server: TestServer, redis: ThrowawayRedis): Promise<void> {
    await redis.restart();
    const deadline = Date.now() + 10_000;
    while (eventsOf(server, 'ratelimit.store_recovered').length === 0 && Date.now() < deadline) {
      await request(server.url, { path: '/v1' });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(eventsOf(server, 'ratelimit.store_recovered').length, 1, 'recovery logged once');
    assert.equal(eventsOf(server, 'ratelimit.store_degraded').length, 1, 'switch logged once');
    // Back on the (fresh) Redis: counting starts again there.
    const res = await request(server.url, { path: '/v1' });
    assert.match(String(res.headers['ratelimit']), /^"api";r=\d+;t=\d+$/);
  }

  it('closed: 503 problem+json with Retry-After while Redis is down, never a 500 or a hang', async (t) => {
    if (redis === undefined) return t.skip('no redis-server');
    await withServer('closed', async (server, redis) => {
      assert.equal((await request(server.url, { path: '/v1' })).status, 200);
      await redis.kill();
      const started = Date.now();
      const down = await statusesOf(server, 10);
      assert.ok(Date.now() - started < 5_000, 'bounded: no request waits long for a dead store');
      for (const res of down) {
        assert.equal(res.status, 503);
        assert.equal(res.json()['code'], 'ratelimit.unavailable');
        assert.ok(Number(res.headers['retry-after']) >= 1);
      }
      assert.equal((await request(server.url, { path: '/health' })).status, 200);
      assert.ok(!server.logText().includes('"statusCode":500'));
      await recovers(server, redis);
    });
  });

  it('open: admits while Redis is down, without RateLimit remaining', async (t) => {
    if (redis === undefined) return t.skip('no redis-server');
    await withServer('open', async (server, redis) => {
      await redis.kill();
      const down = await statusesOf(server, 12);
      for (const res of down) {
        assert.equal(res.status, 200);
        assert.equal(res.headers['ratelimit'], undefined);
        assert.equal(res.headers['ratelimit-policy'], '"api";q=5;w=60');
      }
      await recovers(server, redis);
    });
  });

  it('local: keeps limiting in process while Redis is down', async (t) => {
    if (redis === undefined) return t.skip('no redis-server');
    await withServer('local', async (server, redis) => {
      await redis.kill();
      const down = await statusesOf(server, 8);
      assert.deepEqual(down.map((res) => res.status), [200, 200, 200, 200, 200, 429, 429, 429]);
      await recovers(server, redis);
    });
  });
});
