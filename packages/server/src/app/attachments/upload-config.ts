import { resolve } from 'node:path';
import { z } from 'zod';
import { PortcullisError } from 'portcullis/errors';

/**
 * Post attachments' settings (V5), read with the rest of the configuration (loadConfig calls
 * this). Files live in UPLOAD_DIR, by default `uploads` under DATA_DIR, next to the default SQLite
 * file. The README's "Uploads" section documents each variable.
 */
export interface UploadConfig {
  /** Absolute path of the directory holding stored files. */
  readonly dir: string;
  /** Largest accepted file, in bytes (413 beyond). */
  readonly maxBytes: number;
  /** Uploads per user per window. */
  readonly rateLimit: number;
  readonly rateWindowMs: number;
  /** Files one post may hold (409 beyond). */
  readonly maxPerPost: number;
}

const MIB = 1024 * 1024;

const uploadEnv = z.object({
  UPLOAD_DIR: z.string().min(1).optional(),
  UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).max(100 * MIB).default(5 * MIB),
  UPLOAD_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(30),
  UPLOAD_RATE_WINDOW_MS: z.coerce.number().int().min(1000).max(86_400_000).default(3_600_000),
  UPLOAD_MAX_PER_POST: z.coerce.number().int().min(1).max(1000).default(20),
});

/** Throws `config.invalid` naming the variable. */
export function resolveUploadConfig(env: NodeJS.ProcessEnv, dataDir: string): UploadConfig {
  const parsed = uploadEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PortcullisError('config.invalid', { detail: `${String(issue?.path[0] ?? 'environment')}: ${issue?.message ?? 'invalid value'}` });
  }
  const e = parsed.data;
  return {
    dir: resolve(e.UPLOAD_DIR ?? resolve(dataDir, 'uploads')),
    maxBytes: e.UPLOAD_MAX_BYTES,
    rateLimit: e.UPLOAD_RATE_LIMIT,
    rateWindowMs: e.UPLOAD_RATE_WINDOW_MS,
    maxPerPost: e.UPLOAD_MAX_PER_POST,
  };
}
