import type { FastifyInstance } from 'fastify';
import { policy } from 'portcullis/authz';
import { z } from 'zod';
import type { ServerRateLimits } from '../app/rate-limits.js';

/**
 * Routes the end-to-end tests add under /v1/probe on the real app, to reach behaviour the
 * reference API has no public route for yet (a handler that throws, a slow handler).
 */
export const LEAKY_SECRET = 'sk_live_Zq8vT3nW0pL5xR2mK9aB7cD4eF6gH1jJ';
export const LEAKY_SQL = "SELECT * FROM users WHERE email = 'admin@example.com' AND password_hash = 'x'";

/** How many /v1/probe/slow-own-timeout requests have reached their handler: tests wait on it, not on a sleep. */
export const probeCounters = { slowStarted: 0 };

/** Probes are open to anyone: they stand in for public routes. */
const OPEN = policy.public();
const OPEN_CONFIG = { portcullis: { policy: OPEN } };
/** A route with no query schema refuses every query parameter (V1): probes reading one declare it. */
const withQuery = (names: readonly string[]) => ({ portcullis: { policy: OPEN, input: { query: z.strictObject(Object.fromEntries(names.map((name) => [name, z.string().max(10_000).optional()]))) } } });
const MS_QUERY = withQuery(['ms']);

export function registerProbeRoutes(v1: FastifyInstance, context?: { readonly rateLimits: ServerRateLimits }): void {
  if (context !== undefined) {
    // A stand-in login with the server's strict login limits: 200 when `ok` is true, else 401.
    const { loginByAddress, loginByAccount } = context.rateLimits;
    v1.post('/probe/login', { config: { portcullis: { policy: OPEN, rateLimit: { limits: [loginByAddress, loginByAccount] } } } }, async (request, reply) => {
      const ok = (request.body as Record<string, unknown> | undefined)?.['ok'] === true;
      return ok ? { ok } : reply.code(401).send({ ok });
    });
  }

  v1.post('/probe/echo', { config: withQuery(['token']) }, async (request) => ({ received: request.body }));

  v1.post('/probe/small', { bodyLimit: 64, config: OPEN_CONFIG }, async (request) => ({ received: request.body }));

  v1.post('/probe/shallow', { config: { portcullis: { policy: OPEN, jsonDepth: 2 } } }, async (request) => ({ received: request.body }));

  v1.get('/probe/boom', { config: withQuery(['access_token']) }, async () => {
    const error = new Error(`query failed: ${LEAKY_SQL} at /srv/app/src/secret-module.ts:42 token=${LEAKY_SECRET}`);
    Object.assign(error, { apiKey: LEAKY_SECRET, query: LEAKY_SQL });
    throw error;
  });

  v1.get('/probe/client', { config: withQuery(['page', 'sort']) }, async (request) => ({ clientAddress: request.clientAddress, secure: request.secureTransport }));

  v1.get('/probe/slow', { handlerTimeout: 300, config: MS_QUERY }, async (request) => {
    const ms = Number((request.query as Record<string, string>)['ms'] ?? '0');
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5_000)));
    return { waited: ms };
  });

  v1.get('/probe/slow-default', { config: MS_QUERY }, async (request) => {
    const ms = Number((request.query as Record<string, string>)['ms'] ?? '0');
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5_000)));
    return { waited: ms };
  });

  v1.get('/probe/slow-own-timeout', { handlerTimeout: 5_000, config: MS_QUERY }, async (request) => {
    probeCounters.slowStarted += 1;
    const ms = Number((request.query as Record<string, string>)['ms'] ?? '0');
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5_000)));
    return { waited: ms };
  });

  v1.get('/probe/block', { config: MS_QUERY }, async (request) => {
    // Holds the event loop, as a CPU-bound handler would (load shedding tests).
    const until = Date.now() + Math.min(Number((request.query as Record<string, string>)['ms'] ?? '0'), 5_000);
    while (Date.now() < until) {
      // busy
    }
    return { blocked: true };
  });

  v1.get('/probe/log', { config: OPEN_CONFIG }, async (request) => {
    request.log.info({ user: { email: 'a@example.com', password: LEAKY_SECRET }, note: `Bearer ${LEAKY_SECRET}` }, `logging token=${LEAKY_SECRET}`);
    return { logged: true };
  });
}
