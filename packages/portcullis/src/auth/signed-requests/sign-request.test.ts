import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPortcullisError } from '../../errors/index.js';
import { signRequest } from './sign-request.js';
import { parseSignatureHeader } from './signature-format.js';

const SECRET = 'portcullis-test-vector-secret-32b';
const at = (ms: number) => () => ms;

describe('signRequest', () => {
  it('produces the documented test vector, computed independently with openssl', () => {
    const headers = signRequest({
      secret: SECRET,
      method: 'POST',
      pathWithQuery: '/v1/orders?b=2&a=1',
      body: '{"amount":100}',
      now: at(1_700_000_000_999),
      nonce: 'k3Jq9xVt2LmP0aZb',
    });
    assert.deepEqual(headers, { 'portcullis-signature': 't=1700000000, n=k3Jq9xVt2LmP0aZb, v1=jbHio6ooQEzo7mymr2WCpuVUw4tRmrki8TTxvuv_9rY' });
  });

  it('signs the same with the secret as a string or as its UTF-8 bytes, and with the body as a string or bytes', () => {
    const base = { method: 'PUT', pathWithQuery: '/x', now: at(5_000), nonce: 'AAAAAAAAAAAAAAAA' };
    const a = signRequest({ ...base, secret: SECRET, body: 'héllo' });
    const b = signRequest({ ...base, secret: new TextEncoder().encode(SECRET), body: Buffer.from('héllo', 'utf8') });
    assert.deepEqual(a, b);
  });

  it('draws a fresh 128-bit nonce from the CSPRNG for each request by default', () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 1000; i += 1) {
      const { nonce } = parseSignatureHeader(signRequest({ secret: SECRET, method: 'GET', pathWithQuery: '/' })['portcullis-signature']);
      assert.match(nonce, /^[A-Za-z0-9_-]{22}$/);
      nonces.add(nonce);
    }
    assert.equal(nonces.size, 1000);
  });

  it('uses whole seconds of the clock it is given', () => {
    const { timestamp } = parseSignatureHeader(signRequest({ secret: SECRET, method: 'GET', pathWithQuery: '/', now: at(1_234_567_890_500) })['portcullis-signature']);
    assert.equal(timestamp, 1_234_567_890);
  });

  it('refuses a short secret, an unsignable method or path, and a nonce outside the format, as config.invalid', () => {
    const base = { secret: SECRET, method: 'GET', pathWithQuery: '/' };
    for (const bad of [
      { secret: 'x'.repeat(31) },
      { secret: new Uint8Array(31) },
      { secret: '' },
      { method: 'GET /admin' },
      { pathWithQuery: '/a\nb' },
      { pathWithQuery: '' },
      { nonce: 'too-short' },
      { nonce: 'has spaces in it, sixteen+' },
    ]) {
      assert.throws(
        () => signRequest({ ...base, ...bad }),
        (error) => isPortcullisError(error) && error.code === 'config.invalid' && !String(error.detail).includes(SECRET),
      );
    }
  });
});
