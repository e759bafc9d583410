import { z } from 'zod';
import { describeWeakSecret } from 'portcullis/config';
import { PortcullisError } from 'portcullis/errors';

/**
 * The metrics listener's settings (E5), read with the rest of the configuration (loadConfig calls
 * this). Off unless METRICS_PORT is set; then METRICS_TOKEN is required and held to the same
 * strength rule as the other secrets. The README's "Metrics" section documents each variable.
 */
export interface MetricsConfig {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** The bearer token a scraper must send. Never logged. */
  readonly token: string;
}

const metricsEnv = z.object({
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_TOKEN: z.string().optional(),
});

/** Undefined when metrics are off. Throws `config.invalid` naming the variable (never the token). */
export function resolveMetricsConfig(env: NodeJS.ProcessEnv, production: boolean, warnings: string[]): MetricsConfig | undefined {
  const parsed = metricsEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PortcullisError('config.invalid', { detail: `${String(issue?.path[0] ?? 'environment')}: ${issue?.message ?? 'invalid value'}` });
  }
  const e = parsed.data;
  if (e.METRICS_PORT === undefined) {
    if (e.METRICS_TOKEN !== undefined) warnings.push('METRICS_TOKEN is set but METRICS_PORT is not: metrics are off');
    return undefined;
  }
  if (e.METRICS_TOKEN === undefined || e.METRICS_TOKEN.trim() === '') {
    throw new PortcullisError('config.invalid', { detail: 'METRICS_TOKEN is required when METRICS_PORT is set' });
  }
  const weakness = describeWeakSecret(e.METRICS_TOKEN, { name: 'METRICS_TOKEN', minBytes: 32 });
  if (weakness !== undefined) {
    if (production) throw new PortcullisError('config.invalid', { detail: `${weakness} (required in production)` });
    warnings.push(`${weakness} (refused in production)`);
  }
  return { host: e.METRICS_HOST, port: e.METRICS_PORT, token: e.METRICS_TOKEN };
}
