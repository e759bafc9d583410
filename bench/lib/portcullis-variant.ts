/**
 * What the Portcullis bench variants share, so they differ only in what each one measures: the
 * plugin options (the foundation checkpoints, the general rate limit far above the load, logging
 * off like every other stack) and bearer authentication as the reference server does it.
 */
import type { onRequestHookHandler } from 'fastify';
import { createAuthenticateHook, type PortcullisFastifyOptions } from 'portcullis/fastify';
import { createRateLimitPolicy } from 'portcullis/ratelimit';
import { TokenDenylist, createAccessTokenKeys, createAccessTokenVerifier } from 'portcullis/auth';
import { ALLOWED_ORIGIN, TOKEN_AUDIENCE, TOKEN_ISSUER, TOKEN_KID } from './fixture.ts';

/** The plugin options of every Portcullis variant, plus `extra` (e.g. the audit trail). */
export function portcullisBenchOptions(extra: Partial<PortcullisFastifyOptions> = {}): PortcullisFastifyOptions {
  return {
    cors: { origins: [ALLOWED_ORIGIN], credentials: true },
    // The bench speaks plain HTTP on loopback; HTTPS enforcement is measured as its check, not TLS.
    transport: { requireHttps: false, trustedProxies: [] },
    limits: { bodyLimit: 1_048_576, jsonDepth: 32 },
    rateLimit: { general: { policy: createRateLimitPolicy({ name: 'api', limit: { algorithm: 'gcra', limit: 60_000_000, windowMs: 60_000 } }) } },
    logger: false,
    // Under valgrind (instructions.ts) every event-loop turn is ~50x slower; only the threshold moves,
    // so the shedder still samples and checks as it does in the wall-clock runs.
    ...(process.env['BENCH_UNDER_VALGRIND'] === '1' ? { loadShedding: { maxEventLoopDelayMs: 3_600_000 } } : {}),
    ...extra,
  };
}

/**
 * The reference server's bearer check: the library's HS256 verifier (iss, aud and kid pinned, its
 * remembered-token cache on as by default), then the in-process revocation denylist.
 */
export function bearerAuthenticateHook(secret: Buffer): onRequestHookHandler {
  const keys = createAccessTokenKeys({ current: { kid: TOKEN_KID, algorithm: 'HS256', key: secret } });
  const verifier = createAccessTokenVerifier({ keys, issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE });
  const denylist = new TokenDenylist();
  return createAuthenticateHook({
    verify: (token) => {
      const claims = verifier.verify(token);
      return { userId: claims.sub, role: claims.role, sessionId: undefined, tokenId: claims.jti, expiresAt: claims.exp };
    },
    isRevoked: (principal) => denylist.isRevoked(`jti:${principal.tokenId}`),
  });
}
