import { z } from 'zod';
import { PortcullisError } from 'portcullis/errors';
import { isIP } from 'node:net';
import { createAddressPolicy, forbiddenReason } from 'portcullis/outbound';

/**
 * Settings of the outbound client and the webhook dispatcher (V7), read with the rest of the
 * configuration (loadConfig calls this). OUTBOUND_ALLOW_ADDRESSES exists for tests that need a
 * loopback server to stand in for a public one: when it is set, start-up logs a configuration
 * warning; under NODE_ENV=production it is refused, and everywhere each entry must be one address
 * (a bare address, /32 or /128: a block would open a whole network) outside link-local
 * (169.254.0.0/16 holds the cloud metadata service, fe80::/10 the neighbours of every interface). The README's "Webhooks and outbound requests" section documents each variable.
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

/**
 * One OUTBOUND_ALLOW_ADDRESSES entry: a single address (`a.b.c.d`, `a.b.c.d/32`, `x::y`, `x::y/128`)
 * that is not link-local, embedded forms (`::ffff:169.254.169.254`) included. Never echoes the entry.
 */
function checkAllowedAddress(entry: string): void {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) fail('OUTBOUND_ALLOW_ADDRESSES: each entry must be a single IP address');
  if (slash !== -1 && entry.slice(slash + 1) !== (family === 4 ? '32' : '128')) {
    fail('OUTBOUND_ALLOW_ADDRESSES: each entry must be a single address (/32 or /128), not a block');
  }
  if (forbiddenReason(address) === 'link_local') fail('OUTBOUND_ALLOW_ADDRESSES: link-local addresses (169.254.0.0/16, fe80::/10) cannot be allowed');
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
  if (allowAddresses.length > 0 && env['NODE_ENV'] === 'production') fail('OUTBOUND_ALLOW_ADDRESSES is for tests only and is refused in production');
  for (const entry of allowAddresses) checkAllowedAddress(entry);
  try {
    createAddressPolicy({ allow: allowAddresses });
  } catch {
    fail('OUTBOUND_ALLOW_ADDRESSES: each entry must be a single IP address');
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
