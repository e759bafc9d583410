import { z } from 'zod';

/**
 * Inputs of /v1/posts/:id/attachments (V1, V5). Ids are UUIDs, strictly; the upload body is
 * multipart and is checked part by part by app/attachments/receive-attachment.ts, so it has no
 * schema here: the route inventory describes it instead.
 */

export const attachmentsParams = z.strictObject({ id: z.uuid() });
export const attachmentParams = z.strictObject({ id: z.uuid(), attachmentId: z.uuid() });

export const UPLOAD_BODY_DESCRIPTION =
  'multipart/form-data: exactly one file in the field "file" (PNG, JPEG, GIF, WebP or PDF, recognised by content; at most UPLOAD_MAX_BYTES), no other fields';

/**
 * What the attachment routes send as JSON (V6, L1): an upload's record and a post's list. Plain
 * (stripping) objects: a column added to an attachment row never leaves unless it is named here.
 * The download streams the file itself, so it declares no body; the deletion declares its 204.
 */
export const attachmentView = z.object({
  id: z.string(),
  postId: z.string(),
  uploaderId: z.string(),
  fileName: z.string(),
  mediaType: z.string(),
  size: z.int(),
  sha256: z.string(),
  createdAt: z.string(),
});
export const attachmentList = z.object({ attachments: z.array(attachmentView) });
