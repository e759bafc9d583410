/**
 * The stacks under test and what each one promises to enforce, so the preflight can prove the
 * work we measure is really done (a JWT check that lets a forged token through measures nothing).
 */
import { fileURLToPath } from 'node:url';

export const BASELINE = 'bare-fastify';
export const VARIANT_NAMES = [BASELINE, 'fastify-same-headers', 'express-stack', 'fastify-plugins', 'portcullis'] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

export interface Variant {
  name: VariantName;
  /** Absolute path of the server script. */
  script: string;
  description: string;
  verifiesJwt: boolean;
  validatesBody: boolean;
  sendsCors: boolean;
  sendsSecurityHeaders: boolean;
}

// Servers run from the build (`npm run bench` compiles them first into bench/dist).
const script = (name: VariantName): string => fileURLToPath(new URL(`../dist/servers/${name}.js`, import.meta.url));

export const VARIANTS: readonly Variant[] = [
  {
    name: 'bare-fastify',
    script: script('bare-fastify'),
    description: 'Fastify 5, no plugins, the route only',
    verifiesJwt: false,
    validatesBody: false,
    sendsCors: false,
    sendsSecurityHeaders: false,
  },
  {
    name: 'fastify-same-headers',
    script: script('fastify-same-headers'),
    description: 'reference floor: bare Fastify + the exact response headers Portcullis sends, copied by one hook',
    verifiesJwt: false,
    validatesBody: false,
    sendsCors: true,
    sendsSecurityHeaders: true,
  },
  {
    name: 'express-stack',
    script: script('express-stack'),
    description: 'Express 5 + helmet + cors + express-rate-limit + jsonwebtoken + zod',
    verifiesJwt: true,
    validatesBody: true,
    sendsCors: true,
    sendsSecurityHeaders: true,
  },
  {
    name: 'fastify-plugins',
    script: script('fastify-plugins'),
    description: 'Fastify 5 + @fastify/helmet, cors, rate-limit, jwt + fastify-type-provider-zod',
    verifiesJwt: true,
    validatesBody: true,
    sendsCors: true,
    sendsSecurityHeaders: true,
  },
  {
    name: 'portcullis',
    script: script('portcullis'),
    description: 'Fastify 5 + Portcullis checkpoints (general rate limit, bearer access token with denylist), zod safeParse in the handler',
    verifiesJwt: true,
    validatesBody: true,
    sendsCors: true,
    sendsSecurityHeaders: true,
  },
];

export function isVariantName(name: string): name is VariantName {
  return (VARIANT_NAMES as readonly string[]).includes(name);
}
