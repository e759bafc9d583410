import { z } from 'zod';
import { PortcullisError } from 'portcullis/errors';
import { createAddressPolicy } from 'portcullis/outbound';

/**
 * Settings of the outbound client and the webhook dispatcher (V7), read with the rest of the
 * configuration (loadConfig calls this). OUTBOUND_ALLOW_ADDRESSES exists for tests that need a
 * loopback server to stand in for a public one: when it is set, start-up logs a configuration
 * warning. The README's "Webhooks and outbound requests" section documents each variable.
 */
export interface WebhookConfig {
  /** Addresses or CIDR blocks outbound requests may reach despite the SSRF rules. Empty in production. */
  readonly allowAddresses: readonly string[];
  /** Ports a webhook URL may name. */
  readonly allowedPorts: readonly number[];
  /** Attempts per delivery, the first included. */
  readonly maxAttempts: number;
  /** Wait before the second attempt; it doubles each time, up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** One attempt's whole budget (connect, send, answer). */
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  /** How often the dispatcher looks for due work (new events also wake it at once). */
  readonly pollMs: number;
  /** Webhooks one user may have. */
  readonly maxPerUser: number;
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const webhookEnv = z.object({
  OUTBOUND_ALLOW_ADDRESSES: z.string().default(''),
  OUTBOUND_ALLOWED_PORTS: z
    .string()
    .default('80,443')
    .transform((value) => value.split(',').map((part) => part.trim()).filter((part) => part !== '').map(Number))
    .pipe(z.array(z.number().int().min(1).max(65535)).min(1, 'must list at least one port')),
  WEBHOOK_MAX_ATTEMPTS: int(1, 25).default(8),
  WEBHOOK_RETRY_BASE_MS: int(10, 3_600_000).default(30_000),
  WEBHOOK_RETRY_MAX_MS: int(10, 86_400_000).default(6 * 3_600_000),
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(10_000),
  WEBHOOK_CONNECT_TIMEOUT_MS: int(50, 60_000).default(5_000),
  WEBHOOK_POLL_MS: int(10, 60_000).default(1_000),
  WEBHOOK_MAX_PER_USER: int(1, 1_000).default(20),
});

function fail(detail: string): never {
  throw new PortcullisError('config.invalid', { detail });
}

/** Throws `config.invalid` naming the variable. */
export function resolveWebhookConfig(env: NodeJS.ProcessEnv, warnings: string[]): WebhookConfig {
  const parsed = webhookEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(`${String(issue?.path[0] ?? 'environment')}: ${issue?.message ?? 'invalid value'}`);
  }
  const e = parsed.data;
  const allowAddresses = e.OUTBOUND_ALLOW_ADDRESSES.split(',').map((part) => part.trim()).filter((part) => part !== '');
  try {
    createAddressPolicy({ allow: allowAddresses });
  } catch {
    fail('OUTBOUND_ALLOW_ADDRESSES: each entry must be an IP address or CIDR block');
  }
  if (e.WEBHOOK_RETRY_MAX_MS < e.WEBHOOK_RETRY_BASE_MS) fail('WEBHOOK_RETRY_MAX_MS must be at least WEBHOOK_RETRY_BASE_MS');
  if (allowAddresses.length > 0) {
    warnings.push(`OUTBOUND_ALLOW_ADDRESSES is set (${allowAddresses.length} entries): webhooks may reach these otherwise forbidden addresses; meant for tests only`);
  }
  return {
    allowAddresses,
    allowedPorts: e.OUTBOUND_ALLOWED_PORTS,
    maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
    retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
    retryMaxMs: e.WEBHOOK_RETRY_MAX_MS,
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    connectTimeoutMs: e.WEBHOOK_CONNECT_TIMEOUT_MS,
    pollMs: e.WEBHOOK_POLL_MS,
    maxPerUser: e.WEBHOOK_MAX_PER_USER,
  };
}
