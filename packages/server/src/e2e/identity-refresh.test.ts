import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OutgoingHttpHeaders } from 'node:http';
import { describeEachDatabase } from '../test-support/databases.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import type { TestResponse } from '../test-support/http-client.js';
import { assertBearerRefused, assertProblem, AuthClient, decodeJwt, ROOMY_LIMITS, setCookies, tokensOf, type Account } from './identity.test-helpers.js';

// A4, T5 on each database: rotation, reuse detection revoking the family, exactly one winner of
// 50 concurrent refreshes (the compare-and-swap), and the cookie path with its CSRF defence.
describeEachDatabase('identity refresh tokens', (target) => {
  let server: TestServer;
  let client: AuthClient;
  before(async () => {
    server = await startTestServer({ ...ROOMY_LIMITS, DATABASE_URL: target.databaseUrl, CORS_ORIGINS: 'https://app.example.com' });
    client = new AuthClient(server.url);
  });
  after(() => server?.close());

  it('rotates on every use: a new refresh token and a working access token in the same session', async () => {
    const account = await client.register('rotate');
    const first = await client.signIn(account);
    const res = await client.refresh(first.refreshToken);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['set-cookie'], undefined, 'a body-mode refresh answers in the body');
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['accessToken', 'expiresIn', 'refreshExpiresIn', 'refreshToken', 'tokenType']);
    const next = tokensOf(res);
    assert.notEqual(next.refreshToken, first.refreshToken);
    assert.notEqual(next.accessToken, first.accessToken);
    assert.equal(decodeJwt(next.accessToken).payload['sid'], decodeJwt(first.accessToken).payload['sid']);
    assert.notEqual(decodeJwt(next.accessToken).payload['jti'], decodeJwt(first.accessToken).payload['jti']);
    assert.equal((await client.me(next.accessToken)).status, 200);
    // The chain continues.
    assert.equal((await client.refresh(next.refreshToken)).status, 200);
    assertProblem(await client.refresh('not-a-token-at-all'), 401, 'auth.refresh_invalid');
    assertProblem(await client.refresh('A'.repeat(43)), 401, 'auth.refresh_invalid');
    assertProblem(await client.post('/v1/auth/refresh', { refreshToken: next.refreshToken, extra: 1 }), 400, 'request.validation_failed');
  });

  it('reuse of a rotated token revokes the whole session and raises token_reuse', async () => {
    const account = await client.register('reuse');
    const stolen = await client.signIn(account);
    const other = await client.signIn(account);
    const rotated = tokensOf(await client.refresh(stolen.refreshToken));
    const sessionId = decodeJwt(rotated.accessToken).payload['sid'];
    assert.equal((await client.me(rotated.accessToken)).status, 200);

    assertProblem(await client.refresh(stolen.refreshToken), 401, 'auth.refresh_invalid');
    assertProblem(await client.refresh(rotated.refreshToken), 401, 'auth.refresh_invalid');
    assertBearerRefused(await client.me(rotated.accessToken), 'auth.token_revoked');
    assertBearerRefused(await client.me(stolen.accessToken), 'auth.token_revoked');
    const reuse = server.logLines().filter((line) => line['event'] === 'auth.token_reuse');
    assert.equal(reuse.length, 1);
    assert.equal(reuse[0]?.['userId'], account.id);
    assert.equal(reuse[0]?.['sid'], sessionId, 'the event names the session it revoked');
    assert.equal(reuse[0]?.['level'], 40);
    assert.equal(reuse[0]?.['clientAddress'], '127.0.0.1');
    // Only that session: the user's other session is untouched.
    assert.equal((await client.me(other.accessToken)).status, 200);
    assert.equal((await client.refresh(other.refreshToken)).status, 200);
    const live = (await client.send('GET', '/v1/auth/sessions', { token: other.accessToken })).json<{ sessions: { id: string }[] }>().sessions;
    assert.ok(!live.some((s) => s.id === sessionId));
  });

  it('50 concurrent refreshes of one token: exactly one 200', async () => {
    const account = await client.register('race');
    const { refreshToken } = await client.signIn(account);
    const results = await Promise.all(Array.from({ length: 50 }, () => client.refresh(refreshToken)));
    const statuses = results.map((res) => res.status);
    assert.equal(statuses.filter((status) => status === 200).length, 1, `statuses: ${statuses.join(',')}`);
    for (const res of results.filter((r) => r.status !== 200)) assertProblem(res, 401, 'auth.refresh_invalid');
    // The losers presented a spent token: reuse, so the family is gone and the winner's tokens too.
    const winner = tokensOf(results.find((res) => res.status === 200) as TestResponse);
    assertProblem(await client.refresh(winner.refreshToken), 401, 'auth.refresh_invalid');
    assertBearerRefused(await client.me(winner.accessToken), 'auth.token_revoked');
  });

  describe('the cookie path', () => {
    const origin = 'http://localhost:3000';
    let account: Account;
    before(async () => {
      account = await client.register('cookie');
    });

    const cookieLogin = async () => {
      const res = await client.login(account.email, account.password);
      assert.equal(res.status, 200, res.text);
      const cookies = setCookies(res);
      return { res, refresh: cookies.get('pc_refresh')?.value ?? '', csrf: cookies.get('pc_csrf')?.value ?? '' };
    };
    const cookieRefresh = (headers: OutgoingHttpHeaders) => client.send('POST', '/v1/auth/refresh', { headers });

    it('cookie mode (the default): httpOnly Secure SameSite=Strict refresh cookie on /v1/auth, CSRF token in a readable cookie and the body', async () => {
      const { res, refresh, csrf } = await cookieLogin();
      const body = res.json();
      assert.deepEqual(Object.keys(body).sort(), ['accessToken', 'csrfToken', 'expiresIn', 'tokenType']);
      assert.equal(body['csrfToken'], csrf);
      const cookies = setCookies(res);
      const refreshCookie = cookies.get('pc_refresh');
      assert.match(refresh, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(
        [...(refreshCookie?.attributes ?? [])].sort(),
        [['httponly', true], ['max-age', '604800'], ['path', '/v1/auth'], ['samesite', 'Strict'], ['secure', true]],
      );
      const csrfCookie = cookies.get('pc_csrf');
      assert.deepEqual([...(csrfCookie?.attributes ?? [])].sort(), [['max-age', '604800'], ['path', '/v1/auth'], ['samesite', 'Strict'], ['secure', true]]);
      assert.equal((await client.me(body['accessToken'] as string)).status, 200);
    });

    it('refuses a cookie refresh without the CSRF token, with a wrong one, from a foreign or null Origin, or cross-site', async () => {
      const { refresh, csrf } = await cookieLogin();
      const cookie = `pc_refresh=${refresh}; pc_csrf=${csrf}`;
      const otherCsrf = (await cookieLogin()).csrf;
      const refusals: [string, OutgoingHttpHeaders][] = [
        ['no X-CSRF-Token', { cookie, origin }],
        ['no CSRF cookie', { cookie: `pc_refresh=${refresh}`, 'x-csrf-token': csrf, origin }],
        ['header from another session', { cookie, 'x-csrf-token': otherCsrf, origin }],
        ['malformed header', { cookie, 'x-csrf-token': 'x', origin }],
        ['foreign Origin', { cookie, 'x-csrf-token': csrf, origin: 'https://evil.example' }],
        ['lookalike Origin', { cookie, 'x-csrf-token': csrf, origin: 'http://localhost:3000.evil.example' }],
        ['Origin null', { cookie, 'x-csrf-token': csrf, origin: 'null' }],
        ['Sec-Fetch-Site cross-site', { cookie, 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' }],
        ['Sec-Fetch-Site same-site', { cookie, 'x-csrf-token': csrf, 'sec-fetch-site': 'same-site' }],
      ];
      for (const [label, headers] of refusals) {
        const res = await cookieRefresh(headers);
        assert.equal(res.status, 403, `${label}: ${res.status} ${res.text}`);
        assertProblem(res, 403, 'auth.csrf_refused');
        assert.equal(res.headers['set-cookie'], undefined, label);
      }
      assertProblem(await cookieRefresh({ 'x-csrf-token': csrf, origin }), 401, 'auth.refresh_invalid');
      // None of the refusals spent the token: the proper request still rotates it.
      const ok = await cookieRefresh({ cookie, 'x-csrf-token': csrf, origin, 'sec-fetch-site': 'same-origin' });
      assert.equal(ok.status, 200, ok.text);
    });

    it('rotates the cookie pair on a proper cookie refresh (APP_URL origin, a CORS_ORIGINS origin, or no Origin at all)', async () => {
      let { refresh, csrf } = await cookieLogin();
      for (const extra of [{ origin }, { origin: 'https://app.example.com' }, {}]) {
        const res = await cookieRefresh({ cookie: `pc_refresh=${refresh}; pc_csrf=${csrf}`, 'x-csrf-token': csrf, ...extra });
        assert.equal(res.status, 200, res.text);
        const body = res.json();
        assert.equal(body['refreshToken'], undefined, 'the refresh token stays in the httpOnly cookie');
        const cookies = setCookies(res);
        const nextRefresh = cookies.get('pc_refresh')?.value ?? '';
        const nextCsrf = cookies.get('pc_csrf')?.value ?? '';
        assert.match(nextRefresh, /^[A-Za-z0-9_-]{43}$/);
        assert.notEqual(nextRefresh, refresh);
        assert.equal(body['csrfToken'], nextCsrf);
        assert.equal((await client.me(body['accessToken'] as string)).status, 200);
        refresh = nextRefresh;
        csrf = nextCsrf;
      }
    });

    it('a reused refresh cookie is refused, the cookies are cleared and the session is revoked', async () => {
      const { res: login, refresh, csrf } = await cookieLogin();
      const headers = { cookie: `pc_refresh=${refresh}; pc_csrf=${csrf}`, 'x-csrf-token': csrf, origin };
      const first = await cookieRefresh(headers);
      assert.equal(first.status, 200);
      const reused = await cookieRefresh(headers);
      assertProblem(reused, 401, 'auth.refresh_invalid');
      const cleared = setCookies(reused);
      assert.equal(cleared.get('pc_refresh')?.value, '');
      assert.equal(cleared.get('pc_refresh')?.attributes.get('max-age'), '0');
      assert.equal(cleared.get('pc_refresh')?.attributes.get('path'), '/v1/auth');
      assert.equal(cleared.get('pc_csrf')?.value, '');
      assertBearerRefused(await client.me(first.json()['accessToken'] as string), 'auth.token_revoked');
      assertBearerRefused(await client.me(login.json()['accessToken'] as string), 'auth.token_revoked');
    });

    it('logout clears both cookies', async () => {
      const { res } = await cookieLogin();
      const out = await client.send('POST', '/v1/auth/logout', { token: res.json()['accessToken'] as string });
      assert.equal(out.status, 204);
      const cleared = setCookies(out);
      assert.deepEqual([cleared.get('pc_refresh')?.value, cleared.get('pc_csrf')?.value], ['', '']);
      assert.equal(cleared.get('pc_refresh')?.attributes.get('max-age'), '0');
    });
  });
});
