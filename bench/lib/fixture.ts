/**
 * The one request every variant is measured on, shared by the orchestrator (which sends it)
 * and the servers (which must answer it identically), so no side can drift from the others.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const ORDER_ROUTE = '/v1/orders';
export const ALLOWED_ORIGIN = 'https://app.example.com';

/** Environment variable carrying the hex HS256 secret from the orchestrator to a server. */
export const SECRET_ENV = 'BENCH_JWT_SECRET';
export const SECRET_BYTES = 32;
/** The API key the API-key variant accepts (minted per run by the orchestrator), as text. */
export const API_KEY_ENV = 'BENCH_API_KEY';

/** Line a server prints on stdout once it listens, followed by its port. */
export const READY_MARKER = 'BENCH_SERVER_READY';

export const ORDER_BODY = { item: 'widget-42', quantity: 3, note: 'leave at door' } as const;
export const ORDER_BODY_JSON = JSON.stringify(ORDER_BODY);
export const EXPECTED_STATUS = 200;
export const EXPECTED_REPLY = { id: 'ord_1', item: ORDER_BODY.item, quantity: ORDER_BODY.quantity } as const;

/** The issuer, audience and key id every token carries; verifiers that check them use these. */
export const TOKEN_ISSUER = 'https://bench.portcullis.example';
export const TOKEN_AUDIENCE = 'bench-api';
export const TOKEN_KID = 'bench-hs-1';

/**
 * Mints an HS256 JWT with node:crypto so the token owes nothing to any variant's JWT library:
 * the claims an access token carries (iss, sub, aud, iat, exp, jti, role) and a kid. It lives a
 * day so that long custom runs never see it expire mid-measurement.
 */
export function mintToken(secret: Buffer, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ alg: 'HS256', typ: 'JWT', kid: TOKEN_KID });
  const payload = encode({
    iss: TOKEN_ISSUER,
    sub: 'user_1',
    aud: TOKEN_AUDIENCE,
    iat: nowSeconds,
    exp: nowSeconds + 86_400,
    jti: randomBytes(16).toString('base64url'),
    role: 'user',
    scope: 'orders:write',
  });
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
