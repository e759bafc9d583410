import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * E2: a caller's X-Request-ID is kept only when it is short and made of safe characters, so it
 * can be echoed and logged without header or log injection; otherwise we mint one.
 */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const REQUEST_ID_HEADER = 'x-request-id';

export function requestIdFor(raw: IncomingMessage): string {
  const given = raw.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
