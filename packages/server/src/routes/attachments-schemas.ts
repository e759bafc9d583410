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
