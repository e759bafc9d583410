import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { isPortcullisError, type ErrorCode } from '../errors/index.js';
import { createAddressPolicy } from './forbidden-addresses.js';
import { systemResolver } from './guarded-lookup.js';
import { createOutboundClient, type OutboundClient, type OutboundRefusal } from './outbound-client.js';
import { connectionRecorder, publicLikeServer, scriptedResolver, type ConnectionRecorder, type PublicLikeServer } from './outbound.test-helpers.js';

// V7 over real loopback sockets. The forbidden targets are listeners that count connections:
// every refusal below must happen before a single TCP connection reaches them.

const SECRET = 's3cr3t-token-value';

async function refusedWith(client: OutboundClient, url: string, code: ErrorCode, init: Parameters<OutboundClient['request']>[1] = {}): Promise<void> {
  await assert.rejects(client.request(url, init), (error: unknown) => {
    assert.ok(isPortcullisError(error), `${url}: not a coded error: ${String(error)}`);
    assert.equal(error.code, code, `${url}: expected ${code}, got ${error.code} (${error.message})`);
    for (const text of [error.message, error.detail ?? '', JSON.stringify(error)]) assert.ok(!text.includes(SECRET), `${url}: the error echoes the URL's secret`);
    return true;
  });
}

describe('outbound client: the SSRF corpus', () => {
  let loopback: ConnectionRecorder;
  let strict: OutboundClient;
  let systemDns: OutboundClient;
  const refusals: OutboundRefusal[] = [];
  const dns = scriptedResolver({
    'internal.test': [['127.0.0.1']],
    'metadata.test': [['169.254.169.254']],
    'private.test': [['10.0.0.5']],
    'mixed.test': [['93.184.215.14', '127.0.0.1']],
    'mixed-v6.test': [['2606:4700:4700::1111', 'fd00::1']],
    'loopback6.test': [['::1']],
    'mapped.test': [['::ffff:127.0.0.1']],
    'nat64.test': [['64:ff9b::7f00:1']],
    'cgnat.test': [['100.100.100.100']],
    'garbage.test': [['not-an-address']],
    'empty.test': [[]],
  });

  before(async () => {
    loopback = await connectionRecorder('127.0.0.1');
    strict = createOutboundClient({ allowedPorts: [80, 443, loopback.port], resolver: dns.resolve, onRefused: (refusal) => refusals.push(refusal) });
    systemDns = createOutboundClient({ allowedPorts: [80, 443, loopback.port] });
  });
  after(() => loopback.close());

  const P = () => loopback.port;
  const corpus = (): [string, ErrorCode][] => [
    // Loopback in every spelling WHATWG URL parsing folds to 127.0.0.1.
    [`http://127.0.0.1:${P()}/?token=${SECRET}`, 'outbound.address_refused'],
    [`http://2130706433:${P()}/`, 'outbound.address_refused'],
    [`http://0x7f.0.0.1:${P()}/`, 'outbound.address_refused'],
    [`http://0x7f000001:${P()}/`, 'outbound.address_refused'],
    [`http://017700000001:${P()}/`, 'outbound.address_refused'],
    [`http://0177.0.0.1:${P()}/`, 'outbound.address_refused'],
    [`http://127.1:${P()}/`, 'outbound.address_refused'],
    [`http://127.0.0.1.:${P()}/`, 'outbound.address_refused'],
    [`http://%31%32%37.0.0.1:${P()}/`, 'outbound.address_refused'],
    [`http://127.127.127.127:${P()}/`, 'outbound.address_refused'],
    [`http://0:${P()}/`, 'outbound.address_refused'],
    [`http://0.0.0.0:${P()}/`, 'outbound.address_refused'],
    // IPv6 loopback, unspecified, and IPv4 hidden inside IPv6.
    [`http://[::1]:${P()}/`, 'outbound.address_refused'],
    [`http://[::]:${P()}/`, 'outbound.address_refused'],
    [`http://[::ffff:127.0.0.1]:${P()}/`, 'outbound.address_refused'],
    [`http://[0:0:0:0:0:ffff:7f00:1]:${P()}/`, 'outbound.address_refused'],
    [`http://[::127.0.0.1]:${P()}/`, 'outbound.address_refused'],
    [`http://[64:ff9b::127.0.0.1]:${P()}/`, 'outbound.address_refused'],
    [`http://[64:ff9b:1:7f00:0:100::]:${P()}/`, 'outbound.address_refused'],
    [`http://[2002:7f00:1::1]:${P()}/`, 'outbound.address_refused'],
    [`http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:${P()}/`, 'outbound.address_refused'],
    [`http://[::ffff:169.254.169.254]/latest/meta-data/`, 'outbound.address_refused'],
    [`http://[::ffff:a9fe:a9fe]/`, 'outbound.address_refused'],
    // Private, link-local (cloud metadata), CGNAT, multicast, reserved, broadcast, documentation, benchmarking.
    ['http://10.0.0.1/', 'outbound.address_refused'],
    ['http://172.16.0.1/', 'outbound.address_refused'],
    ['http://192.168.1.1/', 'outbound.address_refused'],
    ['http://169.254.169.254/latest/meta-data/iam/', 'outbound.address_refused'],
    ['http://100.64.0.1/', 'outbound.address_refused'],
    ['http://224.0.0.1/', 'outbound.address_refused'],
    ['http://240.0.0.1/', 'outbound.address_refused'],
    ['http://255.255.255.255/', 'outbound.address_refused'],
    ['http://192.0.2.1/', 'outbound.address_refused'],
    ['http://198.51.100.1/', 'outbound.address_refused'],
    ['http://203.0.113.1/', 'outbound.address_refused'],
    ['http://198.18.0.1/', 'outbound.address_refused'],
    ['http://192.0.0.8/', 'outbound.address_refused'],
    ['http://[fc00::1]/', 'outbound.address_refused'],
    ['http://[fd12:3456::1]/', 'outbound.address_refused'],
    ['http://[fe80::1]/', 'outbound.address_refused'],
    ['http://[fec0::1]/', 'outbound.address_refused'],
    ['http://[ff02::1]/', 'outbound.address_refused'],
    ['http://[2001:db8::1]/', 'outbound.address_refused'],
    // Names that resolve into forbidden space (the scripted resolver plays the hostile DNS).
    [`http://internal.test:${P()}/?token=${SECRET}`, 'outbound.address_refused'],
    ['http://metadata.test/latest/meta-data/', 'outbound.address_refused'],
    ['https://private.test/', 'outbound.address_refused'],
    [`http://mixed.test:${P()}/`, 'outbound.address_refused'],
    ['http://mixed-v6.test/', 'outbound.address_refused'],
    [`http://loopback6.test:${P()}/`, 'outbound.address_refused'],
    [`http://mapped.test:${P()}/`, 'outbound.address_refused'],
    [`http://nat64.test:${P()}/`, 'outbound.address_refused'],
    ['http://cgnat.test/', 'outbound.address_refused'],
    ['http://garbage.test/', 'outbound.address_refused'],
    ['http://empty.test/', 'outbound.dns_failed'],
    ['http://nxdomain.test/', 'outbound.dns_failed'],
    // Schemes, credentials and ports.
    ['ftp://example.com/', 'outbound.scheme_refused'],
    ['file:///etc/passwd', 'outbound.scheme_refused'],
    [`gopher://127.0.0.1:${P()}/_SET%20x`, 'outbound.scheme_refused'],
    ['dict://127.0.0.1:11211/stat', 'outbound.scheme_refused'],
    ['ws://example.com/', 'outbound.scheme_refused'],
    ['data:text/plain,hello', 'outbound.scheme_refused'],
    ['javascript:alert(1)', 'outbound.scheme_refused'],
    [`http://user:${SECRET}@example.com/`, 'outbound.credentials_refused'],
    [`https://${SECRET}@example.com/`, 'outbound.credentials_refused'],
    ['http://example.com:22/', 'outbound.port_refused'],
    ['http://example.com:6379/', 'outbound.port_refused'],
    ['https://example.com:8443/', 'outbound.port_refused'],
    ['not a url', 'outbound.url_invalid'],
    ['http://[fe80::1%25eth0]/', 'outbound.url_invalid'],
  ];

  it('refuses every URL of the corpus with its code, echoing nothing, and connects to none', async () => {
    const urls = corpus();
    assert.ok(urls.length >= 40, `the corpus has ${urls.length} URLs`);
    for (const [url, code] of urls) await refusedWith(strict, url, code);
    assert.equal(loopback.connections(), 0, 'a refused URL reached the loopback listener');
  });

  it('refuses localhost by its name, before any lookup, with the real system resolver configured', async () => {
    await refusedWith(systemDns, `http://localhost:${P()}/`, 'outbound.address_refused');
    assert.equal(loopback.connections(), 0);
  });

  it('refuses a name the operating system resolves to a forbidden address (the machine name), after the lookup', async (t) => {
    // A name that is not local-only by its spelling, so it reaches getaddrinfo (/etc/hosts, then
    // DNS); most machines map their own name to a loopback or private address there.
    const name = hostname();
    const answers = await systemResolver(name).catch(() => []);
    const policy = createAddressPolicy();
    if (isIP(name) !== 0 || answers.length === 0 || !answers.some((answer) => policy.refusal(answer.address) !== undefined)) {
      t.skip(`SKIPPED: this machine's name (${name}) does not resolve to a forbidden address: ${JSON.stringify(answers)}`);
      return;
    }
    await assert.rejects(systemDns.request(`http://${name}:${P()}/`), (error: unknown) => {
      assert.ok(isPortcullisError(error));
      assert.equal(error.code, 'outbound.address_refused');
      assert.match(error.detail ?? '', /resolves to/, 'refused for what the system resolver answered, not for the name');
      return true;
    });
    assert.equal(loopback.connections(), 0);
  });

  it('reports each refusal by the rules with the host only, never the path or query', () => {
    assert.ok(refusals.length >= 40);
    for (const refusal of refusals) {
      assert.ok(!JSON.stringify(refusal).includes(SECRET));
      assert.ok(!refusal.host.includes('/'));
    }
    assert.ok(refusals.some((refusal) => refusal.host === 'internal.test' && refusal.code === 'outbound.address_refused'));
    assert.ok(!refusals.some((refusal) => refusal.code === 'outbound.dns_failed'), 'a failed lookup is not an SSRF refusal');
  });
});

describe('outbound client: redirects, rebinding, limits', () => {
  let publicLike: PublicLikeServer;
  let forbidden: ConnectionRecorder;
  let client: OutboundClient;
  const dns = scriptedResolver(
    {
      'public.test': [['127.0.0.1']],
      'internal.test': [['127.0.0.2']],
      'rebind.test': [['127.0.0.1'], ['127.0.0.2']],
      'mixed.test': [['127.0.0.1', '127.0.0.2']],
      'slow-dns.test': [['127.0.0.1']],
    },
    { 'slow-dns.test': 2_000 },
  );
  const connected: string[] = [];

  before(async () => {
    publicLike = await publicLikeServer();
    forbidden = await connectionRecorder('127.0.0.2');
    // 127.0.0.1 plays the public internet; 127.0.0.2 stays forbidden (loopback).
    client = createOutboundClient({
      allowedPorts: [80, 443, publicLike.port, forbidden.port],
      allowAddresses: ['127.0.0.1'],
      resolver: dns.resolve,
      connectTimeoutMs: 300,
      timeoutMs: 2_000,
      maxResponseBytes: 64 * 1024,
      onLookup: (_host, addresses) => connected.push(...addresses.map((entry) => entry.address)),
    });
  });
  after(async () => {
    await publicLike.close();
    await forbidden.close();
  });

  const redirectTo = (to: string, status = 302) => `${publicLike.base}/redirect?status=${status}&to=${encodeURIComponent(to)}`;

  it('reaches an allowed host and answers status, headers and body', async () => {
    const res = await client.request(`${publicLike.base}/ok`);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), '{"ok":true}');
    assert.equal(res.redirects, 0);
  });

  it('opens a fresh connection for every call, so each one passes the connect-time lookup check', async () => {
    // The server offers keep-alive; a pooled socket would let a second call skip the lookup (and
    // reach whatever a rebinding name now points to). Sequential calls, after the first has ended.
    const connectionsBefore = publicLike.connections();
    const lookupsBefore = dns.calls('public.test');
    for (let call = 0; call < 2; call++) {
      const res = await client.request(`http://public.test:${publicLike.port}/ok`);
      assert.equal(res.status, 200);
    }
    assert.equal(publicLike.connections() - connectionsBefore, 2, 'two calls, two TCP connections');
    assert.equal(dns.calls('public.test') - lookupsBefore, 2, 'each connection resolved and checked the name');
  });

  it('refuses redirects into forbidden space, by literal, by name and by spelling', async () => {
    const F = forbidden.port;
    for (const to of [`http://127.0.0.2:${F}/`, `http://internal.test:${F}/`, `http://[::ffff:127.0.0.2]:${F}/`, `http://2130706434:${F}/`, 'http://169.254.169.254/latest/meta-data/']) {
      await refusedWith(client, redirectTo(to), 'outbound.address_refused');
    }
    await refusedWith(client, redirectTo('file:///etc/passwd'), 'outbound.scheme_refused');
    await refusedWith(client, redirectTo('http://127.0.0.1:22/'), 'outbound.port_refused');
    await refusedWith(client, redirectTo(`http://user:${SECRET}@127.0.0.1:${publicLike.port}/ok`), 'outbound.credentials_refused');
    await refusedWith(client, redirectTo(''), 'outbound.redirect_invalid');
    assert.equal(forbidden.connections(), 0);
  });

  it('follows at most 3 redirects, then refuses with outbound.too_many_redirects', async () => {
    const three = await client.request(`${publicLike.base}/chain/3`);
    assert.equal(three.status, 200);
    assert.equal(three.redirects, 3);
    await refusedWith(client, `${publicLike.base}/chain/4`, 'outbound.too_many_redirects');
    await refusedWith(client, `${publicLike.base}/chain/1`, 'outbound.too_many_redirects', { maxRedirects: 0 });
    assert.throws(() => createOutboundClient({ maxRedirects: 4 }), { code: 'config.invalid' });
  });

  it('checks and connects to one resolution: a rebinding name cannot swap addresses in between', async () => {
    const first = await client.request(`http://rebind.test:${publicLike.port}/ok`);
    assert.equal(first.status, 200);
    assert.equal(dns.calls('rebind.test'), 1, 'one resolution per connection, the one that was checked');
    await refusedWith(client, `http://rebind.test:${forbidden.port}/`, 'outbound.address_refused');
    await refusedWith(client, redirectTo(`http://rebind.test:${forbidden.port}/`), 'outbound.address_refused');
    await refusedWith(client, `http://mixed.test:${publicLike.port}/ok`, 'outbound.address_refused');
    assert.equal(forbidden.connections(), 0);
    assert.ok(!connected.includes('127.0.0.2'), 'a forbidden address was handed to a socket');
  });

  it('never sends credential headers across origins, and keeps them on the same origin', async () => {
    const headers = { authorization: `Bearer ${SECRET}`, cookie: `session=${SECRET}`, 'x-api-key': SECRET, 'x-trace': 'kept' };
    const sameOrigin = await client.request(redirectTo(`${publicLike.base}/echo`), { headers, credentialHeaders: ['X-Api-Key'] });
    const same = JSON.parse(sameOrigin.body.toString()) as { headers: Record<string, string> };
    assert.equal(same.headers['authorization'], `Bearer ${SECRET}`);
    assert.equal(same.headers['x-api-key'], SECRET);

    const crossOrigin = await client.request(redirectTo(`http://public.test:${publicLike.port}/echo`), { headers, credentialHeaders: ['X-Api-Key'] });
    const cross = JSON.parse(crossOrigin.body.toString()) as { headers: Record<string, string> };
    for (const name of ['authorization', 'cookie', 'x-api-key']) assert.equal(cross.headers[name], undefined, name);
    assert.equal(cross.headers['x-trace'], 'kept');
    assert.equal(cross.headers['host'], `public.test:${publicLike.port}`);
  });

  it('turns a POST into a GET without body on 303, and keeps it on 307', async () => {
    const init = { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } };
    const see = JSON.parse((await client.request(redirectTo(`${publicLike.base}/echo`, 303), init)).body.toString()) as { method: string; body: string; headers: Record<string, string> };
    assert.equal(see.method, 'GET');
    assert.equal(see.body, '');
    assert.equal(see.headers['content-type'], undefined);
    const temporary = JSON.parse((await client.request(redirectTo(`${publicLike.base}/echo`, 307), init)).body.toString()) as { method: string; body: string };
    assert.equal(temporary.method, 'POST');
    assert.equal(temporary.body, '{"a":1}');
  });

  it('refuses a 307/308 that would replay a request body to another origin, and records nothing sent there', async () => {
    const init = { method: 'POST', body: `{"token":"${SECRET}"}`, headers: { 'content-type': 'application/json' } };
    for (const status of [307, 308]) {
      const before = publicLike.seen.length;
      await refusedWith(client, redirectTo(`http://public.test:${publicLike.port}/echo?status=${status}`, status), 'outbound.redirect_refused', init);
      const after = publicLike.seen.slice(before);
      assert.deepEqual(after.map((entry) => entry.path.split('?')[0]), ['/redirect'], `only the first hop was sent (${status})`);
    }
    // Without a body, or on the same origin, the redirect is still followed.
    const get = await client.request(redirectTo(`http://public.test:${publicLike.port}/echo`, 307));
    assert.equal((JSON.parse(get.body.toString()) as { method: string }).method, 'GET');
    const same = await client.request(redirectTo(`${publicLike.base}/echo`, 308), init);
    assert.equal((JSON.parse(same.body.toString()) as { body: string }).body, init.body);
  });

  it('times out a connection that cannot be made in time (slow DNS included)', async () => {
    const started = Date.now();
    await refusedWith(client, `http://slow-dns.test:${publicLike.port}/ok`, 'outbound.timeout');
    assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`);
  });

  it('times out an answer that never comes, or trickles past the total deadline', async () => {
    let started = Date.now();
    await refusedWith(client, `${publicLike.base}/slow`, 'outbound.timeout', { timeoutMs: 300 });
    assert.ok(Date.now() - started < 1_500);
    started = Date.now();
    await refusedWith(client, `${publicLike.base}/drip`, 'outbound.timeout', { timeoutMs: 400 });
    assert.ok(Date.now() - started < 1_500);
  });

  it('aborts answers over the size cap, declared or streamed', async () => {
    await refusedWith(client, `${publicLike.base}/big?bytes=${128 * 1024}`, 'outbound.response_too_large');
    const abortedBefore = publicLike.aborted();
    await refusedWith(client, `${publicLike.base}/stream?bytes=${64 * 1024 * 1024}`, 'outbound.response_too_large');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(publicLike.aborted() > abortedBefore, 'the connection was cut, not read to the end');
    const small = await client.request(`${publicLike.base}/big?bytes=${64 * 1024}`);
    assert.equal(small.body.length, 64 * 1024);
    await refusedWith(client, `${publicLike.base}/big?bytes=2048`, 'outbound.response_too_large', { maxResponseBytes: 1024 });
  });

  it('refuses plain http on any hop when https is required', async () => {
    await refusedWith(client, `${publicLike.base}/ok`, 'outbound.scheme_refused', { httpsOnly: true });
  });

  it('maps a refused connection to outbound.connect_failed', async () => {
    const closed = await connectionRecorder('127.0.0.1');
    const port = closed.port;
    await closed.close();
    const local = createOutboundClient({ allowedPorts: [port], allowAddresses: ['127.0.0.1'] });
    await refusedWith(local, `http://127.0.0.1:${port}/`, 'outbound.connect_failed');
  });

  it('refuses bad options at construction', () => {
    for (const options of [{ allowedPorts: [0] }, { allowedPorts: [70000] }, { timeoutMs: 0 }, { connectTimeoutMs: -1 }, { maxResponseBytes: 1.5 }, { allowAddresses: ['example.com'] }]) {
      assert.throws(() => createOutboundClient(options), { code: 'config.invalid' }, JSON.stringify(options));
    }
  });
});
