import { open } from 'node:fs/promises';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { policy } from 'portcullis/authz';
import { isPortcullisError, PortcullisError } from 'portcullis/errors';
import type { RouteRateLimit } from 'portcullis/fastify';
import { removeStoredUpload, storedUploadPath } from 'portcullis/input';
import type { z } from 'zod';
import { createPostGuard, notFound } from '../app/attachments/attachment-access.js';
import { closeRefusedUpload } from '../app/attachments/close-refused-upload.js';
import { multipartLimits, receiveAttachment } from '../app/attachments/receive-attachment.js';
import type { UploadConfig } from '../app/attachments/upload-config.js';
import { countAttachments, deleteAttachment, findAttachment, insertAttachment, listAttachments, type Attachment } from '../db/attachments-repository.js';
import type { Database } from '../db/schema.js';
import { routeConfig as route, sends, sendsNothing } from './common-schemas.js';
import { attachmentList, attachmentParams, attachmentsParams, attachmentView, UPLOAD_BODY_DESCRIPTION } from './attachments-schemas.js';

/**
 * /v1/posts/:id/attachments (V5): files attached to a post. Uploading and removing one needs what
 * changing the post needs, reading them what seeing the post needs (app/attachments/
 * attachment-access.ts); a hidden post answers 404 like a missing one. Only the upload route takes
 * multipart, registered in a scope of its own with strict limits, and it is rate limited per user.
 * Downloads are served as attachments under their generated name, with the type detected at
 * upload, `nosniff` and a CSP that sandboxes anything a browser might still try to render.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

export interface AttachmentsRouteDeps {
  readonly db: Kysely<Database>;
  /** onRequest hooks: an API key holding `scopes`, or else a bearer access token. */
  readonly byKeyOr: (scopes: readonly string[]) => Hook[];
  readonly uploads: UploadConfig;
  /** Uploads per user (preHandler, keyed by the authenticated user). */
  readonly uploadLimit: RouteRateLimit;
  /** Makes the upload directory if it is not there yet (idempotent). */
  readonly prepareDirectory: () => Promise<void>;
}

/** No plugin, no inline script, no framing: a file opened in a browser tab runs nothing. */
export const DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'";

const VISIBLE = 'posts the caller may see (post-access)';
const OWNER_OR_ADMIN = 'post owner or admin, on a post the caller may see';

export function publicAttachment(attachment: Attachment) {
  return {
    id: attachment.id,
    postId: attachment.postId,
    uploaderId: attachment.uploaderId,
    fileName: attachment.storedName,
    mediaType: attachment.mediaType,
    size: attachment.size,
    sha256: attachment.sha256,
    createdAt: attachment.createdAt,
  };
}

export async function registerAttachmentsRoutes(v1: FastifyInstance, deps: AttachmentsRouteDeps): Promise<void> {
  const { db, byKeyOr, uploads } = deps;
  const guard = createPostGuard(db);
  const directory = uploads.dir;
  const pathOf = (postId: string, attachmentId: string) => `/v1/posts/${postId}/attachments/${attachmentId}`;

  // The one route that takes multipart, in a scope of its own: the parser exists nowhere else.
  await v1.register(async (scope) => {
    await scope.register(fastifyMultipart, { limits: multipartLimits(uploads.maxBytes) });
    scope.addHook('onSend', closeRefusedUpload);
    scope.post(
      '/posts/:id/attachments',
      {
        onRequest: byKeyOr(['posts:write']),
        config: {
          portcullis: {
            policy: policy.owned(policy.permission('posts:write'), OWNER_OR_ADMIN),
            input: { params: attachmentsParams },
            multipart: { description: UPLOAD_BODY_DESCRIPTION },
            output: sends(attachmentView, 201),
            rateLimit: { limits: [deps.uploadLimit] },
          },
        },
      },
      async (request, reply) => {
        const { id } = request.params as z.infer<typeof attachmentsParams>;
        const caller = await guard.callerOf(request);
        // Decided before a byte of the body is read.
        await guard.authorisedPost(request, caller, id, 'update');
        if ((await countAttachments(db, id)) >= uploads.maxPerPost) {
          throw new PortcullisError('upload.too_many', { detail: `A post may hold at most ${uploads.maxPerPost} files.` });
        }
        await deps.prepareDirectory();
        let stored;
        try {
          stored = await receiveAttachment(request, { directory, maxBytes: uploads.maxBytes });
        } catch (error) {
          if (isPortcullisError(error) && error.code === 'upload.type_refused') {
            await request.securityEvent('upload.refused', { postId: id, userId: caller.userId, reason: error.detail ?? error.code });
          }
          throw error;
        }
        let attachment: Attachment;
        try {
          attachment = await insertAttachment(db, {
            id: stored.id,
            postId: id,
            uploaderId: caller.userId,
            storedName: stored.storedName,
            mediaType: stored.type.mediaType,
            size: stored.size,
            sha256: stored.sha256,
          });
        } catch (error) {
          await removeStoredUpload(directory, stored.storedName).catch(() => undefined);
          throw error;
        }
        await request.securityEvent('attachment.uploaded', { postId: id, attachmentId: attachment.id, userId: caller.userId, mediaType: attachment.mediaType, size: attachment.size });
        reply.code(201).header('location', pathOf(id, attachment.id));
        return publicAttachment(attachment);
      },
    );
  });

  v1.get(
    '/posts/:id/attachments',
    { onRequest: byKeyOr(['posts:read']), config: route(policy.owned(policy.permission('posts:read'), VISIBLE), { params: attachmentsParams }, sends(attachmentList)) },
    async (request) => {
      const { id } = request.params as z.infer<typeof attachmentsParams>;
      await guard.authorisedPost(request, await guard.callerOf(request), id, 'read');
      return { attachments: (await listAttachments(db, id)).map(publicAttachment) };
    },
  );

  v1.get(
    '/posts/:id/attachments/:attachmentId',
    { onRequest: byKeyOr(['posts:read']), config: route(policy.owned(policy.permission('posts:read'), VISIBLE), { params: attachmentParams }) },
    async (request, reply) => {
      const { id, attachmentId } = request.params as z.infer<typeof attachmentParams>;
      await guard.authorisedPost(request, await guard.callerOf(request), id, 'read');
      const attachment = await findAttachment(db, id, attachmentId);
      if (attachment === undefined) throw notFound();
      let file;
      try {
        file = await open(storedUploadPath(directory, attachment.storedName), 'r');
      } catch (error) {
        request.log.error({ err: error, attachmentId }, 'attachment file is missing');
        throw notFound();
      }
      let size: number;
      try {
        ({ size } = await file.stat());
      } catch (error) {
        await file.close();
        throw error;
      }
      return reply
        .code(200)
        .header('content-type', attachment.mediaType)
        .header('content-length', String(size))
        .header('content-disposition', `attachment; filename="${attachment.storedName}"`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', DOWNLOAD_CSP)
        .header('cross-origin-resource-policy', 'same-origin')
        .header('cache-control', 'private, no-store')
        .send(file.createReadStream());
    },
  );

  v1.delete(
    '/posts/:id/attachments/:attachmentId',
    { onRequest: byKeyOr(['posts:write']), config: route(policy.owned(policy.permission('posts:write'), OWNER_OR_ADMIN), { params: attachmentParams }, sendsNothing) },
    async (request, reply) => {
      const { id, attachmentId } = request.params as z.infer<typeof attachmentParams>;
      const caller = await guard.callerOf(request);
      await guard.authorisedPost(request, caller, id, 'update');
      const attachment = await findAttachment(db, id, attachmentId);
      if (attachment === undefined || !(await deleteAttachment(db, id, attachmentId))) throw notFound();
      // The row goes first: a file left behind by a failure here is swept at the next start.
      await removeStoredUpload(directory, attachment.storedName).catch((error: unknown) => request.log.error({ err: error, attachmentId }, 'attachment file could not be removed'));
      await request.securityEvent('attachment.deleted', { postId: id, attachmentId, userId: caller.userId });
      return reply.code(204).send();
    },
  );
}
