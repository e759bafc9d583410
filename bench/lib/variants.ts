/**
 * The stacks under test and what each one promises to enforce, so the preflight can prove the
 * work we measure is really done (a JWT check that lets a forged token through measures nothing).
 */
import { fileURLToPath } from 'node:url';

export const BASELINE = 'bare-fastify';
export const VARIANT_NAMES = [BASELINE, 'fastify-same-headers', 'express-stack', 'fastify-plugins', 'portcullis', 'portcullis-apikey', 'portcullis-audit'] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

export interface Variant {
  name: VariantName;
  /** Absolute path of the server script. */
  script: string;
  description: string;
  /** Refuses a bearer credential it did not issue (a JWT or, for `credential: 'api-key'`, an API key). */
  verifiesJwt: boolean;
  /** What the bench sends in `Authorization: Bearer`: the run's JWT, or the run's API key. */
  credential: 'jwt' | 'api-key';
  validatesBody: boolean;
  sendsCors: boolean;
  sendsSecurityHeaders: boolean;
}

// Servers run from the build (`npm run bench` compiles them first into bench/dist). The audit
// variant uses the reference server's SQL store, so it compiles with the server's sources into
// bench/dist-audit (tsconfig.audit-build.json).
const script = (name: VariantName): string =>
  fileURLToPath(new URL(name === 'portcullis-audit' ? `../dist-audit/bench/servers/${name}.js` : `../dist/servers/${name}.js`, import.meta.url));

export const VARIANTS: readonly Variant[] = [
  {
    name: 'bare-fastify',
    script: script('bare-fastify'),
    description: 'Fastify 5, no plugins, the route only',
    verifiesJwt: false,
    credential: 'jwt',
    validatesBody: false,
    sendsCors: false,
    sendsSecurityHeaders: false,
  },
  {
    name: 'fastify-same-headers',
    script: script('fastify-same-headers'),
    description: 'reference floor: bare Fastify + the exact response headers Portcullis sends, copied by one hook',
    verifiesJwt: false,
    credential: 'jwt',
    validatesBody: false,
    sendsCors: true,
    sendsSecurityHeaders: true,
  },
  {
    name: 'express-stack',
    script: script('express-stack'),
    description: 'Express 5 + helmet + cors + express-rate-limit + jsonwebtoken + zod',
    verifiesJwt: true,
    credential: 'jwt',
    validatesBody: true,
    sendsCors: true,
    sendsSecurityHeaders: true,
  },
  {
    name: 'fastify-plugins',
    script: script('fastify-plugins'),
    description: 'Fastify 5 + @fastify/helmet, cors, rate-limit, jwt + fastify-type-provider-zod',
    verifiesJwt: true,
    credential: 'jwt',
    validatesBody: true,
    sendsCors: true,
    sendsSecurityHeaders: true,
  },
  {
    name: 'portcullis',
    script: script('portcullis'),
    description: 'Fastify 5 + Portcullis checkpoints (general rate limit, bearer access token with denylist), zod safeParse in the handler',
    verifiesJwt: true,
    credential: 'jwt',
    validatesBody: true,
    sendsCors: true,
    sendsSecurityHeaders: true,
  },
  {
    name: 'portcullis-apikey',
    script: script('portcullis-apikey'),
    description: 'as portcullis, but authenticated by an API key (Authorization: Bearer pk_live_...) with a scope check, through the cached key verifier',
    verifiesJwt: true,
    credential: 'api-key',
    validatesBody: true,
    sendsCors: true,
    sendsSecurityHeaders: true,
  },
  {
    name: 'portcullis-audit',
    script: script('portcullis-audit'),
    description: 'as portcullis, plus one security event per request written to the hash-chained audit trail (SQLite, batched off the request path)',
    verifiesJwt: true,
    credential: 'jwt',
    validatesBody: true,
    sendsCors: true,
    sendsSecurityHeaders: true,
  },
];

export function isVariantName(name: string): name is VariantName {
  return (VARIANT_NAMES as readonly string[]).includes(name);
}
