import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { describeDefaultCredentials, describeWeakSecret, type SecretRule } from 'portcullis/config';
import { PortcullisError } from 'portcullis/errors';
import { loadOrCreateDevSecrets } from './dev-secrets.js';
import { resolveUploadConfig } from '../app/attachments/upload-config.js';
import { resolveAuditConfig } from '../app/audit/audit-config.js';
import { resolveMetricsConfig } from '../app/metrics-config.js';
import { resolveApiVersions } from '../app/api-versions-config.js';
import { resolveWebhookConfig } from '../app/webhooks/webhook-config.js';
import type { AuthConfig, DatabaseTarget, RuntimeEnvironment, ServerConfig, ServerSecrets } from './server-config.js';

/**
 * Reads the environment once at start-up, validates every variable, and refuses to start with a
 * message naming the variable (A10). The README's configuration table documents each one.
 */

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const commaList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s !== ''));

const positiveInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: positiveInt(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().min(1).optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  CORS_ORIGINS: commaList.default([]),
  CORS_CREDENTIALS: booleanFlag.default(true),
  TRUSTED_PROXIES: commaList.default([]),
  REQUIRE_HTTPS: booleanFlag.optional(),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: positiveInt(1, 100 * 1024 * 1024).default(1024 * 1024),
  JSON_MAX_DEPTH: positiveInt(1, 1000).default(32),
  REQUEST_TIMEOUT_MS: positiveInt(1000, 600_000).default(30_000),
  HANDLER_TIMEOUT_MS: positiveInt(100, 600_000).default(15_000),
  SHUTDOWN_TIMEOUT_MS: positiveInt(100, 600_000).default(10_000),
  RATE_LIMIT_ALGORITHM: z.enum(['fixed-window', 'sliding-log', 'sliding-counter', 'token-bucket', 'gcra']).default('gcra'),
  RATE_LIMIT_GENERAL: positiveInt(1, 1_000_000).default(300),
  RATE_LIMIT_GENERAL_WINDOW_MS: positiveInt(1000, 86_400_000).default(60_000),
  RATE_LIMIT_AUTH: positiveInt(1, 10_000).default(10),
  RATE_LIMIT_AUTH_WINDOW_MS: positiveInt(1000, 86_400_000).default(900_000),
  RATE_LIMIT_FAIL_MODE: z.enum(['closed', 'open', 'local']).default('local'),
  RATE_LIMIT_STORE_TIMEOUT_MS: positiveInt(10, 10_000).default(250),
  RATE_LIMIT_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 : _ . -').default('pc:rl:'),
  RATE_LIMIT_MAX_KEYS: positiveInt(1000, 10_000_000).default(100_000),
  LOAD_SHED_MAX_DELAY_MS: positiveInt(0, 60_000).default(500),
  AUTH_ISSUER: z.string().min(1).max(256).default('portcullis'),
  AUTH_AUDIENCE: z.string().min(1).max(256).default('portcullis-api'),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt(60, 86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt(60, 90 * 86_400).default(7 * 86_400),
  SESSION_MAX_AGE_SECONDS: positiveInt(60, 365 * 86_400).default(30 * 86_400),
  JWT_ALGORITHM: z.enum(['HS256', 'EdDSA', 'ES256']).default('HS256'),
  JWT_PRIVATE_KEY_FILE: z.string().min(1).optional(),
  JWT_KEY_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ -').optional(),
  JWT_PREVIOUS_SECRET: z.string().optional(),
  JWT_PREVIOUS_KEY_FILE: z.string().min(1).optional(),
  JWT_PREVIOUS_RETIRE_AT: z.iso.datetime({ offset: true }).optional(),
  OIDC_JWKS_FILE: z.string().min(1).optional(),
  OIDC_ISSUER: z.string().min(1).optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  PASSWORD_PEPPER: z.string().optional(),
  PASSWORD_MIN_STRENGTH: positiveInt(0, 4).default(3),
  LOCKOUT_THRESHOLD: positiveInt(1, 1000).default(5),
  LOCKOUT_BASE_DELAY_MS: positiveInt(1, 86_400_000).default(30_000),
  LOCKOUT_MAX_DELAY_MS: positiveInt(1, 86_400_000).default(900_000),
  REFRESH_COOKIE_SECURE: booleanFlag.default(true),
  APP_URL: z.url().default('http://localhost:3000'),
  MAIL_OUTBOX_DIR: z.string().min(1).optional(),
  DENYLIST_SYNC_MS: positiveInt(10, 60_000).default(1000),
  API_KEY_CACHE_TTL_MS: positiveInt(0, 60_000).default(5000),
  API_KEY_MAX_GRACE_SECONDS: positiveInt(0, 30 * 86_400).default(7 * 86_400),
  API_KEY_USAGE_FLUSH_MS: positiveInt(50, 600_000).default(5000),
  SIGNATURE_TOLERANCE_SECONDS: positiveInt(1, 900).default(300),
  JWT_SECRET: z.string().optional(),
  APP_SECRET: z.string().optional(),
  ENCRYPTION_KEY: z.string().optional(),
  ENCRYPTION_KEY_PREVIOUS: commaList.default([]),
});

const SECRET_RULES: Record<keyof ServerSecrets, SecretRule> = {
  jwtSecret: { name: 'JWT_SECRET', minBytes: 32 },
  appSecret: { name: 'APP_SECRET', minBytes: 32 },
  encryptionKey: { name: 'ENCRYPTION_KEY', minBytes: 32, encoding: 'base64' },
};

function fail(detail: string): never {
  throw new PortcullisError('config.invalid', { detail });
}

function parseDatabaseTarget(url: string | undefined, dataDir: string): DatabaseTarget {
  if (url === undefined) return { kind: 'sqlite', file: resolve(dataDir, 'portcullis.sqlite') };
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      fail('DATABASE_URL is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url };
  }
  const sqlite = /^sqlite:(.+)$/.exec(url) ?? /^file:(.+)$/.exec(url);
  if (sqlite?.[1] !== undefined) {
    const file = sqlite[1];
    return { kind: 'sqlite', file: file === ':memory:' ? file : resolve(file) };
  }
  fail('DATABASE_URL must start with postgres://, postgresql:// or sqlite:');
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function resolveSecrets(
  env: RuntimeEnvironment,
  given: Record<keyof ServerSecrets, string | undefined>,
  dataDir: string,
  warnings: string[],
): ServerSecrets {
  if (env === 'production') {
    for (const key of Object.keys(SECRET_RULES) as (keyof ServerSecrets)[]) {
      const problem = describeWeakSecret(given[key], SECRET_RULES[key]);
      if (problem !== undefined) fail(`${problem} (required in production)`);
    }
    return given as ServerSecrets;
  }
  const needGenerated = Object.values(given).some((v) => v === undefined || v === '');
  const generated = needGenerated ? loadOrCreateDevSecrets(dataDir) : undefined;
  const result = {} as Record<keyof ServerSecrets, string>;
  for (const key of Object.keys(SECRET_RULES) as (keyof ServerSecrets)[]) {
    const value = given[key] !== undefined && given[key] !== '' ? given[key] : generated?.[key];
    const problem = describeWeakSecret(value, SECRET_RULES[key]);
    if (problem !== undefined) warnings.push(`${problem} (refused in production)`);
    result[key] = value as string;
  }
  return result;
}

function resolveAuth(e: z.infer<typeof envSchema>, dataDir: string, warnings: string[]): AuthConfig {
  if (e.JWT_ALGORITHM !== 'HS256' && e.JWT_PRIVATE_KEY_FILE === undefined) fail(`JWT_PRIVATE_KEY_FILE is required with JWT_ALGORITHM=${e.JWT_ALGORITHM}`);
  if (e.JWT_ALGORITHM === 'HS256' && e.JWT_PRIVATE_KEY_FILE !== undefined) fail('JWT_PRIVATE_KEY_FILE is set but JWT_ALGORITHM is HS256; set JWT_ALGORITHM=EdDSA or ES256');
  const oidc = [e.OIDC_JWKS_FILE, e.OIDC_ISSUER, e.OIDC_AUDIENCE];
  if (oidc.some((v) => v !== undefined) && oidc.some((v) => v === undefined)) fail('OIDC_JWKS_FILE, OIDC_ISSUER and OIDC_AUDIENCE must be set together');
  if (e.LOCKOUT_MAX_DELAY_MS < e.LOCKOUT_BASE_DELAY_MS) fail('LOCKOUT_MAX_DELAY_MS must be at least LOCKOUT_BASE_DELAY_MS');
  if (e.SESSION_MAX_AGE_SECONDS < e.REFRESH_TOKEN_TTL_SECONDS) fail('SESSION_MAX_AGE_SECONDS must be at least REFRESH_TOKEN_TTL_SECONDS');
  if (e.PASSWORD_PEPPER !== undefined && Buffer.byteLength(e.PASSWORD_PEPPER) < 16) fail('PASSWORD_PEPPER must be at least 16 bytes when set');
  if (e.NODE_ENV === 'production' && !e.REFRESH_COOKIE_SECURE) fail('REFRESH_COOKIE_SECURE cannot be off in production');
  if (e.JWT_PREVIOUS_SECRET !== undefined && Buffer.byteLength(e.JWT_PREVIOUS_SECRET) < 32) fail('JWT_PREVIOUS_SECRET must be at least 32 bytes');
  if (e.JWT_PREVIOUS_RETIRE_AT !== undefined && e.JWT_PREVIOUS_SECRET === undefined && e.JWT_PREVIOUS_KEY_FILE === undefined) {
    fail('JWT_PREVIOUS_RETIRE_AT is set but there is no JWT_PREVIOUS_SECRET or JWT_PREVIOUS_KEY_FILE');
  }
  for (const key of e.ENCRYPTION_KEY_PREVIOUS) {
    if (Buffer.from(key, 'base64').length !== 32) fail('ENCRYPTION_KEY_PREVIOUS: each entry must be base64 of 32 bytes');
  }
  if (e.PASSWORD_MIN_STRENGTH < 3) warnings.push(`PASSWORD_MIN_STRENGTH is ${e.PASSWORD_MIN_STRENGTH}: weak passwords will be accepted`);
  return {
    issuer: e.AUTH_ISSUER,
    audience: e.AUTH_AUDIENCE,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    previousEncryptionKeys: e.ENCRYPTION_KEY_PREVIOUS,
    previousKeyRetireAt: e.JWT_PREVIOUS_RETIRE_AT === undefined ? undefined : Math.floor(Date.parse(e.JWT_PREVIOUS_RETIRE_AT) / 1000),
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    sessionMaxAgeSeconds: e.SESSION_MAX_AGE_SECONDS,
    signing:
      e.JWT_ALGORITHM === 'HS256'
        ? { algorithm: 'HS256', ...(e.JWT_PREVIOUS_SECRET === undefined ? {} : { previousSecret: e.JWT_PREVIOUS_SECRET }) }
        : {
            algorithm: e.JWT_ALGORITHM,
            privateKeyFile: resolve(e.JWT_PRIVATE_KEY_FILE as string),
            ...(e.JWT_KEY_ID === undefined ? {} : { keyId: e.JWT_KEY_ID }),
            ...(e.JWT_PREVIOUS_KEY_FILE === undefined ? {} : { previousKeyFile: resolve(e.JWT_PREVIOUS_KEY_FILE) }),
          },
    oidc:
      e.OIDC_JWKS_FILE === undefined
        ? undefined
        : { jwksFile: resolve(e.OIDC_JWKS_FILE), issuer: e.OIDC_ISSUER as string, audience: e.OIDC_AUDIENCE as string },
    passwordPepper: e.PASSWORD_PEPPER === '' ? undefined : e.PASSWORD_PEPPER,
    passwordMinStrength: e.PASSWORD_MIN_STRENGTH as 0 | 1 | 2 | 3 | 4,
    lockout: { threshold: e.LOCKOUT_THRESHOLD, baseDelayMs: e.LOCKOUT_BASE_DELAY_MS, maxDelayMs: e.LOCKOUT_MAX_DELAY_MS },
    refreshCookieSecure: e.REFRESH_COOKIE_SECURE,
    appUrl: e.APP_URL,
    mailOutboxDir: resolve(e.MAIL_OUTBOX_DIR ?? resolve(dataDir, 'outbox')),
    denylistSyncMs: e.DENYLIST_SYNC_MS,
    apiKeys: {
      cacheTtlMs: e.API_KEY_CACHE_TTL_MS,
      maxGraceSeconds: e.API_KEY_MAX_GRACE_SECONDS,
      usageFlushMs: e.API_KEY_USAGE_FLUSH_MS,
      signatureToleranceSeconds: e.SIGNATURE_TOLERANCE_SECONDS,
    },
  };
}

/**
 * Validates `env` and returns the server configuration, or throws `config.invalid` naming the
 * offending variable.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(rawEnv: NodeJS.ProcessEnv): ServerConfig {
  const parsed = envSchema.safeParse(rawEnv);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(`${String(issue?.path[0] ?? 'environment')}: ${issue?.message ?? 'invalid value'}`);
  }
  const e = parsed.data;
  const warnings: string[] = [];
  const dataDir = resolve(e.DATA_DIR);
  const database = parseDatabaseTarget(e.DATABASE_URL, dataDir);

  if (e.NODE_ENV === 'production') {
    for (const [name, url] of [['DATABASE_URL', e.DATABASE_URL], ['REDIS_URL', e.REDIS_URL]] as const) {
      const problem = describeDefaultCredentials(name, url);
      if (problem !== undefined) fail(`${problem} (refused in production)`);
    }
  }
  if (e.CORS_ORIGINS.includes('*') && e.CORS_CREDENTIALS) {
    fail('CORS_ORIGINS cannot be "*" while CORS_CREDENTIALS is on');
  }
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    fail('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }

  const requireHttps = e.REQUIRE_HTTPS ?? (e.NODE_ENV === 'production' || !isLoopbackHost(e.HOST));
  if (e.NODE_ENV === 'production' && !requireHttps) {
    warnings.push('REQUIRE_HTTPS is off in production: plain HTTP requests will be served');
  }

  const secrets = resolveSecrets(
    e.NODE_ENV,
    { jwtSecret: e.JWT_SECRET, appSecret: e.APP_SECRET, encryptionKey: e.ENCRYPTION_KEY },
    dataDir,
    warnings,
  );

  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    dataDir,
    database,
    redisUrl: e.REDIS_URL,
    corsOrigins: e.CORS_ORIGINS,
    corsCredentials: e.CORS_CREDENTIALS,
    trustedProxies: e.TRUSTED_PROXIES,
    requireHttps,
    tls: e.TLS_CERT_FILE !== undefined && e.TLS_KEY_FILE !== undefined ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
    logLevel: e.LOG_LEVEL,
    limits: {
      bodyLimit: e.BODY_LIMIT_BYTES,
      jsonDepth: e.JSON_MAX_DEPTH,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      handlerTimeoutMs: e.HANDLER_TIMEOUT_MS,
    },
    rateLimit: {
      generalAlgorithm: e.RATE_LIMIT_ALGORITHM,
      generalLimit: e.RATE_LIMIT_GENERAL,
      generalWindowMs: e.RATE_LIMIT_GENERAL_WINDOW_MS,
      authLimit: e.RATE_LIMIT_AUTH,
      authWindowMs: e.RATE_LIMIT_AUTH_WINDOW_MS,
      failMode: e.RATE_LIMIT_FAIL_MODE,
      storeTimeoutMs: e.RATE_LIMIT_STORE_TIMEOUT_MS,
      maxKeys: e.RATE_LIMIT_MAX_KEYS,
      redisPrefix: e.RATE_LIMIT_REDIS_PREFIX,
    },
    loadShedMaxDelayMs: e.LOAD_SHED_MAX_DELAY_MS,
    auth: resolveAuth(e, dataDir, warnings),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    secrets,
    uploads: resolveUploadConfig(rawEnv, dataDir),
    audit: resolveAuditConfig(rawEnv, e.NODE_ENV === 'production'),
    metrics: resolveMetricsConfig(rawEnv, e.NODE_ENV === 'production', warnings),
    apiVersions: resolveApiVersions(rawEnv),
    webhooks: resolveWebhookConfig(rawEnv, warnings),
    warnings,
  };
}
