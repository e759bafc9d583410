import type { DestinationStream, LoggerOptions } from 'pino';
import { REDACTED, isSensitiveKey, redactDeep, scrubText } from './redaction.js';

/**
 * E2: pino options with redaction at the one place every log call passes (`hooks.logMethod`), so
 * Fastify's own lines, our error logs and application logs are all covered, message strings
 * included. Request and response serializers keep a fixed allowlist of fields: headers are never
 * logged wholesale.
 */
export interface RedactingLoggerOptions {
  readonly level?: string;
  /** Where lines go (tests capture them); default stdout. */
  readonly stream?: DestinationStream;
}

interface LoggableRequest {
  readonly id?: unknown;
  readonly method?: string;
  readonly url?: string;
  readonly clientAddress?: string;
  readonly ip?: string;
  readonly headers?: Record<string, string | string[] | undefined>;
}

function serializeRequest(req: LoggableRequest): Record<string, unknown> {
  const userAgent = req.headers?.['user-agent'];
  return {
    id: req.id,
    method: req.method,
    url: typeof req.url === 'string' ? scrubText(req.url.length > 512 ? `${req.url.slice(0, 512)}…` : req.url) : undefined,
    // The first request line is logged before transport is resolved; the socket address stands in.
    clientAddress: req.clientAddress || req.ip,
    userAgent: typeof userAgent === 'string' ? scrubText(userAgent.slice(0, 256)) : undefined,
  };
}

function serializeResponse(res: { statusCode?: number }): Record<string, unknown> {
  return { statusCode: res.statusCode };
}

/**
 * Redacts one argument of a log call. `req` and `res` are left to their allowlisting serializers
 * (walking a live request object would be slow and pointless); an Error stays under `err`.
 */
function cleanLogArgument(arg: unknown): unknown {
  if (arg instanceof Error) return { err: redactDeep(arg) };
  if (arg === null || typeof arg !== 'object') return redactDeep(arg);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(arg)) {
    const value = (arg as Record<string, unknown>)[key];
    out[key] = key === 'req' || key === 'res' ? value : isSensitiveKey(key) ? REDACTED : redactDeep(value, 1);
  }
  return out;
}

/**
 * Pino options with redaction wired in.
 *
 * @example
 * const log = pino(redactingLoggerOptions({ level: 'info' }));
 */
export function redactingLoggerOptions(options: RedactingLoggerOptions = {}): LoggerOptions & { stream?: DestinationStream } {
  return {
    level: options.level ?? 'info',
    base: undefined,
    messageKey: 'msg',
    serializers: {
      req: serializeRequest as (value: unknown) => unknown,
      res: serializeResponse as (value: unknown) => unknown,
      err: (value: unknown) => redactDeep(value),
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map(cleanLogArgument) as Parameters<typeof method>);
      },
    },
    ...(options.stream === undefined ? {} : { stream: options.stream }),
  };
}
