import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { PortcullisError, PROBLEM_CONTENT_TYPE, newErrorId, toProblem, type ErrorCode } from '../errors/index.js';

/**
 * Errors Node raises before Fastify sees a request (malformed HTTP, oversized headers, a request
 * that did not arrive within the timeout) are answered here, on the raw socket, in the same
 * problem+json shape and with the same security headers as every other response.
 */
function codeFor(error: NodeJS.ErrnoException): ErrorCode {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request.timeout';
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'request.header_too_large';
  return 'request.bad_request';
}

export function createClientErrorHandler(
  securityHeaders: Readonly<Record<string, string>>,
  typeBase: string | undefined,
): (error: NodeJS.ErrnoException, socket: Socket) => void {
  const headerLines = Object.entries(securityHeaders)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (error, socket) => {
    const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent === true) {
      socket.destroy();
      return;
    }
    const problem = toProblem(new PortcullisError(codeFor(error)), newErrorId(), typeBase);
    const body = JSON.stringify(problem.body);
    socket.end(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}\r\n` +
        headerLines +
        `content-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n` +
        body,
    );
  };
}
