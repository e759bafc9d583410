import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { policy } from '../authz/index.js';
import { portcullisPlugin, portcullisServerOptions, type PortcullisFastifyOptions } from '../fastify/index.js';
import { createRateLimitPolicy } from '../ratelimit/index.js';
import { PortcullisMetrics } from './metrics.js';

async function appWith(metrics: PortcullisMetrics | undefined) {
  const strict = createRateLimitPolicy({ name: 'strict', limit: { algorithm: 'fixed-window', limit: 1, windowMs: 60_000 } });
  const options: PortcullisFastifyOptions = { transport: { requireHttps: false }, logger: false, loadShedding: false, ...(metrics === undefined ? {} : { metrics }) };
  const app = Fastify(portcullisServerOptions(options));
  await app.register(portcullisPlugin, options);
  app.get('/items/:id', { config: { portcullis: { policy: policy.public(), rateLimit: { limits: [{ policy: strict }] } } } }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('metrics (E5)', () => {
  it('records by route pattern with cached children, counts 429s by policy, and keeps apps apart', async () => {
    const first = new PortcullisMetrics();
    const second = new PortcullisMetrics({ auditQueueDepth: () => 7 });
    const app = await appWith(first);
    const other = await appWith(second);
    assert.equal((await app.inject({ url: '/items/1' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/items/2' })).statusCode, 429);
    assert.equal((await app.inject({ url: '/elsewhere/3' })).statusCode, 404);
    const text = await first.scrape();
    assert.match(text, /^portcullis_http_requests_total\{route="\/items\/:id",method="GET",status="200"\} 1$/m);
    assert.match(text, /^portcullis_http_requests_total\{route="\/items\/:id",method="GET",status="429"\} 1$/m);
    assert.match(text, /^portcullis_http_requests_total\{route="\(unmatched\)",method="GET",status="404"\} 1$/m);
    assert.match(text, /^portcullis_ratelimit_refusals_total\{policy="strict"\} 1$/m);
    assert.match(text, /^portcullis_ratelimit_store_up\{policy="strict"\} 1$/m);
    assert.doesNotMatch(text, /\/items\/[12]|elsewhere/, 'never a raw URL');
    assert.doesNotMatch(text, /audit_queue_depth/, 'no gauge without a depth source');
    const otherText = await second.scrape();
    assert.doesNotMatch(otherText, /portcullis_http_requests_total\{/, 'the second app saw no traffic');
    assert.match(otherText, /^portcullis_audit_queue_depth 7$/m);
    await Promise.all([app.close(), other.close()]);
  });

  it('adds no hook at all when the app has no metrics', async () => {
    const off = await appWith(undefined);
    const on = await appWith(new PortcullisMetrics());
    const hooksOf = (app: typeof off) => app.printRoutes({ includeHooks: true, commonPrefix: false });
    assert.doesNotMatch(hooksOf(off), /recordResponse|recordUnmatched|countAuthFailure/);
    assert.match(hooksOf(on), /recordResponse/);
    await Promise.all([off.close(), on.close()]);
  });

  it('refuses a malformed prefix or bucket list', () => {
    assert.throws(() => new PortcullisMetrics({ prefix: 'bad-prefix' }), /prefix/);
    assert.throws(() => new PortcullisMetrics({ latencyBuckets: [1, 0.5] }), /latencyBuckets/);
  });
});
