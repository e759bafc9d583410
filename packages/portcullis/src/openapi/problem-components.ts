/**
 * L1: every refusal Portcullis makes is RFC 9457 problem+json with our `code` and `errorId`
 * members (see errors/problem-details.ts); this is that shape as an OpenAPI component, and the
 * shared responses operations point at, so clients can generate one error type for all of them.
 */
import { PROBLEM_CONTENT_TYPE } from '../errors/index.js';

const PROBLEM_MEDIA_TYPE = PROBLEM_CONTENT_TYPE.split(';')[0] as string;

export const PROBLEM_SCHEMA = Object.freeze({
  type: 'object',
  description: 'RFC 9457 problem details, with the stable `code` clients key on and an `errorId` that links to the server log.',
  required: ['type', 'title', 'status', 'code', 'errorId'],
  properties: {
    type: { type: 'string', format: 'uri', description: 'Identifies the problem type.' },
    title: { type: 'string', description: 'A fixed, human-readable summary of the problem type.' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    code: { type: 'string', description: 'Stable machine-readable code, e.g. `auth.token_expired`.' },
    errorId: { type: 'string', description: 'Identifies this occurrence in the server log.' },
    detail: { type: 'string', description: 'A server-authored explanation of this occurrence.' },
    errors: {
      type: 'array',
      description: 'One entry per invalid field (400 `request.validation_failed`).',
      items: { $ref: '#/components/schemas/FieldError' },
    },
  },
});

export const FIELD_ERROR_SCHEMA = Object.freeze({
  type: 'object',
  required: ['field', 'code', 'message'],
  properties: {
    field: { type: 'string', description: 'Where the invalid value is, e.g. `body.title`.' },
    code: { type: 'string', description: "The validator's issue code." },
    message: { type: 'string', description: 'Why it was refused; never the rejected value.' },
  },
});

/** The error statuses operations may answer with, by the name of their shared response. */
export const ERROR_RESPONSES = Object.freeze({
  BadRequest: { status: '400', description: 'The request is malformed or failed validation.' },
  Unauthorized: { status: '401', description: 'Authentication is missing or invalid.' },
  Forbidden: { status: '403', description: 'The caller lacks a permission, role or scope this operation requires.' },
  NotFound: { status: '404', description: 'No such resource (or not one the caller may see).' },
  Gone: { status: '410', description: 'This API version has been retired (its sunset date has passed).' },
  TooManyRequests: { status: '429', description: 'A rate-limit quota is spent; retry after `Retry-After` seconds.' },
  PayloadTooLarge: { status: '413', description: 'The request body is larger than this operation accepts.' },
  UnsupportedMediaType: { status: '415', description: 'The request body is not of the media type this operation takes.' },
  ServiceUnavailable: { status: '503', description: 'The server is shedding load, shutting down, or cannot admit the request (a rate limiter that fails closed); retry after `Retry-After` seconds.' },
});

export type ErrorResponseName = keyof typeof ERROR_RESPONSES;

export function problemResponse(description: string, headers?: Record<string, unknown>): Record<string, unknown> {
  return {
    description,
    ...(headers === undefined ? {} : { headers }),
    content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

/** `#/components/responses/...` for each shared error response, with the rate-limit headers on 429. */
export function errorResponseComponents(): Record<string, unknown> {
  const components: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ERROR_RESPONSES)) {
    const headers =
      name === 'ServiceUnavailable'
        ? { 'Retry-After': { description: 'Seconds until the request may be retried.', schema: { type: 'integer', minimum: 0 } } }
        : name === 'TooManyRequests'
        ? {
            'Retry-After': { description: 'Seconds until the request may be retried.', schema: { type: 'integer', minimum: 0 } },
            RateLimit: { description: 'Remaining quota of each policy (IETF RateLimit header fields).', schema: { type: 'string' } },
            'RateLimit-Policy': { description: 'Quota and window of each policy on the route.', schema: { type: 'string' } },
          }
        : undefined;
    components[name] = problemResponse(spec.description, headers);
  }
  return components;
}
