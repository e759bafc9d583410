import { createServer as createHttpServer, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { LogController, type FastifyError, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { redactingLoggerOptions } from '../audit/index.js';
import { buildSecurityHeaders, PresetHeaderResponse } from '../headers/index.js';
import { createClientErrorHandler } from './client-error.js';
import { DEFAULT_LIMITS, type PortcullisFastifyOptions } from './options.js';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id.js';
import { fromFrameworkError } from './framework-errors.js';
import { PROBLEM_CONTENT_TYPE, newErrorId, toProblem } from '../errors/index.js';

/**
 * Strong TLS only (T2): TLS 1.3 suites and TLS 1.2 ECDHE with AEAD ciphers; no CBC, no RSA key
 * exchange, nothing below 1.2.
 */
export const STRONG_TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

/**
 * The Fastify constructor options Portcullis needs: our request ids, body limit, redacting logger,
 * timeouts on the Node server (slow clients get 408), TLS settings, and problem+json answers to
 * malformed HTTP. Pass the result to `Fastify()`, then register `portcullisPlugin` with the same
 * options.
 *
 * @example
 * const app = Fastify(portcullisServerOptions(options));
 * await app.register(portcullisPlugin, options);
 */
export function portcullisServerOptions(options: PortcullisFastifyOptions = {}): FastifyServerOptions {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const requestTimeout = limits.requestTimeoutMs;
  const headersTimeout = Math.min(requestTimeout, 15_000);
  const headers = buildSecurityHeaders(options.headers);
  const tls = options.transport?.tls;

  const serverFactory = (handler: RequestListener): ReturnType<typeof createHttpServer> => {
    const common = {
      requestTimeout,
      headersTimeout,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks request/header timeouts on this interval (default 30 s, far too coarse).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
      maxHeaderSize: 16 * 1024,
      // Lets the plugin send its fixed headers as one block validated once (preset-header-response.ts).
      ServerResponse: PresetHeaderResponse,
    };
    if (tls !== undefined) {
      return createHttpsServer(
        { ...common, cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2', ciphers: STRONG_TLS_CIPHERS, honorCipherOrder: true },
        handler,
      ) as unknown as ReturnType<typeof createHttpServer>;
    }
    return createHttpServer(common, handler);
  };

  const answerFrameworkError = (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const problem = toProblem(fromFrameworkError(error), newErrorId(), options.problemTypeBase);
    reply
      .code(problem.status)
      .headers(headers.always)
      .header(REQUEST_ID_HEADER, request.id)
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem.body));
  };

  return {
    logger: options.logger === false ? false : redactingLoggerOptions(options.logger ?? {}),
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: options.logRequests === false }),
    genReqId: (raw: IncomingMessage) => requestIdFor(raw),
    requestIdHeader: false,
    bodyLimit: limits.bodyLimit,
    trustProxy: false,
    return503OnClosing: false,
    requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    forceCloseConnections: 'idle',
    clientErrorHandler: createClientErrorHandler(headers.always, options.problemTypeBase),
    // Bad URL encoding and over-long path parameters are refused before routing, so before our
    // hooks: answer them here in the same shape, with the same headers.
    frameworkErrors: answerFrameworkError as FastifyServerOptions['frameworkErrors'],
    serverFactory: serverFactory as FastifyServerOptions['serverFactory'],
  };
}
