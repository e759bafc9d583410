import type { AlgorithmName, FailMode } from 'portcullis/ratelimit';
import type { WebhookConfig } from '../app/webhooks/webhook-config.js';
import type { UploadConfig } from '../app/attachments/upload-config.js';
import type { AuditConfig } from '../app/audit/audit-config.js';
import type { MetricsConfig } from '../app/metrics-config.js';
import type { ApiVersionSpec } from 'portcullis/headers';

/** The validated, typed configuration the server runs on; built once by `loadConfig`. */
export type RuntimeEnvironment = 'development' | 'production' | 'test';

export type DatabaseTarget =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string };

export interface ServerSecrets {
  /** HS256 signing secret for access tokens (>= 256 bits). */
  readonly jwtSecret: string;
  /** Key for keyed hashes (API keys, refresh tokens, audit chain). */
  readonly appSecret: string;
  /** AES-256-GCM key for data at rest, base64 of 32 bytes. */
  readonly encryptionKey: string;
}

export interface ServerConfig {
  readonly env: RuntimeEnvironment;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly database: DatabaseTarget;
  readonly redisUrl: string | undefined;
  readonly corsOrigins: readonly string[];
  readonly corsCredentials: boolean;
  readonly trustedProxies: readonly string[];
  readonly requireHttps: boolean;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly logLevel: string;
  readonly limits: {
    readonly bodyLimit: number;
    readonly jsonDepth: number;
    readonly requestTimeoutMs: number;
    readonly handlerTimeoutMs: number;
  };
  readonly rateLimit: {
    readonly generalAlgorithm: AlgorithmName;
    readonly generalLimit: number;
    readonly generalWindowMs: number;
    readonly authLimit: number;
    readonly authWindowMs: number;
    readonly failMode: FailMode;
    readonly storeTimeoutMs: number;
    readonly maxKeys: number;
    /** Prefix of every limiter key in Redis (several deployments can share one Redis). */
    readonly redisPrefix: string;
  };
  readonly auth: AuthConfig;
  /** 0 turns load shedding off. */
  readonly loadShedMaxDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly secrets: ServerSecrets;
  /** Audit trail batching and alert rules (E3, E4). */
  readonly audit: AuditConfig;
  /** The Prometheus listener (E5); undefined when METRICS_PORT is unset. */
  readonly metrics: MetricsConfig | undefined;
  /** Lifecycle of each served API version, by name (L2). */
  readonly apiVersions: Readonly<Record<string, ApiVersionSpec>>;
  /** Post attachments: where files live, size and rate limits (V5). */
  readonly uploads: UploadConfig;
  /** The outbound client's SSRF exceptions and ports, and webhook delivery (V7). */
  readonly webhooks: WebhookConfig;
  /** Things worth a configuration-warning log line at start (never secret values). */
  readonly warnings: readonly string[];
}

export type SigningConfig =
  | { readonly algorithm: 'HS256'; readonly previousSecret?: string }
  | {
      readonly algorithm: 'EdDSA' | 'ES256';
      readonly privateKeyFile: string;
      readonly keyId?: string;
      /** The key signing before this one: verify-only until its tokens have expired. */
      readonly previousKeyFile?: string;
    };

export interface AuthConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly accessTokenTtlSeconds: number;
  /** Earlier ENCRYPTION_KEY values: they still open secrets sealed under them, which are re-sealed on use. */
  readonly previousEncryptionKeys: readonly string[];
  /**
   * Epoch seconds from which the previous signing key is refused. Unset: one access-token
   * lifetime after this process started (so a restart extends it; set it when rotating).
   */
  readonly previousKeyRetireAt: number | undefined;
  readonly refreshTokenTtlSeconds: number;
  /** A session (refresh family) ends this long after login, however often it is refreshed. */
  readonly sessionMaxAgeSeconds: number;
  readonly signing: SigningConfig;
  /** Tokens of an external OpenID provider, verified against a static JWKS file. */
  readonly oidc: { readonly jwksFile: string; readonly issuer: string; readonly audience: string } | undefined;
  readonly passwordPepper: string | undefined;
  readonly passwordMinStrength: 0 | 1 | 2 | 3 | 4;
  readonly lockout: { readonly threshold: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly refreshCookieSecure: boolean;
  /** Base URL of the client application, for links in mail (password reset). */
  readonly appUrl: string;
  readonly mailOutboxDir: string;
  readonly denylistSyncMs: number;
  readonly apiKeys: ApiKeySettings;
}

export interface ApiKeySettings {
  /** How long a verified key is trusted without asking storage: the bound on how late another instance sees a revocation. */
  readonly cacheTtlMs: number;
  /** The longest grace period a rotation may give the old secret. */
  readonly maxGraceSeconds: number;
  /** How often usage counts and last-used times are written. */
  readonly usageFlushMs: number;
  /** How far a signed request's timestamp may be from the server's clock. */
  readonly signatureToleranceSeconds: number;
}
