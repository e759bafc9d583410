import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { join, relative } from 'node:path';

/**
 * Shared by the attachment end-to-end suites (attachments*.test.ts): a multipart body written
 * byte by byte (so part headers can carry hostile file names, NUL and all, and envelopes can be
 * broken on purpose), a client that sends and receives raw bytes, and a recursive directory
 * listing for "nothing was written anywhere else" checks. The accepted-type fixtures come from the
 * library's own (portcullis/src/input/upload-fixtures.test-helpers.ts).
 */

export { gif, jpeg, NOT_ACCEPTED, pdf, png, pngText, webp } from '../../../portcullis/src/input/upload-fixtures.test-helpers.js';

/** Upload limits high enough that a suite's own uploads are never what refuses them (suites that test a limit set their own). */
export const ROOMY_UPLOAD_LIMITS: Readonly<Record<string, string>> = Object.freeze({
  UPLOAD_RATE_LIMIT: '100000',
  UPLOAD_MAX_PER_POST: '1000',
});

export type Part =
  | { readonly kind: 'file'; readonly field?: string; readonly filename?: string; readonly contentType?: string; readonly content: Buffer; readonly rawDisposition?: Buffer }
  | { readonly kind: 'field'; readonly name: string; readonly value: string };

export interface MultipartBody {
  readonly body: Buffer;
  readonly contentType: string;
}

/** A multipart/form-data body; file names go into the part header as raw bytes, unescaped. */
export function multipart(parts: readonly Part[]): MultipartBody {
  const boundary = `----pc${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`, 'latin1'));
    if (part.kind === 'field') {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`, 'utf8'));
      continue;
    }
    const disposition =
      part.rawDisposition ?? Buffer.from(`Content-Disposition: form-data; name="${part.field ?? 'file'}"; filename="${part.filename ?? 'upload.bin'}"`, 'utf8');
    chunks.push(disposition, Buffer.from(`\r\nContent-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`, 'latin1'), part.content, Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** One file in the field `file`. */
export function oneFile(content: Buffer, filename = 'upload.bin', contentType = 'application/octet-stream'): MultipartBody {
  return multipart([{ kind: 'file', content, filename, contentType }]);
}

export interface BytesResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  json(): Record<string, unknown>;
}

/**
 * Sends `body` as-is and returns the raw response bytes. Without `contentLength` the body goes
 * chunked, so the server cannot size it before reading it.
 */
export function sendBytes(
  baseUrl: string,
  options: { readonly method: string; readonly path: string; readonly headers?: OutgoingHttpHeaders; readonly body?: Buffer; readonly contentLength?: boolean },
): Promise<BytesResponse> {
  const url = new URL(options.path, baseUrl);
  const headers: OutgoingHttpHeaders = { ...options.headers };
  if (options.body !== undefined && options.contentLength === true) headers['content-length'] = String(options.body.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: options.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) as Record<string, unknown> });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Every file under `root`, as paths relative to it, sorted. */
export async function filesUnder(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else found.push(relative(root, path));
    }
  };
  await walk(root);
  return found.sort();
}

/** A stored name as the server generates it: a random v4 UUID and the detected type's extension. */
export const GENERATED_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.(png|jpg|gif|webp|pdf)$/;
