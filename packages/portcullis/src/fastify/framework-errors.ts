import { PortcullisError, isPortcullisError, type ErrorCode, type FieldError } from '../errors/index.js';

/**
 * Fastify and Node raise their own errors (body too large, bad media type, schema validation, bad
 * URL). Their messages quote client input and name the framework, so each is mapped to one of our
 * codes by its code or status, and its message is dropped.
 */
const BY_FASTIFY_CODE: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'request.body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'request.unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'request.bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'request.malformed_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'request.malformed_json',
  FST_ERR_BAD_URL: 'request.bad_request',
  FST_ERR_MAX_PARAM_LENGTH: 'request.bad_request',
  FST_ERR_ASYNC_CONSTRAINT: 'request.bad_request',
  FST_ERR_NOT_FOUND: 'route.not_found',
  FST_ERR_HANDLER_TIMEOUT: 'service.timeout',
};

const BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'request.bad_request',
  404: 'route.not_found',
  405: 'route.method_not_allowed',
  408: 'request.timeout',
  413: 'request.body_too_large',
  415: 'request.unsupported_media_type',
  431: 'request.header_too_large',
  503: 'service.unavailable',
};

const RETRY_SOON: Readonly<Record<string, string>> = Object.freeze({ 'retry-after': '1' });

interface FrameworkError {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly validation?: readonly { instancePath?: string; keyword?: string; params?: Record<string, unknown> }[];
  readonly validationContext?: string;
}

function validationFieldErrors(error: FrameworkError): FieldError[] {
  const context = error.validationContext ?? 'body';
  return (error.validation ?? []).slice(0, 50).map((issue) => {
    const missing = issue.keyword === 'required' ? issue.params?.['missingProperty'] : undefined;
    const path = (issue.instancePath ?? '') + (typeof missing === 'string' ? `/${missing}` : '');
    return { field: `${context}${path}`, code: issue.keyword ?? 'invalid', message: `failed the "${issue.keyword ?? 'schema'}" rule` };
  });
}

/** Any thrown value, as a PortcullisError when it is operational; otherwise returned unchanged. */
export function fromFrameworkError(error: unknown): unknown {
  if (isPortcullisError(error) || error === null || typeof error !== 'object') return error;
  const e = error as FrameworkError;
  if (Array.isArray(e.validation)) {
    return new PortcullisError('request.validation_failed', { fieldErrors: validationFieldErrors(e), cause: error });
  }
  const byCode = typeof e.code === 'string' ? BY_FASTIFY_CODE[e.code] : undefined;
  if (byCode === 'service.timeout') return new PortcullisError(byCode, { cause: error, headers: RETRY_SOON });
  if (byCode !== undefined) return new PortcullisError(byCode, { cause: error });
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500) {
    return new PortcullisError(BY_STATUS[status] ?? 'request.bad_request', { cause: error });
  }
  return error;
}
