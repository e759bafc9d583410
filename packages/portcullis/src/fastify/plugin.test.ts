import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { portcullisPlugin, portcullisServerOptions } from './index.js';

describe('portcullisPlugin while shutting down', () => {
  it('answers requests that arrive after close() began with 503 problem+json and Connection: close', async () => {
    const options = { transport: { requireHttps: false }, logger: false as const };
    const app = Fastify(portcullisServerOptions(options));
    await app.register(portcullisPlugin, options);
    app.get('/ping', async () => ({ ok: true }));
    let releaseClose: () => void = () => undefined;
    // Holds close() between our preClose (which stops admitting) and the socket closing.
    app.addHook('preClose', (done) => {
      releaseClose = done;
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/ping`;
    assert.equal((await fetch(url)).status, 200);

    const closing = app.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const res = await fetch(url);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('connection'), 'close');
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal(((await res.json()) as Record<string, unknown>)['code'], 'service.shutting_down');
    releaseClose();
    await closing;
  });
});
