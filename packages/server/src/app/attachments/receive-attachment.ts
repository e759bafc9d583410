import type { FastifyRequest } from 'fastify';
import { isPortcullisError, PortcullisError } from 'portcullis/errors';
import { removeStoredUpload, storeUpload, type StoredUpload } from 'portcullis/input';

/**
 * Reads the one file of an upload request (V5): multipart/form-data holding exactly one file, in
 * the field `file`, and nothing else. @fastify/multipart (busboy) parses the envelope under the
 * strict limits below; the file streams into portcullis' `storeUpload`, which sizes, hashes, types
 * and names it. The client's file name, path and Content-Type are never read. Every refusal is a
 * coded error, and whatever was stored by then is removed.
 */

/** Room for the multipart envelope around the file: boundaries and one part's headers. */
export const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/**
 * busboy's limits for the upload scope. One file, no fields, and a part count that lets a second
 * part be seen (and refused) rather than silently dropped; the file limit is one byte over ours so
 * an oversized file is counted past the limit and refused by `storeUpload` instead of truncated.
 */
export function multipartLimits(maxBytes: number) {
  return { files: 1, fields: 0, parts: 2, fileSize: maxBytes + 1, headerPairs: 8, fieldNameSize: 64, fieldSize: 1024 } as const;
}

const malformed = (detail: string, cause?: unknown) => new PortcullisError('upload.malformed', { detail, ...(cause === undefined ? {} : { cause }) });

/** A multipart or busboy failure as our coded error; errors of the file system pass through (500). */
function asUploadError(error: unknown): unknown {
  if (isPortcullisError(error)) return error;
  const failure = error as { code?: unknown; syscall?: unknown } | null;
  if (failure !== null && typeof failure === 'object' && failure.syscall !== undefined) return error;
  switch (failure?.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new PortcullisError('upload.too_large', { cause: error });
    case 'FST_FILES_LIMIT':
      return malformed('Send one file per request.', error);
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_PROTO_VIOLATION':
      return malformed('Send the file in the field "file" and nothing else.', error);
    default:
      // busboy's own errors (no boundary, truncated or malformed parts) carry no code.
      return malformed('The multipart body could not be read.', error);
  }
}

export interface AttachmentRules {
  readonly directory: string;
  readonly maxBytes: number;
}

/**
 * Stores the request's one file and returns it; see the module header. Throws `upload.malformed`
 * (400: no file, a field, a second file, a broken envelope), `upload.empty` (400),
 * `upload.too_large` (413) or `upload.type_refused` (415).
 */
export async function receiveAttachment(request: FastifyRequest, rules: AttachmentRules): Promise<StoredUpload> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > rules.maxBytes + MULTIPART_OVERHEAD_BYTES) {
    throw new PortcullisError('upload.too_large', { detail: `Files may be at most ${rules.maxBytes} bytes.` });
  }
  let stored: StoredUpload | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file' || part.fieldname !== 'file') throw malformed('Send the file in the field "file" and nothing else.');
      if (stored !== undefined) throw malformed('Send one file per request.');
      stored = await storeUpload(part.file, rules);
    }
  } catch (error) {
    if (stored !== undefined) await removeStoredUpload(rules.directory, stored.storedName).catch(() => undefined);
    // Nothing more is read: the refusal closes the connection (close-refused-upload.ts).
    request.raw.unpipe();
    throw asUploadError(error);
  }
  if (stored === undefined) throw malformed('No file was sent: put it in the multipart field "file".');
  return stored;
}
