import { connect } from 'node:net';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * A minimal HTTP client over real sockets for end-to-end tests. Unlike fetch it sends any header
 * we ask for (Origin, X-Forwarded-*), never adds its own, and hands back raw headers.
 */
export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON; throws when it is not JSON. */
  json<T = Record<string, unknown>>(): T;
}

export interface TestRequest {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string | Buffer;
  /** For HTTPS: accept our self-signed test certificate. */
  readonly ca?: string | Buffer;
  readonly minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  readonly ciphers?: string;
}

export function request(baseUrl: string, options: TestRequest = {}): Promise<TestResponse> {
  const url = new URL(options.path ?? '/', baseUrl);
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        ...(secure
          ? {
              ca: options.ca,
              servername: 'localhost',
              minVersion: options.minVersion,
              maxVersion: options.maxVersion,
              ciphers: options.ciphers,
            }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json<T>() {
              return JSON.parse(text) as T;
            },
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** A JSON POST, the most common shape in these tests. */
export function postJson(baseUrl: string, path: string, body: string, headers: OutgoingHttpHeaders = {}): Promise<TestResponse> {
  return request(baseUrl, { method: 'POST', path, body, headers: { 'content-type': 'application/json', ...headers } });
}

/**
 * Writes `payload` as-is on a fresh TCP connection (no HTTP client in between, so malformed and
 * unfinished requests can be sent) and resolves with everything the server wrote before closing.
 */
export function sendRaw(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(payload));
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}
