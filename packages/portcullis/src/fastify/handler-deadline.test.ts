import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { portcullisPlugin, portcullisServerOptions, type PortcullisFastifyOptions } from './index.js';

/** Writes `payload` on one connection and resolves with the status of each of `responses` answers. */
function exchange(port: number, payload: string, responses: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(payload));
    const statuses: number[] = [];
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      for (;;) {
        const headEnd = text.indexOf('\r\n\r\n');
        if (headEnd === -1) return;
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? 0);
        if (text.length < headEnd + 4 + length) return;
        statuses.push(Number(text.slice(9, 12)));
        text = text.slice(headEnd + 4 + length);
        if (statuses.length === responses) {
          socket.end();
          resolve(statuses);
          return;
        }
      }
    });
    socket.on('error', reject);
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`timed out after statuses ${statuses.join(', ')}`));
    });
  });
}

describe('handler deadlines (Fastify)', () => {
  let app: FastifyInstance;
  let port = 0;
  before(async () => {
    const options: PortcullisFastifyOptions = { transport: { requireHttps: false }, logger: false, loadShedding: false, limits: { handlerTimeoutMs: 200 } };
    app = Fastify(portcullisServerOptions(options));
    await app.register(portcullisPlugin, options);
    app.get('/fast', async () => ({ ok: true }));
    app.get('/slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return { ok: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  after(() => app.close());

  it('answers a handler past its deadline with 503, and the connection stays usable', async () => {
    const started = Date.now();
    assert.deepEqual(await exchange(port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n', 2), [503, 200]);
    assert.ok(Date.now() - started < 1_200, 'answered at the deadline, not when the handler finished');
  });

  it('watches a pipelined request too, once the response before it has gone out', async () => {
    const started = Date.now();
    assert.deepEqual(await exchange(port, 'GET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n', 2), [200, 503]);
    assert.ok(Date.now() - started < 1_200, 'the queued request got its 503 at its deadline');
  });
});
