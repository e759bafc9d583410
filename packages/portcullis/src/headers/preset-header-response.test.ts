import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { PRESET_HEADERS_SUPPORTED, PresetHeaderResponse, presetHeaderBlock } from './preset-header-response.js';

const PRESET = Object.freeze({ 'x-frame-options': 'DENY', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });

/** The raw head lines of one response to `GET path`, as sent on the wire. */
function rawHead(port: number, path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n')));
    socket.on('error', reject);
  });
}

/** Every value sent for `name`, compared without case as HTTP does. */
function values(head: string[], name: string): string[] {
  return head.filter((line) => line.toLowerCase().startsWith(`${name}:`)).map((line) => line.slice(name.length + 1).trim());
}

const routes: Record<string, (res: ServerResponse) => void> = {
  '/plain': (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
  '/implicit': (res) => res.end('ok'),
  '/reason': (res) => res.writeHead(201, 'Made', { 'content-type': 'text/plain' }).end('ok'),
  '/override-object': (res) => res.writeHead(200, { 'Cache-Control': 'public, max-age=60' }).end('ok'),
  '/override-set': (res) => {
    res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    res.end('ok');
  },
  '/override-flat': (res) => res.writeHead(200, ['cache-control', 'private', 'x-other', '1']).end('ok'),
  '/override-nested': (res) => res.writeHead(200, [['X-Content-Type-Options', 'nosniff']] as unknown as string[]).end('ok'),
  '/removed-then-set': (res) => {
    res.setHeader('cache-control', 'private');
    res.removeHeader('cache-control');
    res.end('ok');
  },
};

describe('PresetHeaderResponse', () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer({ ServerResponse: PresetHeaderResponse }, (req, res) => {
      if (req.url !== '/none') (res as PresetHeaderResponse).presetHeaders = presetHeaderBlock(PRESET);
      (routes[req.url ?? ''] ?? routes['/plain']!)(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('this Node builds its response head the way the block is joined to', () => {
    assert.equal(PRESET_HEADERS_SUPPORTED, true, 'on a Node where this fails the adapter falls back to per-header writes');
  });

  for (const path of ['/plain', '/implicit', '/reason']) {
    it(`sends every preset header exactly once, after Node's own (${path})`, async () => {
      const head = await rawHead(port, path);
      assert.match(head[0]!, path === '/reason' ? /^HTTP\/1\.1 201 Made$/ : /^HTTP\/1\.1 200 OK$/);
      for (const [name, value] of Object.entries(PRESET)) assert.deepEqual(values(head, name), [value], name);
      assert.equal(values(head, 'connection').length, 1);
      assert.equal(head.filter((line) => line === '').length, 0, 'no empty line inside the head');
    });
  }

  const overrides: [string, string, string][] = [
    ['/override-object', 'cache-control', 'public, max-age=60'],
    ['/override-set', 'x-frame-options', 'SAMEORIGIN'],
    ['/override-flat', 'cache-control', 'private'],
    ['/override-nested', 'x-content-type-options', 'nosniff'],
  ];
  for (const [path, name, value] of overrides) {
    it(`a header the response sets itself replaces the preset one, in any case and form (${path})`, async () => {
      const head = await rawHead(port, path);
      assert.deepEqual(values(head, name), [value]);
      for (const [other, otherValue] of Object.entries(PRESET)) {
        if (other !== name) assert.deepEqual(values(head, other), [otherValue], other);
      }
    });
  }

  it('a header set and then removed leaves the preset one in place', async () => {
    assert.deepEqual(values(await rawHead(port, '/removed-then-set'), 'cache-control'), ['no-store']);
  });

  it('a response without a block is untouched', async () => {
    const head = await rawHead(port, '/none');
    for (const name of Object.keys(PRESET)) assert.deepEqual(values(head, name), [], name);
  });
});

describe('presetHeaderBlock', () => {
  it('builds the lines once per header map', () => {
    const block = presetHeaderBlock(PRESET);
    assert.equal(presetHeaderBlock(PRESET), block);
    assert.equal(block.text, 'x-frame-options: DENY\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\n');
  });

  it('refuses what Node would refuse (header injection, bad names) and upper-case names', () => {
    assert.throws(() => presetHeaderBlock({ 'x-a': 'ok\r\nset-cookie: stolen=1' }), { code: 'ERR_INVALID_CHAR' });
    assert.throws(() => presetHeaderBlock({ 'x a': 'v' }), { code: 'ERR_INVALID_HTTP_TOKEN' });
    assert.throws(() => presetHeaderBlock({ 'X-Frame-Options': 'DENY' }), /lower-case/);
  });
});
