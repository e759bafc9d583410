import { createHash, randomUUID } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PortcullisError } from '../errors/index.js';
import { DEFAULT_UPLOAD_KINDS, TYPE_SNIFF_BYTES, decideUploadType, uploadExtensions, type UploadKind, type UploadType } from './upload-type.js';

/**
 * V5, on disk: an upload streams into a temporary file under a generated name in the upload
 * directory, counted (413 past the limit, 400 when empty), hashed (SHA-256) and typed by its
 * first bytes, then renamed to `<random uuid>.<extension of the detected type>`. Nothing the client
 * sent (file name, path, Content-Type) ever reaches the file system. Any failure removes the
 * temporary file, so a refused or broken upload leaves nothing behind.
 */

export interface UploadRules {
  /** Where files are kept; must exist. */
  readonly directory: string;
  /** Largest accepted file, in bytes. */
  readonly maxBytes: number;
  readonly allowed?: readonly UploadKind[];
}

export interface StoredUpload {
  /** A random UUID: the stored name without its extension. */
  readonly id: string;
  /** `<id>.<extension>`, the file's name in the upload directory. */
  readonly storedName: string;
  readonly type: UploadType;
  readonly size: number;
  /** Lowercase hex SHA-256 of the content. */
  readonly sha256: string;
}

/** Temporary files start with this; a sweep can recognise (and remove) ones a crash left behind. */
export const UPLOAD_TEMP_PREFIX = '.upload-';

const STORED_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.([a-z]{3,4})$/;

/**
 * Streams `source` into the upload directory under a generated name; see the module header.
 * Throws `upload.too_large`, `upload.empty` or `upload.type_refused`; an error of `source` itself
 * is rethrown as it is (after the temporary file is removed).
 *
 * @example
 * const stored = await storeUpload(part.file, { directory: '/var/lib/app/uploads', maxBytes: 5 * 1024 * 1024 });
 */
export async function storeUpload(source: AsyncIterable<Uint8Array>, rules: UploadRules): Promise<StoredUpload> {
  const allowed = rules.allowed ?? DEFAULT_UPLOAD_KINDS;
  const id = randomUUID();
  const temporary = join(rules.directory, `${UPLOAD_TEMP_PREFIX}${id}`);
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let headBytes = 0;
  let size = 0;
  let type: UploadType | undefined;
  // 'wx': never follows or reuses an existing path; 0o600: readable by the server alone.
  const file = await open(temporary, 'wx', 0o600);
  let closed = false;
  try {
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (size > rules.maxBytes) throw new PortcullisError('upload.too_large', { detail: `Files may be at most ${rules.maxBytes} bytes.` });
      if (type === undefined) {
        head.push(Buffer.from(chunk));
        headBytes += chunk.byteLength;
        // Decided as soon as enough has arrived, so a refused file is not read to its end.
        if (headBytes >= TYPE_SNIFF_BYTES) type = await decideUploadType(Buffer.concat(head), allowed);
      }
      hash.update(chunk);
      for (let written = 0; written < chunk.byteLength; ) written += (await file.write(chunk, written)).bytesWritten;
    }
    if (size === 0) throw new PortcullisError('upload.empty');
    type ??= await decideUploadType(Buffer.concat(head), allowed);
    await file.sync();
    await file.close();
    closed = true;
    const storedName = `${id}.${type.extension}`;
    await rename(temporary, join(rules.directory, storedName));
    return { id, storedName, type, size, sha256: hash.digest('hex') };
  } catch (error) {
    if (!closed) await file.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/**
 * The path of a stored upload, only for a name `storeUpload` could have produced; anything else
 * (a tampered database row, a traversal attempt) throws `route.not_found`.
 */
export function storedUploadPath(directory: string, storedName: string, allowed: readonly UploadKind[] = DEFAULT_UPLOAD_KINDS): string {
  const extension = STORED_NAME.exec(storedName)?.[1];
  if (extension === undefined || !uploadExtensions(allowed).includes(extension)) throw new PortcullisError('route.not_found');
  return join(directory, storedName);
}

/** Deletes a stored upload; a file that is already gone is not an error. */
export async function removeStoredUpload(directory: string, storedName: string): Promise<void> {
  try {
    await unlink(storedUploadPath(directory, storedName));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
