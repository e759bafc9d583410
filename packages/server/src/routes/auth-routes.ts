import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validateInput } from 'portcullis/input';
import type { ServerRateLimits } from '../app/rate-limits.js';
import type { IdentityService, SignedIn } from '../app/auth/identity-service.js';
import type { MfaService } from '../app/auth/mfa-service.js';
import type { PasswordResetService } from '../app/auth/password-reset-service.js';
import type { RefreshTransport } from '../app/auth/refresh-transport.js';
import type { RequestContext } from '../app/auth/security-events.js';
import {
  changePasswordBody,
  forgotPasswordBody,
  loginBody,
  mfaCodeBody,
  mfaDisableBody,
  refreshBody,
  registerBody,
  resetPasswordBody,
  sessionParams,
} from './auth-schemas.js';

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
  return { clientAddress: request.clientAddress, userAgent: typeof agent === 'string' ? agent : undefined };
}

function limited(...limits: ServerRateLimits[keyof ServerRateLimits][]) {
  return { portcullis: { rateLimit: { limits } } };
}

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

  v1.post('/auth/register', { config: limited(rateLimits.registration) }, async (request, reply) => {
    const body = validateInput(registerBody, request.body);
    const user = await identity.register(body, requestContext(request));
    reply.code(201).header('location', '/v1/users/me');
    return { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt };
  });

  v1.post('/auth/login', { config: limited(rateLimits.loginByAddress, rateLimits.loginByAccount) }, async (request, reply) => {
    const body = validateInput(loginBody, request.body);
    const signedIn = await identity.login(body, requestContext(request));
    return signedInReply(reply, signedIn, body.refreshTokenIn ?? 'cookie');
  });

  v1.post('/auth/refresh', { config: limited(rateLimits.refresh) }, async (request, reply) => {
    const body = validateInput(refreshBody, request.body ?? {});
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

  v1.post('/auth/logout', { onRequest: authenticate }, async (request, reply) => {
    await identity.logout(principalOf(request), requestContext(request));
    transport.clearSessionCookies(reply);
    return reply.code(204).send();
  });

  v1.post('/auth/logout-all', { onRequest: authenticate }, async (request, reply) => {
    await identity.logoutAll(principalOf(request).userId, requestContext(request));
    transport.clearSessionCookies(reply);
    return reply.code(204).send();
  });

  v1.get('/auth/sessions', { onRequest: authenticate }, async (request) => {
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

  v1.delete('/auth/sessions/:id', { onRequest: authenticate }, async (request, reply) => {
    const { id } = validateInput(sessionParams, request.params, 'params');
    await identity.revokeSession(principalOf(request).userId, id, requestContext(request));
    return reply.code(204).send();
  });

  v1.post('/auth/password/change', { onRequest: authenticate, config: limited(rateLimits.passwordChange) }, async (request, reply) => {
    const body = validateInput(changePasswordBody, request.body);
    const principal = principalOf(request);
    await identity.changePassword(principal.userId, principal.sessionId, body, requestContext(request));
    return reply.code(204).send();
  });

  v1.post('/auth/password/forgot', { config: limited(rateLimits.passwordReset) }, async (request, reply) => {
    const { email } = validateInput(forgotPasswordBody, request.body);
    resets.request(email, requestContext(request));
    return reply.code(202).send({ status: 'accepted', message: 'If an account uses this email, a reset link is on its way.' });
  });

  v1.post('/auth/password/reset', { config: limited(rateLimits.passwordReset) }, async (request, reply) => {
    const body = validateInput(resetPasswordBody, request.body);
    await resets.complete(body.token, body.password, requestContext(request));
    transport.clearSessionCookies(reply);
    return reply.code(204).send();
  });

  v1.post('/auth/mfa/totp/setup', { onRequest: authenticate }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return mfa.setup(principalOf(request).userId);
  });

  v1.post('/auth/mfa/totp/enable', { onRequest: authenticate, config: limited(rateLimits.mfaVerify) }, async (request, reply) => {
    const { code } = validateInput(mfaCodeBody, request.body);
    const backupCodes = await mfa.enable(principalOf(request).userId, code, requestContext(request));
    reply.header('cache-control', 'no-store');
    return { enabled: true, backupCodes };
  });

  v1.post('/auth/mfa/totp/disable', { onRequest: authenticate, config: limited(rateLimits.mfaVerify) }, async (request, reply) => {
    const body = validateInput(mfaDisableBody, request.body);
    await mfa.disable(principalOf(request).userId, body, requestContext(request));
    return reply.code(204).send();
  });

  v1.post('/auth/mfa/backup-codes', { onRequest: authenticate, config: limited(rateLimits.mfaVerify) }, async (request, reply) => {
    const { code } = validateInput(mfaCodeBody, request.body);
    const backupCodes = await mfa.regenerateBackupCodes(principalOf(request).userId, code, requestContext(request));
    reply.header('cache-control', 'no-store');
    return { backupCodes };
  });
}
