import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { isPortcullisError } from '../errors/index.js';
import { createOutboundClient, type OutboundClient } from './outbound-client.js';
import { scriptedResolver } from './outbound.test-helpers.js';
import { trustAnchors } from './trust-anchors.js';

// The outbound `ca` option adds trusted roots; it never replaces Node's bundled store (so a
// client configured for a private CA still verifies public certificates). Over real TLS: a server
// whose certificate is issued by an extra CA (made with openssl for this run) is trusted, one
// issued by another CA is not.

interface Pki {
  readonly caCert: Buffer;
  readonly otherCaCert: Buffer;
  readonly leafCert: Buffer;
  readonly leafKey: Buffer;
}

function makePki(): Pki | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-trust-anchors-'));
  const at = (name: string) => join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const caExt = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'];
  try {
    run(['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '1', '-subj', '/CN=Portcullis Test CA', ...caExt]);
    run(['req', '-x509', ...ec, '-keyout', at('other.key'), '-out', at('other.pem'), '-days', '1', '-subj', '/CN=Another Test CA', ...caExt]);
    run(['req', ...ec, '-keyout', at('leaf.key'), '-out', at('leaf.csr'), '-subj', '/CN=api.test']);
    writeFileSync(at('leaf.ext'), 'subjectAltName=DNS:api.test\nbasicConstraints=CA:FALSE\n');
    run(['x509', '-req', '-in', at('leaf.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('leaf.pem'), '-days', '1', '-extfile', at('leaf.ext')]);
    return { caCert: readFileSync(at('ca.pem')), otherCaCert: readFileSync(at('other.pem')), leafCert: readFileSync(at('leaf.pem')), leafKey: readFileSync(at('leaf.key')) };
  } catch (error) {
    if (process.env['CI'] === 'true') throw error;
    console.error('\n!!!!!! openssl not found: the TLS tests of the outbound ca option are SKIPPED !!!!!!\n');
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('trustAnchors', () => {
  it('adds the extra roots to every bundled root instead of replacing them', () => {
    const extra = '-----BEGIN CERTIFICATE-----\nextra\n-----END CERTIFICATE-----\n';
    for (const given of [extra, Buffer.from(extra), [extra]]) {
      const anchors = trustAnchors(given);
      assert.ok(anchors !== undefined);
      assert.equal(anchors.length, rootCertificates.length + 1);
      for (const root of rootCertificates) assert.ok(anchors.includes(root), 'a bundled root was dropped');
      assert.equal(String(anchors.at(-1)), extra);
    }
    assert.ok(rootCertificates.length > 50, 'Node ships its bundled roots');
    assert.equal(trustAnchors(undefined), undefined, 'no ca: Node keeps its default store');
  });
});

const pki = makePki();

describe('outbound client: ca over real TLS', { skip: pki === undefined }, () => {
  const material = pki ?? { caCert: Buffer.alloc(0), otherCaCert: Buffer.alloc(0), leafCert: Buffer.alloc(0), leafKey: Buffer.alloc(0) };
  let server: Server;
  let port = 0;
  const dns = scriptedResolver({ 'api.test': [['127.0.0.1']] });
  const clientWith = (ca?: Buffer | Buffer[]): OutboundClient =>
    createOutboundClient({ allowedPorts: [port], allowAddresses: ['127.0.0.1'], resolver: dns.resolve, timeoutMs: 2_000, ...(ca === undefined ? {} : { ca }) });

  before(async () => {
    server = createServer({ cert: material.leafCert, key: material.leafKey }, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const refusedTls = (client: OutboundClient) =>
    assert.rejects(client.request(`https://api.test:${port}/`), (error: unknown) => isPortcullisError(error) && error.code === 'outbound.tls_failed');

  it('trusts a server whose certificate the extra CA issued, alone or among others', async () => {
    for (const ca of [material.caCert, [material.otherCaCert, material.caCert]]) {
      const res = await clientWith(ca).request(`https://api.test:${port}/`);
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), '{"ok":true}');
    }
  });

  it('still refuses a certificate no trusted root issued', async () => {
    await refusedTls(clientWith());
    await refusedTls(clientWith(material.otherCaCert));
  });
});
