import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { PortcullisError } from '../errors/index.js';
import { createAuthenticateHook, type AccessPrincipal } from './authenticate.js';
import { portcullisPlugin } from './plugin.js';

const PRINCIPAL: AccessPrincipal = { userId: 'u1', role: 'user', sessionId: 's1', tokenId: 'j1', expiresAt: 2_000_000_000 };

async function appWith(revoked = false) {
  const app = Fastify();
  await app.register(portcullisPlugin, { transport: { requireHttps: false }, logger: false, loadShedding: false });
  app.decorateRequest('principal', undefined);
  const authenticate = createAuthenticateHook({
    verify: (token) => {
      if (token === 'good.token.sig') return PRINCIPAL;
      if (token === 'old.token.sig') throw new PortcullisError('auth.token_expired');
      throw new PortcullisError('auth.token_invalid', { detail: 'signature mismatch' });
    },
    isRevoked: () => revoked,
  });
  app.get('/me', { onRequest: authenticate }, async (request) => request.principal);
  return app;
}

describe('authenticate hook', () => {
  it('puts the verified principal on the request', async () => {
    const app = await appWith();
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const res = await app.inject({ url: '/me', headers: { authorization: `${scheme} good.token.sig` } });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), PRINCIPAL);
    }
  });

  it('answers 401 with an RFC 6750 challenge, and says which check failed only by code', async () => {
    const app = await appWith();
    const cases: [Record<string, string>, string, boolean][] = [
      [{}, 'auth.unauthenticated', false],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'auth.token_invalid', true],
      [{ authorization: 'Bearer' }, 'auth.token_invalid', true],
      [{ authorization: 'Bearer  good.token.sig' }, 'auth.token_invalid', true],
      [{ authorization: `Bearer ${'a'.repeat(9000)}` }, 'auth.token_invalid', true],
      [{ authorization: 'Bearer forged.token.sig' }, 'auth.token_invalid', true],
      [{ authorization: 'Bearer old.token.sig' }, 'auth.token_expired', true],
    ];
    for (const [headers, code, invalidToken] of cases) {
      const res = await app.inject({ url: '/me', headers });
      assert.equal(res.statusCode, 401, code);
      assert.equal(res.json()['code'], code);
      assert.equal(res.headers['www-authenticate'], invalidToken ? 'Bearer realm="api", error="invalid_token"' : 'Bearer realm="api"');
      assert.ok(!res.body.includes('signature mismatch'), 'the verifier detail stays server-side');
    }
  });

  it('refuses a revoked token', async () => {
    const res = await (await appWith(true)).inject({ url: '/me', headers: { authorization: 'Bearer good.token.sig' } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json()['code'], 'auth.token_revoked');
  });

  it('never reads a token from the query string or a cookie', async () => {
    const app = await appWith();
    const res = await app.inject({ url: '/me?access_token=good.token.sig', headers: { cookie: 'access_token=good.token.sig' } });
    assert.equal(res.json()['code'], 'auth.unauthenticated');
  });

  it('refuses a realm that would break the challenge header', () => {
    assert.throws(() => createAuthenticateHook({ verify: () => PRINCIPAL, realm: 'a"b' }), { code: 'config.invalid' });
  });
});
