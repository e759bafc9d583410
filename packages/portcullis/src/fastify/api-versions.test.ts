import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { versionLifecycle } from '../headers/index.js';
import { applyApiVersion } from './api-versions.js';

// L2: the version's Link is added to a Link the route sets (RFC 8288 allows a comma-joined list),
// never replacing it nor replaced by it; Deprecation and Sunset go on every response of the version.

const MIGRATION = 'https://docs.example.com/migrate';
const VERSION_LINK = `<${MIGRATION}>; rel="deprecation"; type="text/html"`;
const NEXT_PAGE = '</v1/items?after=abc>; rel="next"';

async function appWith(spec: Parameters<typeof versionLifecycle>[1]) {
  const app = Fastify();
  applyApiVersion(app, '/v1', versionLifecycle('v1', spec));
  app.get('/v1/items', async (_request, reply) => {
    reply.header('link', NEXT_PAGE);
    return { items: [] };
  });
  app.get('/v1/pair', async (_request, reply) => {
    reply.header('link', ['</a>; rel="first"', '</b>; rel="last"']);
    return {};
  });
  app.get('/v1/plain', async () => ({}));
  app.get('/other', async (_request, reply) => {
    reply.header('link', NEXT_PAGE);
    return {};
  });
  await app.ready();
  return app;
}

describe('applyApiVersion: Link', () => {
  it("appends the version's Link to the route's own instead of overwriting it", async () => {
    const app = await appWith({ status: 'deprecated', deprecatedAt: new Date('2025-01-15T10:00:00Z'), link: MIGRATION });
    try {
      const items = await app.inject({ url: '/v1/items' });
      assert.equal(items.headers['link'], `${NEXT_PAGE}, ${VERSION_LINK}`);
      assert.equal(items.headers['deprecation'], '@1736935200');
      assert.equal((await app.inject({ url: '/v1/pair' })).headers['link'], `</a>; rel="first", </b>; rel="last", ${VERSION_LINK}`);
      assert.equal((await app.inject({ url: '/v1/plain' })).headers['link'], VERSION_LINK);
      assert.equal((await app.inject({ url: '/other' })).headers['link'], NEXT_PAGE, 'routes outside the version are left alone');
    } finally {
      await app.close();
    }
  });

  it('sends the Link once on the 410 of a retired version', async () => {
    const app = await appWith({ status: 'sunset', deprecatedAt: new Date('2025-01-15T10:00:00Z'), sunsetAt: new Date('2025-07-01T00:00:00Z'), link: MIGRATION });
    try {
      const res = await app.inject({ url: '/v1/plain' });
      assert.equal(res.statusCode, 410);
      assert.equal(res.headers['link'], VERSION_LINK);
    } finally {
      await app.close();
    }
  });
});
