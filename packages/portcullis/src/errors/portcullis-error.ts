import { errorCatalogue, type ErrorCode } from './catalogue.js';

/** One invalid field, as listed in a 400 problem. `message` is ours, never the rejected value. */
export interface FieldError {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export interface PortcullisErrorOptions {
  /** A server-authored explanation. Never interpolate client input or secrets into it. */
  readonly detail?: string;
  readonly fieldErrors?: readonly FieldError[];
  /** Extra response headers the refusal needs (Retry-After, Allow, ...). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/**
 * The error every Portcullis checkpoint throws. It carries a stable `code` from the catalogue;
 * the single error handler turns it into RFC 9457 problem+json.
 *
 * @example
 * throw new PortcullisError('transport.https_required');
 */
export class PortcullisError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly fieldErrors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, options: PortcullisErrorOptions = {}) {
    const spec = errorCatalogue[code];
    super(options.detail ?? spec.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PortcullisError';
    this.code = code;
    this.status = spec.status;
    this.detail = options.detail;
    this.fieldErrors = options.fieldErrors;
    this.headers = options.headers;
  }
}

export function isPortcullisError(value: unknown): value is PortcullisError {
  return value instanceof PortcullisError;
}
