import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnsafeText } from 'portcullis/input';
import type { AppDatabase } from '../db/open-database.js';
import { describeEachDatabase } from '../test-support/databases.js';
import type { TestServer } from '../test-support/test-server.js';
import { assertProblem, ROOMY_LIMITS } from './identity.test-helpers.js';
import {
  assertNoEffect,
  assertSafeAnswer,
  fillPath,
  FuzzWorld,
  inBatches,
  inputRoutes,
  pathParamNames,
  send,
  snapshotState,
  type Route,
  type Sent,
  type StateSnapshot,
} from './input-fuzz.test-helpers.js';
import { startSuiteServer, stopSuiteServer } from './suite-server.test-helpers.js';

// V1/V2 over real HTTP on SQLite and PostgreSQL: a corpus of injection and encoding attacks sent
// through every input-taking route of the app's own inventory (routes added later are covered
// without touching this file), into each body field, query parameter, path parameter and declared
// header, by a caller who passes the route's policy, with the other inputs valid where we know
// them. Every answer is a 2xx (the input stored as data) or a 4xx problem+json that leaks nothing;
// afterwards no table is gone, no user appeared or vanished, the canaries are untouched and this
// process's Object.prototype is clean.

/** A hostile value for a JSON field; `bytes` replaces the field's string with raw bytes on the wire. */
interface Hostile {
  readonly label: string;
  readonly value: unknown;
  readonly bytes?: Buffer;
}

const SQL = [
  "' OR 1=1--",
  "' OR '1'='1",
  "admin'--",
  "'; DROP TABLE users;--",
  '1; DROP TABLE users',
  "' UNION SELECT id, email, password_hash FROM users--",
  "1' UNION ALL SELECT NULL,NULL,NULL--",
  "'; UPDATE users SET role='admin';--",
  "'; SELECT pg_sleep(3);--",
  "1' AND (SELECT 1 FROM sqlite_master)='1",
  "'/**/OR/**/1=1/**/--",
  '" OR ""="',
  "\\'; --",
  "1' ORDER BY 99--+",
  '%27%20OR%201%3D1',
];
const NOSQL_STRINGS = ['$gt', '{"$ne": null}', "'; return true; var x='", 'this.password.length > 0'];
const UNICODE = [
  '\u202Eadmin\u202C',
  'ad\u200Bmin\u200D',
  '\u0430dmin',
  '\uFF41\uFF44\uFF4D\uFF49\uFF4E',
  '\uFB01le \u212B \u2126',
  '\uFEFFbom',
  'e\u0301\u0301\u0301\u0301',
  '\uD800 lone high',
  'lone low \uDC00',
  'a\u0000b',
  '\u0000',
];
const TEXT: readonly string[] = [...SQL, ...NOSQL_STRINGS, ...UNICODE, '__proto__', 'constructor.prototype.polluted', '', ' ', 'x'.repeat(100_000)];

const OBJECTS: readonly Hostile[] = [
  { label: '$gt operator', value: JSON.parse('{"$gt": ""}') },
  { label: '$ne operator', value: JSON.parse('{"$ne": null}') },
  { label: '$where operator', value: JSON.parse('{"$where": "sleep(1000)"}') },
  { label: '$regex operator', value: JSON.parse('{"$regex": ".*"}') },
  { label: '__proto__ object', value: JSON.parse('{"__proto__": {"polluted": "yes", "isAdmin": true}}') },
  { label: 'constructor.prototype', value: JSON.parse('{"constructor": {"prototype": {"polluted": "yes"}}}') },
  { label: 'dotted key', value: JSON.parse('{"profile.role": "admin"}') },
  { label: 'nested object', value: { nested: { deeper: [1, 'two'] } } },
];
const WRONG_TYPES: readonly Hostile[] = [
  { label: 'empty array', value: [] },
  { label: 'array of SQL', value: ["' OR 1=1--", 2] },
  { label: 'zero', value: 0 },
  { label: 'negative', value: -1 },
  { label: 'huge number', value: 1e308 },
  { label: 'unsafe integer', value: 2 ** 53 + 2 },
  { label: 'fraction', value: 1.5 },
  { label: 'true', value: true },
  { label: 'false', value: false },
  { label: 'null', value: null },
];
/** Overlong and invalid UTF-8 ("/" as two and three bytes, a CESU surrogate, a stray continuation byte). */
const BAD_BYTES: readonly Hostile[] = [
  { label: 'overlong slash', value: 'x', bytes: Buffer.from([0xc0, 0xaf, 0x2e, 0x2e]) },
  { label: 'overlong 3-byte', value: 'x', bytes: Buffer.from([0xe0, 0x80, 0xaf]) },
  { label: 'UTF-8 surrogate', value: 'x', bytes: Buffer.from([0xed, 0xa0, 0x80]) },
  { label: 'stray continuation', value: 'x', bytes: Buffer.from([0x80, 0xbf, 0x41]) },
];

const FIELD_CORPUS: readonly Hostile[] = [
  ...TEXT.map((text) => ({ label: JSON.stringify(text.slice(0, 40)), value: text })),
  ...OBJECTS,
  ...WRONG_TYPES,
  ...BAD_BYTES,
];

/** Whole bodies, for every body-taking route (routes without fields get only these). None is `{}`. */
const WHOLE_BODIES: readonly [string, string | Buffer][] = [
  ['null', 'null'],
  ['array', '[{"a":1}]'],
  ['SQL string', JSON.stringify("'; DROP TABLE users;--")],
  ['number', '1'],
  ['__proto__', '{"__proto__": {"polluted": "yes"}}'],
  ['constructor.prototype', '{"constructor": {"prototype": {"polluted": "yes"}}}'],
  ['$where', '{"$where": "1 == 1"}'],
  ['unknown field', '{"isAdmin": true}'],
  ['overlong bytes', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
];

/** Raw (already encoded) values for a path or query slot. */
const URL_VALUES: readonly string[] = [
  ...[...SQL, ...NOSQL_STRINGS, ...UNICODE.filter((text) => !isUnsafeText(text)), '__proto__', 'constructor', ''].map(encodeURIComponent),
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '%C0%AF',
  '%ED%A0%80',
  '%E0%80%AF',
  '%',
  '%ZZ',
  'x'.repeat(6000),
  '1e308',
  '-1',
  'null',
  'true',
  '%5B%5D',
];

function fieldBody(base: Record<string, unknown>, field: string, hostile: Hostile): string | Buffer {
  const marker = 'FUZZ_MARKER_7c1';
  const text = `{${Object.entries({ ...base, [field]: hostile.bytes === undefined ? hostile.value : marker })
    .map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`)
    .join(',')}}`;
  if (hostile.bytes === undefined) return text;
  const [head, tail] = text.split(marker) as [string, string];
  return Buffer.concat([Buffer.from(head), hostile.bytes, Buffer.from(tail)]);
}

function textsOf(hostile: Hostile): string[] {
  return typeof hostile.value === 'string' ? [hostile.value] : [];
}

/** Every request of the corpus for one route. */
function attacksOn(world: FuzzWorld, route: Route, caller: { headers: Sent['headers'] }, base: Record<string, unknown>): { sent: Sent; label: string; hostile: string[] }[] {
  const real = world.realParams(route);
  const path = fillPath(route.path, real);
  const json = { ...caller.headers, 'content-type': 'application/json' };
  const takesBody = route.validates.body;
  const baseBody = takesBody ? JSON.stringify(base) : undefined;
  const attacks: { sent: Sent; label: string; hostile: string[] }[] = [];
  const at = (label: string, sent: Sent, hostile: string[] = []) => attacks.push({ sent, label: `${route.method} ${route.path} ${label}`, hostile });

  if (takesBody) {
    for (const field of route.fields.body) {
      for (const hostile of FIELD_CORPUS) at(`body.${field} = ${hostile.label}`, { method: route.method, path, headers: json, body: fieldBody(base, field, hostile) }, textsOf(hostile));
    }
    for (const [label, body] of WHOLE_BODIES) at(`body = ${label}`, { method: route.method, path, headers: json, body });
  }
  const withBody = (headers: Sent['headers']) => (baseBody === undefined ? { headers } : { headers: { ...headers, 'content-type': 'application/json' }, body: baseBody });
  for (const name of pathParamNames(route.path)) {
    for (const value of URL_VALUES) {
      at(`:${name} = ${value.slice(0, 40)}`, { method: route.method, path: fillPath(route.path, { ...real, [name]: value }), ...withBody(caller.headers) }, [decodeSafely(value)]);
    }
  }
  const queryNames = route.fields.query;
  for (const name of queryNames) {
    const forms = [
      ...URL_VALUES.map((value) => `${name}=${value}`),
      `${name}[$ne]=1`,
      `${name}[$gt]=`,
      `${name}[__proto__][polluted]=yes`,
      `${name}[]=1&${name}[]=2`,
      `${name}=1&${name}=2`,
      `__proto__[polluted]=yes&${name}=1`,
      `constructor[prototype][polluted]=yes`,
      `${name}.$where=1`,
    ];
    for (const query of forms) at(`?${query.slice(0, 60)}`, { method: route.method, path: `${path}?${query}`, ...withBody(caller.headers) }, [decodeSafely(query.split('=')[1] ?? '')]);
  }
  for (const name of route.fields.headers) {
    for (const value of [...SQL, ...NOSQL_STRINGS, 'x'.repeat(2000), '']) {
      at(`header ${name} = ${value.slice(0, 40)}`, { method: route.method, path, ...withBody({ ...caller.headers, [name]: value }) }, [value]);
    }
  }
  return attacks;
}

function decodeSafely(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

describeEachDatabase('injection corpus through every input-taking route (V1, V2)', (target) => {
  let server: TestServer;
  let database: AppDatabase;
  let world: FuzzWorld;
  let before_: StateSnapshot;
  before(async () => {
    ({ server, database } = await startSuiteServer(target, ROOMY_LIMITS));
    world = await new FuzzWorld(server, database).build();
    before_ = await snapshotState(world);
  });
  after(() => stopSuiteServer(server, database));

  it('takes its routes from the inventory, with their fields', () => {
    const routes = inputRoutes(server);
    assert.ok(routes.length >= 30, `only ${routes.length} routes`);
    const login = routes.find((route) => route.method === 'POST' && route.path === '/v1/auth/login');
    assert.deepEqual(login?.fields.body, ['email', 'password', 'totp', 'refreshTokenIn']);
    assert.deepEqual(routes.find((route) => route.method === 'GET' && route.path === '/v1/posts')?.fields.query, ['after', 'limit', 'orgId']);
  });

  it('refuses an unknown body or query field on every route that has not opted into stripping', async () => {
    let checked = 0;
    for (const route of inputRoutes(server)) {
      if (route.unknownFields === 'strip') continue;
      assert.deepEqual(route.gaps.filter((gap) => gap.includes('unknown fields')), [], `${route.method} ${route.path}`);
      // Path parameters are checked first: without a real id for them the answer says nothing about fields.
      if (!world.knowsParams(route)) continue;
      const caller = await world.callerFor(route);
      const path = fillPath(route.path, world.realParams(route));
      const attempts: { path: string; body?: string }[] = [];
      if (route.validates.body) attempts.push({ path, body: JSON.stringify({ ...world.baseBody(route, caller), unexpectedField: 1 }) });
      if (route.validates.query) attempts.push({ path: `${path}?unexpectedParam=1`, ...(route.validates.body ? { body: JSON.stringify(world.baseBody(route, caller)) } : {}) });
      for (const attempt of attempts) {
        const headers = attempt.body === undefined ? caller.headers : { ...caller.headers, 'content-type': 'application/json' };
        const res = await send(server, { method: route.method, path: attempt.path, headers, ...(attempt.body === undefined ? {} : { body: attempt.body }) });
        const problem = assertProblem(res, 400, 'request.validation_failed');
        assert.ok((problem['errors'] as { code: string }[]).some((error) => error.code === 'unrecognized_keys'), `${route.method} ${attempt.path}: ${res.text}`);
        checked += 1;
      }
    }
    assert.ok(checked >= 25, `only ${checked} schemas checked`);
  });

  it('refuses any query parameter on every GET route that declares no query schema (V1)', async () => {
    // Path parameters are checked first: only routes whose ids we hold reach the query check.
    const queryless = server.app.portcullisRoutes().filter((route) => route.method === 'GET' && !route.validates.query && world.knowsParams(route));
    assert.ok(queryless.length >= 10, `only ${queryless.length} GET routes without a query schema`);
    for (const path of ['/v1/users/me', '/v1/webhooks', '/v1/webhooks/:id', '/v1/auth/sessions']) assert.ok(queryless.some((route) => route.path === path), path);
    for (const route of queryless) {
      const caller = await world.callerFor(route);
      const path = fillPath(route.path, world.realParams(route));
      for (const query of ['foo=1', 'isAdmin=true']) {
        const res = await send(server, { method: 'GET', path: `${path}?${query}`, headers: caller.headers });
        const problem = assertProblem(res, 400, 'request.validation_failed');
        assert.deepEqual(problem['errors'], [{ field: 'query', code: 'unrecognized_keys', message: 'Unknown field: not allowed here' }], `${route.path}?${query}`);
        assert.ok(!res.text.includes('isAdmin') && !res.text.includes('foo'), `${route.path}: the parameter name is echoed`);
      }
    }
    assert.equal((await send(server, { method: 'GET', path: '/v1/users/me', headers: world.admin.headers })).status, 200, 'the same route without a query answers');
  });

  it('answers every attack with a 2xx or a 4xx problem+json that leaks nothing, and changes nothing it should not', async (t) => {
    let sent = 0;
    const statuses = new Map<number, number>();
    for (const route of inputRoutes(server)) {
      const caller = await world.callerFor(route);
      const attacks = attacksOn(world, route, caller, world.baseBody(route, caller));
      // A fully scoped API key goes through the same path and query attacks where a key may call.
      if (route.policy.startsWith('permission') && !route.path.startsWith('/v1/admin/')) {
        const keyed = attacksOn(world, route, { headers: world.apiKeyHeaders }, {}).filter((attack) => !attack.label.includes(' body'));
        attacks.push(...keyed.map((attack) => ({ ...attack, label: `${attack.label} (API key)` })));
      }
      await inBatches(attacks, 4, async (attack) => {
        const res = await send(server, attack.sent);
        sent += 1;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        world.noteResponse(route, res);
        assertSafeAnswer(res, attack.label, attack.hostile);
      });
    }
    t.diagnostic(`${sent} requests over ${inputRoutes(server).length} routes; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    assert.ok(sent > 2000, `only ${sent} requests`);
    assert.ok((statuses.get(400) ?? 0) > sent / 2, `mostly refused as bad input: ${JSON.stringify([...statuses])}`);
    assert.ok([...statuses.keys()].some((status) => status >= 200 && status < 300), 'some hostile text was stored as plain data');
    await assertNoEffect(world, before_);
  });

  it('stores hostile text as inert data: it comes back exactly as sent', async () => {
    for (const title of ["'; DROP TABLE users;--", "' UNION SELECT id, email, password_hash FROM users--", '\u202Eadmin\u202C', '{"$ne": null}']) {
      const res = await send(server, { method: 'POST', path: '/v1/posts', headers: { ...world.admin.headers, 'content-type': 'application/json' }, body: JSON.stringify({ title, body: title, visibility: 'private' }) });
      assert.equal(res.status, 201, res.text);
      const read = await send(server, { method: 'GET', path: `/v1/posts/${res.json()['id'] as string}`, headers: world.admin.headers });
      assert.deepEqual([read.json()['title'], read.json()['body']], [title, title]);
    }
  });

  it('refuses NUL characters and lone surrogates in any JSON string with 400, on both databases', async () => {
    for (const text of ['a\u0000b', '\uD800', 'x\uDFFFy']) {
      const res = await send(server, { method: 'POST', path: '/v1/posts', headers: { ...world.admin.headers, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'ok', body: text, visibility: 'private' }) });
      assertProblem(res, 400, 'request.invalid_text');
    }
  });

  it('refuses repeated query parameters with 400 and a duplicate_parameter field error (V2 parameter pollution)', async () => {
    const headers = world.admin.headers;
    const repeats = async (path: string): Promise<string[]> => {
      const res = await send(server, { method: 'GET', path, headers });
      const problem = assertProblem(res, 400, 'request.validation_failed');
      return (problem['errors'] as { field: string; code: string }[]).map((error) => `${error.field}:${error.code}`);
    };
    assert.deepEqual(await repeats('/v1/posts?limit=1&limit=100'), ['limit:duplicate_parameter']);
    assert.deepEqual(await repeats(`/v1/posts?after=${world.postId}&after=${world.postId}`), ['after:duplicate_parameter']);
    assert.deepEqual(await repeats('/v1/posts?%6Cimit=1&limit=2'), ['limit:duplicate_parameter']);
    assert.deepEqual(await repeats('/v1/posts?cursor=a&cursor=b'), ['query:duplicate_parameter']);
    assert.deepEqual(await repeats('/v1/admin/users?limit=1&limit=100'), ['limit:duplicate_parameter']);
    assert.deepEqual(await repeats('/v1/posts?limit[]=1&limit[]=2'), ['query:duplicate_parameter']);
    assertProblem(await send(server, { method: 'GET', path: '/v1/posts?limit[]=1', headers }), 400, 'request.validation_failed');
    assertProblem(await send(server, { method: 'GET', path: '/v1/posts?__proto__=1&__proto__=2', headers }), 400, 'request.forbidden_key');
    assertProblem(await send(server, { method: 'GET', path: '/v1/posts?limit[__proto__][x]=1', headers }), 400, 'request.forbidden_key');
    assert.equal((await send(server, { method: 'GET', path: '/v1/posts?limit=1', headers })).status, 200);
  });

  it('validates the headers a route declares: an outsized User-Agent is refused, others pass untouched', async () => {
    // An account of its own: the corpus may have disabled the victim (a DELETE with a valid id and a hostile header is allowed).
    const account = await world.register('headers');
    const caller = await world.signedIn(account);
    const body = JSON.stringify({ email: account.email, password: account.password });
    const long = await send(server, { method: 'POST', path: '/v1/auth/login', headers: { 'content-type': 'application/json', 'user-agent': 'x'.repeat(1025) }, body });
    const problem = assertProblem(long, 400, 'request.validation_failed');
    assert.deepEqual((problem['errors'] as { field: string }[]).map((error) => error.field), ['user-agent']);
    const normal = await send(server, { method: 'POST', path: '/v1/auth/login', headers: { 'content-type': 'application/json', 'user-agent': 'x'.repeat(1024), 'x-unknown': "' OR 1=1--" }, body });
    assert.equal(normal.status, 200, normal.text);
    assert.equal((await send(server, { method: 'GET', path: '/v1/auth/sessions', headers: caller.headers })).status, 200);
  });
});
