import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { policy, type RoutePolicy } from 'portcullis/authz';
import type { RouteInput, RouteOutput } from 'portcullis/fastify';
import type { z } from 'zod';
import type { ServerRateLimits } from '../app/rate-limits.js';
import type { IdentityService, SignedIn } from '../app/auth/identity-service.js';
import type { MfaService } from '../app/auth/mfa-service.js';
import type { PasswordResetService } from '../app/auth/password-reset-service.js';
import type { RefreshTransport } from '../app/auth/refresh-transport.js';
import type { RequestContext } from '../app/auth/security-events.js';
import {
  backupCodesView,
  changePasswordBody,
  forgotPasswordBody,
  loginBody,
  mfaCodeBody,
  mfaDisableBody,
  refreshBody,
  registerBody,
  registeredView,
  resetPasswordBody,
  resetRequestedView,
  sessionList,
  sessionParams,
  signedInView,
  totpEnabledView,
  totpSetupView,
} from './auth-schemas.js';
import { agentHeaders, noBody, refreshHeaders, sends, sendsNothing } from './common-schemas.js';

/**
 * The identity routes under /v1/auth (A1-A7): registration, login, refresh, logout, sessions,
 * password change and reset, TOTP. Each validates its body, carries its strict rate limits, and
 * answers only with fields chosen here: never a hash, a stored token or a sealed secret.
 */

export interface AuthRouteDeps {
  readonly identity: IdentityService;
  readonly resets: PasswordResetService;
  readonly mfa: MfaService;
  readonly transport: RefreshTransport;
  readonly rateLimits: ServerRateLimits;
  readonly authenticate: (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;
}

export function requestContext(request: FastifyRequest): RequestContext {
  const agent = request.headers['user-agent'];
  return {
    clientAddress: request.clientAddress,
    userAgent: typeof agent === 'string' ? agent : undefined,
    requestId: String(request.id),
    method: request.method,
    route: request.routeOptions.url,
  };
}

/**
 * Route config: who may call (Z1), the schemas (V1: with the User-Agent header, which every
 * identity route records through `requestContext`), the declared success answer (V6, L1) and the
 * strict limits on top of the general one.
 */
function guarded(routePolicy: RoutePolicy, input: RouteInput, output: RouteOutput, ...limits: ServerRateLimits[keyof ServerRateLimits][]) {
  return { portcullis: { policy: routePolicy, input: { headers: agentHeaders, ...input }, output, ...(limits.length === 0 ? {} : { rateLimit: { limits } }) } };
}

/** Routes that take no body refuse one with members in it, rather than ignore it. */
const NO_BODY: RouteInput = { body: noBody };

const ANYONE = policy.public();
const SIGNED_IN = policy.authenticated();

export function registerAuthRoutes(v1: FastifyInstance, deps: AuthRouteDeps): void {
  const { identity, resets, mfa, transport, rateLimits, authenticate } = deps;
  const principalOf = (request: FastifyRequest) => request.principal as NonNullable<FastifyRequest['principal']>;

  const signedInReply = (reply: FastifyReply, signedIn: SignedIn, deliverIn: 'cookie' | 'body') => {
    const body: Record<string, unknown> = { accessToken: signedIn.access.token, tokenType: 'Bearer', expiresIn: signedIn.access.expiresIn };
    if (deliverIn === 'body') {
      body['refreshToken'] = signedIn.refreshToken;
      body['refreshExpiresIn'] = signedIn.refreshExpiresIn;
    } else {
      body['csrfToken'] = transport.setSessionCookies(reply, signedIn);
    }
    reply.header('cache-control', 'no-store');
    return body;
  };

  v1.post('/auth/register', { config: guarded(ANYONE, { body: registerBody }, sends(registeredView, 201), rateLimits.registration) }, async (request, reply) => {
    const body = request.body as z.infer<typeof registerBody>;
    const user = await identity.register(body, requestContext(request));
    reply.code(201).header('location', '/v1/users/me');
    return { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt };
  });

  // Login and refresh issue the tokens: the only answers whose schema names them.
  v1.post('/auth/login', { config: guarded(ANYONE, { body: loginBody }, sends(signedInView), rateLimits.loginByAddress, rateLimits.loginByAccount) }, async (request, reply) => {
    const body = request.body as z.infer<typeof loginBody>;
    const signedIn = await identity.login(body, requestContext(request));
    return signedInReply(reply, signedIn, body.refreshTokenIn ?? 'cookie');
  });

  v1.post('/auth/refresh', { config: guarded(ANYONE, { body: refreshBody.optional(), headers: refreshHeaders }, sends(signedInView), rateLimits.refresh) }, async (request, reply) => {
    const body = (request.body ?? {}) as z.infer<typeof refreshBody>;
    if (body.refreshToken !== undefined) {
      return signedInReply(reply, await identity.refresh(body.refreshToken, requestContext(request)), 'body');
    }
    // The cookie rides along with any request the browser makes: refuse cross-site ones first.
    const token = transport.readRefreshCookie(request);
    try {
      return signedInReply(reply, await identity.refresh(token, requestContext(request)), 'cookie');
    } catch (error) {
      transport.clearSessionCookies(reply);
      throw error;
    }
  });

  v1.post('/auth/logout', { onRequest: authenticate, config: guarded(SIGNED_IN, NO_BODY, sendsNothing) }, async (request, reply) => {
    await identity.logout(principalOf(request), requestContext(request));
    transport.clearSessionCookies(reply);
    return reply.code(204).send();
  });

  v1.post('/auth/logout-all', { onRequest: authenticate, config: guarded(SIGNED_IN, NO_BODY, sendsNothing) }, async (request, reply) => {
    await identity.logoutAll(principalOf(request).userId, requestContext(request));
    transport.clearSessionCookies(reply);
    return reply.code(204).send();
  });

  v1.get('/auth/sessions', { onRequest: authenticate, config: guarded(SIGNED_IN, {}, sends(sessionList)) }, async (request) => {
    const principal = principalOf(request);
    const sessions = await identity.listSessions(principal.userId);
    return {
      sessions: sessions.map((session) => ({
        id: session.id,
        current: session.id === principal.sessionId,
        createdAt: session.createdAt,
        lastUsedAt: session.lastUsedAt,
        expiresAt: session.expiresAt,
        userAgent: session.userAgent,
        ipAddress: session.ipAddress,
      })),
    };
  });

  v1.delete('/auth/sessions/:id', { onRequest: authenticate, config: guarded(policy.authenticated('session of the caller'), { params: sessionParams }, sendsNothing) }, async (request, reply) => {
    const { id } = request.params as z.infer<typeof sessionParams>;
    await identity.revokeSession(principalOf(request).userId, id, requestContext(request));
    return reply.code(204).send();
  });

  v1.post('/auth/password/change', { onRequest: authenticate, config: guarded(SIGNED_IN, { body: changePasswordBody }, sendsNothing, rateLimits.passwordChange) }, async (request, reply) => {
    const body = request.body as z.infer<typeof changePasswordBody>;
    const principal = principalOf(request);
    await identity.changePassword(principal.userId, principal.sessionId, body, requestContext(request));
    return reply.code(204).send();
  });

  v1.post('/auth/password/forgot', { config: guarded(ANYONE, { body: forgotPasswordBody }, sends(resetRequestedView, 202), rateLimits.passwordReset) }, async (request, reply) => {
    const { email } = request.body as z.infer<typeof forgotPasswordBody>;
    resets.request(email, requestContext(request));
    return reply.code(202).send({ status: 'accepted', message: 'If an account uses this email, a reset link is on its way.' });
  });

  v1.post('/auth/password/reset', { config: guarded(ANYONE, { body: resetPasswordBody }, sendsNothing, rateLimits.passwordReset) }, async (request, reply) => {
    const body = request.body as z.infer<typeof resetPasswordBody>;
    await resets.complete(body.token, body.password, requestContext(request));
    transport.clearSessionCookies(reply);
    return reply.code(204).send();
  });

  // Setup issues the TOTP secret, enable and backup-codes the backup codes: shown once, named only here.
  v1.post('/auth/mfa/totp/setup', { onRequest: authenticate, config: guarded(SIGNED_IN, NO_BODY, sends(totpSetupView)) }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return mfa.setup(principalOf(request).userId);
  });

  v1.post('/auth/mfa/totp/enable', { onRequest: authenticate, config: guarded(SIGNED_IN, { body: mfaCodeBody }, sends(totpEnabledView), rateLimits.mfaVerify) }, async (request, reply) => {
    const { code } = request.body as z.infer<typeof mfaCodeBody>;
    const backupCodes = await mfa.enable(principalOf(request).userId, code, requestContext(request));
    reply.header('cache-control', 'no-store');
    return { enabled: true, backupCodes };
  });

  v1.post('/auth/mfa/totp/disable', { onRequest: authenticate, config: guarded(SIGNED_IN, { body: mfaDisableBody }, sendsNothing, rateLimits.mfaVerify) }, async (request, reply) => {
    const body = request.body as z.infer<typeof mfaDisableBody>;
    await mfa.disable(principalOf(request).userId, body, requestContext(request));
    return reply.code(204).send();
  });

  v1.post('/auth/mfa/backup-codes', { onRequest: authenticate, config: guarded(SIGNED_IN, { body: mfaCodeBody }, sends(backupCodesView), rateLimits.mfaVerify) }, async (request, reply) => {
    const { code } = request.body as z.infer<typeof mfaCodeBody>;
    const backupCodes = await mfa.regenerateBackupCodes(principalOf(request).userId, code, requestContext(request));
    reply.header('cache-control', 'no-store');
    return { backupCodes };
  });
}
