import { randomUUID } from 'node:crypto';
import { errorCatalogue } from './catalogue.js';
import { isPortcullisError, type FieldError } from './portcullis-error.js';

/** RFC 9457 problem details, plus our `code` and `errorId` extension members. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly errorId: string;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
}

export interface ProblemResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ProblemDetails;
  /** True when the error was not an operational PortcullisError: log it in full, show nothing. */
  readonly unexpected: boolean;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const DEFAULT_PROBLEM_TYPE_BASE = 'https://portcullis.dev/problems/';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** A fresh id that links a response to its log line; never derived from client input. */
export function newErrorId(): string {
  return randomUUID();
}

/**
 * Turns anything thrown into the response to send. Operational errors keep their code, title and
 * server-authored detail; anything else becomes a generic 500 that reveals no message, stack,
 * path or query.
 *
 * @example
 * const { status, headers, body } = toProblem(err, newErrorId());
 */
export function toProblem(error: unknown, errorId: string, typeBase = DEFAULT_PROBLEM_TYPE_BASE): ProblemResponse {
  if (isPortcullisError(error)) {
    const spec = errorCatalogue[error.code];
    const body: ProblemDetails = {
      type: typeBase + spec.slug,
      title: spec.title,
      status: spec.status,
      code: error.code,
      errorId,
      ...(error.detail === undefined ? {} : { detail: error.detail }),
      ...(error.fieldErrors === undefined ? {} : { errors: error.fieldErrors }),
    };
    return { status: spec.status, headers: error.headers ?? NO_HEADERS, body, unexpected: spec.status >= 500 && error.code === 'internal.unexpected' };
  }
  const spec = errorCatalogue['internal.unexpected'];
  return {
    status: 500,
    headers: NO_HEADERS,
    body: { type: typeBase + spec.slug, title: spec.title, status: 500, code: 'internal.unexpected', errorId },
    unexpected: true,
  };
}
