import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Secret, TOTP } from 'otpauth';
import { readOutbox } from '../app/mailer.js';
import type { AppDatabase } from '../db/open-database.js';
import type { UserRole } from '../db/schema.js';
import { request, type TestResponse } from '../test-support/http-client.js';

/**
 * Shared by the identity end-to-end suites (identity-*.test.ts): a client that speaks the
 * identity routes over real loopback HTTP and records every exchange (the leak scan reads them),
 * plus the small pieces the attacks need: JWT decoding and HS256 forging on node:crypto, cookie
 * parsing, TOTP codes (otpauth, what authenticator apps compute) and the development outbox.
 */

/** Limits high enough that a suite's own traffic is never what refuses it (suites that test a limit set their own). */
export const ROOMY_LIMITS: Readonly<Record<string, string>> = Object.freeze({
  RATE_LIMIT_GENERAL: '100000',
  RATE_LIMIT_AUTH: '10000',
  LOAD_SHED_MAX_DELAY_MS: '0',
});

/**
 * A password the policy accepts, unique per call (so a leak scan can look for it). A digit follows
 * every three characters, so it never holds four letters in a row: no word of a test account's
 * name or email (the personal-information rule looks at words of four or more) can turn up in it
 * by chance, which random base64url alone did about once in 30,000 passwords.
 */
export function newPassword(): string {
  const random = randomBytes(15).toString('base64url');
  const digits = randomBytes(7);
  let index = 0;
  return `Pc-${random.replace(/.{3}/g, (group) => `${group}${digits[index++]! % 10}`)}`;
}

export function newEmail(tag: string): string {
  return `${tag}-${randomBytes(4).toString('hex')}@example.com`;
}

export interface Account {
  readonly id: string;
  readonly email: string;
  password: string;
  readonly name: string;
}

/** What a body-mode login or refresh hands back. */
export interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

interface SendOptions {
  readonly body?: unknown;
  readonly token?: string;
  readonly headers?: OutgoingHttpHeaders;
}

export class AuthClient {
  /** Every response this client received, in order. */
  readonly exchanges: Exchange[] = [];

  constructor(readonly baseUrl: string) {}

  async send(method: string, path: string, options: SendOptions = {}): Promise<TestResponse> {
    const headers: OutgoingHttpHeaders = { 'user-agent': 'identity-e2e', ...options.headers };
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await request(this.baseUrl, { method, path, headers, ...(body === undefined ? {} : { body }) });
    this.exchanges.push({ method, path, status: res.status, headers: res.headers, text: res.text });
    return res;
  }

  post(path: string, body?: unknown, options: Omit<SendOptions, 'body'> = {}): Promise<TestResponse> {
    return this.send('POST', path, { ...options, body });
  }

  me(token: string): Promise<TestResponse> {
    return this.send('GET', '/v1/users/me', { token });
  }

  /** Registers a new account (asserting the 201) and returns it with its password. */
  async register(tag = 'user', password = newPassword()): Promise<Account> {
    const email = newEmail(tag);
    const name = `Test ${tag}`;
    const res = await this.post('/v1/auth/register', { email, password, name });
    assert.equal(res.status, 201, res.text);
    const id = res.json()['id'];
    assert.equal(typeof id, 'string');
    return { id: id as string, email, password, name };
  }

  login(email: string, password: string, extra: Record<string, unknown> = {}, headers: OutgoingHttpHeaders = {}): Promise<TestResponse> {
    return this.post('/v1/auth/login', { email, password, ...extra }, { headers });
  }

  /** Body-mode login that must succeed. */
  async signIn(account: Pick<Account, 'email' | 'password'>, extra: Record<string, unknown> = {}, headers: OutgoingHttpHeaders = {}): Promise<Tokens> {
    const res = await this.login(account.email, account.password, { refreshTokenIn: 'body', ...extra }, headers);
    assert.equal(res.status, 200, res.text);
    return tokensOf(res);
  }

  refresh(refreshToken: string): Promise<TestResponse> {
    return this.post('/v1/auth/refresh', { refreshToken });
  }
}

/**
 * Registers an account with `role`, set directly in the database (as an administrator's tooling
 * would: no route lets an account raise its own role), and signs it in.
 */
export async function registerWithRole(client: AuthClient, database: AppDatabase, tag: string, role: UserRole): Promise<{ account: Account; tokens: Tokens }> {
  const account = await client.register(tag);
  if (role !== 'user') await database.db.updateTable('users').set({ role }).where('id', '=', account.id).execute();
  return { account, tokens: await client.signIn(account) };
}

export function tokensOf(res: TestResponse): Tokens {
  const body = res.json();
  assert.equal(typeof body['accessToken'], 'string', res.text);
  assert.equal(typeof body['refreshToken'], 'string', res.text);
  return { accessToken: body['accessToken'] as string, refreshToken: body['refreshToken'] as string };
}

/** Asserts a problem+json refusal with this status and code; returns the body. */
export function assertProblem(res: TestResponse, status: number, code: string): Record<string, unknown> {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json();
  assert.equal(body['code'], code, res.text);
  return body;
}

/** A 401 from the bearer hook: the problem code and the RFC 6750 challenge. */
export function assertBearerRefused(res: TestResponse, code: 'auth.token_invalid' | 'auth.token_expired' | 'auth.token_revoked' | 'auth.unauthenticated'): void {
  assertProblem(res, 401, code);
  const challenge = code === 'auth.unauthenticated' ? 'Bearer realm="api"' : 'Bearer realm="api", error="invalid_token"';
  assert.equal(res.headers['www-authenticate'], challenge);
}

/** A problem body without its per-response errorId, for comparing two refusals. */
export function withoutErrorId(res: TestResponse): Record<string, unknown> {
  const { errorId, ...rest } = res.json();
  assert.match(String(errorId), /^[0-9a-f-]{36}$/);
  return rest;
}

export interface SetCookie {
  readonly value: string;
  /** Attribute names lower-cased; flags map to true. */
  readonly attributes: ReadonlyMap<string, string | true>;
}

export function setCookies(res: TestResponse): Map<string, SetCookie> {
  const raw = res.headers['set-cookie'] ?? [];
  const cookies = new Map<string, SetCookie>();
  for (const line of raw) {
    const [pair = '', ...attrs] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const attributes = new Map<string, string | true>();
    for (const attr of attrs) {
      const at = attr.indexOf('=');
      if (at === -1) attributes.set(attr.toLowerCase(), true);
      else attributes.set(attr.slice(0, at).toLowerCase(), attr.slice(at + 1));
    }
    cookies.set(pair.slice(0, eq), { value: pair.slice(eq + 1), attributes });
  }
  return cookies;
}

export interface DecodedJwt {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  readonly signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt {
  const [header = '', payload = '', signature = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>,
    signature: Buffer.from(signature, 'base64url'),
  };
}

export function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** The base64url HMAC-SHA256 of a JWS signing input. */
export function hmacSignature(secret: string | Buffer, signingInput: string): string {
  return createHmac('sha256', secret).update(signingInput).digest('base64url');
}

/** An HS256 JWS over exactly this header and payload, under `secret`. */
export function signHs256(secret: string | Buffer, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${base64urlJson(header)}.${base64urlJson(payload)}`;
  return `${input}.${hmacSignature(secret, input)}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The code an authenticator app shows for `secret` at `atMs`. */
export function totpCode(secret: string, atMs = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: atMs });
}

/**
 * Waits for a message to `to` in the outbox (the reset mail is sent in the background) and
 * returns the token from its link's fragment.
 */
export async function waitForResetToken(outbox: string, to: string, previousCount = 0, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = readOutbox(outbox).filter((message) => message.to === to);
    const latest = mail[previousCount];
    if (latest !== undefined) {
      const match = /#token=([A-Za-z0-9_-]+)\s/.exec(`${latest.text}\n`);
      assert.ok(match?.[1], `no #token= link in: ${latest.text}`);
      return match[1];
    }
    if (Date.now() > deadline) assert.fail(`no reset mail to ${to} within ${timeoutMs} ms`);
    await sleep(20);
  }
}
