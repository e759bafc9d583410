import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { RouteInventoryEntry } from 'portcullis/fastify';
import { ALL_PERMISSIONS } from '../app/permissions.js';
import type { AppDatabase } from '../db/open-database.js';
import { request, type TestResponse } from '../test-support/http-client.js';
import type { TestServer } from '../test-support/test-server.js';
import { AuthClient, newEmail, newPassword, type Account } from './identity.test-helpers.js';
import { oneFile, png, sendBytes } from './attachments.test-helpers.js';
import { insertOrganisation, insertTestComment, insertTestPost } from './posts.test-helpers.js';

/**
 * Shared by the hostile-input suites (injection-corpus, random-bodies): the routes to attack,
 * read at run time from the app's own inventory (so a route added tomorrow is attacked too), a
 * caller who passes each route's policy, real ids for path parameters, valid base bodies for the
 * routes we know, the one check every answer must pass, and a snapshot of the database state that
 * must not change however the attack went.
 */

export type Route = RouteInventoryEntry;

/** Routes that take input: any schema, or path parameters. HEAD mirrors GET and is skipped. */
export function inputRoutes(server: TestServer): Route[] {
  return server.app
    .portcullisRoutes()
    .filter((route) => route.method !== 'HEAD' && (route.validates.body || route.validates.query || route.validates.params || route.validates.headers || route.path.includes(':')))
    .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]!);
}

export function fillPath(path: string, values: Readonly<Record<string, string>>): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, (_whole, name: string) => values[name] ?? randomUUID());
}

export interface Caller {
  readonly headers: OutgoingHttpHeaders;
  readonly account: Account;
}

/**
 * The people and objects the attacks run against. Identity routes log out, change passwords and
 * lock accounts, so each gets an account of its own; every other route is called by an admin.
 */
export class FuzzWorld {
  readonly client: AuthClient;
  /** Every user id this suite created, through registration or otherwise. */
  readonly createdUsers = new Set<string>();
  admin!: Caller;
  /** A fully scoped API key of the admin. */
  apiKeyHeaders!: OutgoingHttpHeaders;
  victim!: Account;
  canary!: Account;
  canaryPostId!: string;
  postId!: string;
  commentId!: string;
  targetKeyId!: string;
  webhookId!: string;
  attachmentId!: string;
  /** A second session of the caller of `DELETE /v1/auth/sessions/:id`, so that route reaches its handler. */
  otherSessionId!: string;
  readonly #ownCallers = new Map<string, Caller>();

  constructor(
    readonly server: TestServer,
    readonly database: AppDatabase,
  ) {
    this.client = new AuthClient(server.url);
  }

  async register(tag: string): Promise<Account> {
    const account = await this.client.register(tag);
    this.createdUsers.add(account.id);
    return account;
  }

  async signedIn(account: Account): Promise<Caller> {
    const tokens = await this.client.signIn(account);
    return { account, headers: { authorization: `Bearer ${tokens.accessToken}`, 'user-agent': 'fuzz-e2e' } };
  }

  async build(): Promise<this> {
    const adminAccount = await this.register('fuzzadmin');
    await this.database.db.updateTable('users').set({ role: 'admin' }).where('id', '=', adminAccount.id).execute();
    this.admin = await this.signedIn(adminAccount);
    this.victim = await this.register('victim');
    this.canary = await this.register('canary');
    const canaryOrg = await insertOrganisation(this.database, 'Canary org');
    this.canaryPostId = await insertTestPost(this.database, { orgId: canaryOrg, ownerId: this.canary.id, status: 'published', visibility: 'private', title: 'canary' });
    const key = await this.client.send('POST', '/v1/api-keys', {
      headers: this.admin.headers,
      body: { name: 'fuzz full scope', scopes: ALL_PERMISSIONS, rateLimit: { limit: 1_000_000, windowSeconds: 60 } },
    });
    assert.equal(key.status, 201, key.text);
    this.apiKeyHeaders = { 'x-api-key': key.json()['key'] as string };
    const target = await this.client.send('POST', '/v1/api-keys', { headers: this.admin.headers, body: { name: 'fuzz target', scopes: ['profile:read'] } });
    assert.equal(target.status, 201, target.text);
    this.targetKeyId = target.json()['id'] as string;
    const post = await this.client.send('POST', '/v1/posts', { headers: this.admin.headers, body: { title: 'fuzz post', body: 'text', visibility: 'public' } });
    assert.equal(post.status, 201, post.text);
    this.postId = post.json()['id'] as string;
    assert.equal((await this.client.send('POST', `/v1/posts/${this.postId}/publish`, { headers: this.admin.headers })).status, 200);
    this.commentId = await insertTestComment(this.database, this.postId, this.admin.account.id);
    const webhook = await this.client.send('POST', '/v1/webhooks', { headers: this.admin.headers, body: { url: 'https://hooks.example.com/in', events: ['post.created'] } });
    assert.equal(webhook.status, 201, webhook.text);
    this.webhookId = webhook.json()['id'] as string;
    const form = oneFile(png(), 'fuzz.png', 'image/png');
    const upload = await sendBytes(this.server.url, { method: 'POST', path: `/v1/posts/${this.postId}/attachments`, headers: { ...this.admin.headers, 'content-type': form.contentType }, body: form.body });
    assert.equal(upload.status, 201, upload.body.toString('utf8'));
    this.attachmentId = upload.json()['id'] as string;
    // The sessions route is called by an account of its own (callerFor): give it a second session to name.
    const sessionOwner = await this.register('fuzzsessions');
    const sessionCaller = await this.signedIn(sessionOwner);
    await this.signedIn(sessionOwner);
    const sessions = await this.client.send('GET', '/v1/auth/sessions', { headers: sessionCaller.headers });
    assert.equal(sessions.status, 200, sessions.text);
    const other = (sessions.json()['sessions'] as { id: string; current: boolean }[]).find((session) => !session.current);
    assert.ok(other !== undefined, 'a second session');
    this.otherSessionId = other.id;
    this.#ownCallers.set('DELETE /v1/auth/sessions/:id', sessionCaller);
    return this;
  }

  /** Who calls `route`: its own account for identity routes, the admin otherwise. */
  async callerFor(route: Route): Promise<Caller> {
    if (!route.path.startsWith('/v1/auth/')) return this.admin;
    const key = `${route.method} ${route.path}`;
    let caller = this.#ownCallers.get(key);
    if (caller === undefined) {
      caller = await this.signedIn(await this.register('fuzzown'));
      this.#ownCallers.set(key, caller);
    }
    return caller;
  }

  /** Ids of objects that exist, for the path parameters of `route` (a random UUID where we know none). */
  realParams(route: Route): Record<string, string> {
    const values: Record<string, string> = {};
    for (const name of pathParamNames(route.path)) values[name] = this.#knownParam(route.path, name) ?? randomUUID();
    return values;
  }

  /** True when every path parameter of `route` is filled with a real id, so the params are valid. */
  knowsParams(route: Route): boolean {
    return pathParamNames(route.path).every((name) => this.#knownParam(route.path, name) !== undefined);
  }

  #knownParam(path: string, name: string): string | undefined {
    if (path.startsWith('/v1/posts/:id')) return name === 'id' ? this.postId : name === 'commentId' ? this.commentId : name === 'attachmentId' ? this.attachmentId : undefined;
    if (path.startsWith('/v1/admin/users/:id')) return this.victim.id;
    if (path.startsWith('/v1/api-keys/:id')) return this.targetKeyId;
    if (path.startsWith('/v1/webhooks/:id')) return this.webhookId;
    if (path.startsWith('/v1/auth/sessions/:id')) return this.otherSessionId;
    return undefined;
  }

  /** A valid body for the routes we know, so a hostile field is the only thing wrong; `{}` otherwise. */
  baseBody(route: Route, caller: Caller): Record<string, unknown> {
    const account = caller.account;
    const bases: Record<string, () => Record<string, unknown>> = {
      'POST /v1/auth/register': () => ({ email: newEmail('fuzzreg'), password: newPassword(), name: 'Fuzz Registered' }),
      'POST /v1/auth/login': () => ({ email: account.email, password: account.password, refreshTokenIn: 'body' }),
      'POST /v1/auth/password/change': () => ({ currentPassword: account.password, newPassword: newPassword() }),
      'POST /v1/auth/password/reset': () => ({ token: 'A'.repeat(43), password: newPassword() }),
      'POST /v1/auth/password/forgot': () => ({ email: account.email }),
      'POST /v1/auth/mfa/totp/disable': () => ({ password: account.password, code: '123456' }),
      'POST /v1/api-keys': () => ({ name: 'fuzz key', scopes: ['profile:read'] }),
      'POST /v1/api-keys/:id/rotate': () => ({ graceSeconds: 60 }),
      'PATCH /v1/admin/users/:id': () => ({ role: 'user' }),
      'POST /v1/posts': () => ({ title: 'fuzz title', body: 'fuzz body', visibility: 'private' }),
      'PATCH /v1/posts/:id': () => ({ title: 'fuzz title' }),
      'POST /v1/posts/:id/comments': () => ({ body: 'fuzz comment' }),
      'POST /v1/webhooks': () => ({ url: 'https://hooks.example.com/in', events: ['post.created'] }),
      'PATCH /v1/users/me': () => ({ name: 'Fuzz Admin' }),
    };
    return bases[`${route.method} ${route.path}`]?.() ?? {};
  }

  /** Records a user a 2xx registration created. */
  noteResponse(route: Route, res: TestResponse): void {
    if (route.method === 'POST' && route.path === '/v1/auth/register' && res.status === 201) this.createdUsers.add(res.json()['id'] as string);
  }
}

export interface Sent {
  readonly method: string;
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body?: string | Buffer;
}

export function send(server: TestServer, sent: Sent): Promise<TestResponse> {
  return request(server.url, { method: sent.method, path: sent.path, headers: sent.headers, ...(sent.body === undefined ? {} : { body: sent.body }) });
}

/** Text that would show a leak: a stack frame, a database error, or SQL from a query. */
const LEAK = /\n\s+at |SQLITE_|syntax error|violates|relation "|pg_|duplicate key|\bselect\b[^"]{0,80}\bfrom\b|\binsert into\b|DROP TABLE|UNION SELECT/i;

/**
 * The one rule for every answer: never 5xx; a refusal is a 4xx problem+json with a code, no stack,
 * no database text and not the hostile input; anything else is a 2xx (the input stored as data).
 */
export function assertSafeAnswer(res: TestResponse, label: string, hostile: readonly string[] = []): void {
  const context = `${label}: ${res.status} ${res.text.slice(0, 300)}`;
  assert.ok(res.status < 500, `server error for ${context}`);
  if (res.status >= 200 && res.status < 300) return;
  assert.ok(res.status >= 400, `neither 2xx nor 4xx: ${context}`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/, context);
  const problem = JSON.parse(res.text) as Record<string, unknown>;
  assert.equal(typeof problem['code'], 'string', context);
  assert.equal(problem['status'], res.status, context);
  assert.equal(problem['stack'], undefined, context);
  assert.doesNotMatch(res.text, LEAK, context);
  for (const text of hostile) {
    if (text.length < 6) continue;
    assert.ok(!res.text.includes(text) && !res.text.includes(JSON.stringify(text).slice(1, -1)), `the input is echoed: ${context}`);
  }
}

export interface StateSnapshot {
  readonly tables: readonly string[];
  readonly canaryUser: unknown;
  readonly canaryPost: unknown;
  readonly prototypeNames: readonly string[];
}

export async function snapshotState(world: FuzzWorld): Promise<StateSnapshot> {
  const db = world.database.db;
  const tables = (await db.introspection.getTables()).map((table) => table.name).sort();
  const canaryUser = await db.selectFrom('users').selectAll().where('id', '=', world.canary.id).executeTakeFirstOrThrow();
  const canaryPost = await db.selectFrom('posts').selectAll().where('id', '=', world.canaryPostId).executeTakeFirstOrThrow();
  return { tables, canaryUser, canaryPost, prototypeNames: Object.getOwnPropertyNames(Object.prototype).sort() };
}

/** No table dropped, no user added or removed by the attack, the canaries untouched, no prototype pollution here. */
export async function assertNoEffect(world: FuzzWorld, before: StateSnapshot): Promise<void> {
  const after = await snapshotState(world);
  assert.deepEqual(after.tables, before.tables, 'the same tables');
  assert.deepEqual(after.canaryUser, before.canaryUser, 'the canary user row is unchanged');
  assert.deepEqual(after.canaryPost, before.canaryPost, 'the canary post row is unchanged');
  assert.deepEqual(after.prototypeNames, before.prototypeNames, 'Object.prototype is unchanged');
  for (const name of ['polluted', 'isAdmin', 'role']) assert.equal(({} as Record<string, unknown>)[name], undefined, `Object.prototype.${name}`);
  const users = await world.database.db.selectFrom('users').select('id').execute();
  assert.deepEqual(users.map((user) => user.id).sort(), [...world.createdUsers].sort(), 'exactly the users this suite created');
  const errors = world.server.logLines().filter((line) => typeof line['level'] === 'number' && (line['level'] as number) >= 50);
  assert.deepEqual(errors.map((line) => line['msg']), [], 'no unexpected error was logged');
}

/** Runs `work` over `items`, `width` at a time. */
export async function inBatches<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += width) await Promise.all(items.slice(start, start + width).map(work));
}
