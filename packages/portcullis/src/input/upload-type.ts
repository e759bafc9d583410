import { fileTypeFromBuffer } from 'file-type';
import { PortcullisError } from '../errors/index.js';
import { carriesMarkup } from './upload-markup.js';

/**
 * V5: an upload's type is what its bytes say (file-type reads the magic numbers), checked against
 * an allowlist; the client's file name and Content-Type are never consulted. A file whose leading
 * bytes also read as markup is refused too (see upload-markup.ts), whatever its magic says.
 */

export type UploadKind = 'png' | 'jpeg' | 'gif' | 'webp' | 'pdf';

export interface UploadType {
  readonly kind: UploadKind;
  /** The media type to serve it with. */
  readonly mediaType: string;
  /** The extension of its stored name, without the dot. */
  readonly extension: string;
}

const TYPES: Readonly<Record<UploadKind, UploadType>> = Object.freeze({
  png: Object.freeze({ kind: 'png', mediaType: 'image/png', extension: 'png' }),
  jpeg: Object.freeze({ kind: 'jpeg', mediaType: 'image/jpeg', extension: 'jpg' }),
  gif: Object.freeze({ kind: 'gif', mediaType: 'image/gif', extension: 'gif' }),
  webp: Object.freeze({ kind: 'webp', mediaType: 'image/webp', extension: 'webp' }),
  pdf: Object.freeze({ kind: 'pdf', mediaType: 'application/pdf', extension: 'pdf' }),
});

const LABELS: Readonly<Record<UploadKind, string>> = { png: 'PNG', jpeg: 'JPEG', gif: 'GIF', webp: 'WebP', pdf: 'PDF' };

export const DEFAULT_UPLOAD_KINDS: readonly UploadKind[] = Object.freeze(['png', 'jpeg', 'gif', 'webp', 'pdf']);

/** Leading bytes the type decision needs (file-type's own reading window). */
export const TYPE_SNIFF_BYTES = 4100;

/**
 * The type of an upload from its first bytes (at least `TYPE_SNIFF_BYTES` of them, or the whole
 * file when shorter). Throws `upload.type_refused` (415) when the type is unknown, not allowed, or
 * the bytes also read as markup.
 *
 * @example
 * const type = await decideUploadType(firstBytes, ['png', 'jpeg']); // { kind: 'png', mediaType: 'image/png', extension: 'png' }
 */
export async function decideUploadType(head: Uint8Array, allowed: readonly UploadKind[] = DEFAULT_UPLOAD_KINDS): Promise<UploadType> {
  const accepted = `Accepted: ${allowed.map((kind) => LABELS[kind]).join(', ')}, recognised by their content.`;
  const detected = await fileTypeFromBuffer(head);
  const type = allowed.map((kind) => TYPES[kind]).find((candidate) => candidate.mediaType === detected?.mime);
  if (type === undefined) throw new PortcullisError('upload.type_refused', { detail: accepted });
  if (carriesMarkup(head)) {
    throw new PortcullisError('upload.type_refused', { detail: `The file's first bytes also read as HTML or script. ${accepted}` });
  }
  return type;
}

/** The stored extensions of the allowed kinds, e.g. for checking a stored name. */
export function uploadExtensions(allowed: readonly UploadKind[] = DEFAULT_UPLOAD_KINDS): string[] {
  return allowed.map((kind) => TYPES[kind].extension);
}
