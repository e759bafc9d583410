import { z } from 'zod';
import { MAX_POSTS_PAGE } from '../db/posts-repository.js';
import { postVisibilities } from '../db/schema.js';

/**
 * Inputs of /v1/posts (V1, V6). Every object is strict: a member the client may not set (ownerId,
 * orgId on update, status, id, createdAt, ...) is a 400, never silently ignored, so mass
 * assignment fails loudly. Status changes only through publish and unpublish.
 */

const title = z.string().trim().min(1).max(200);
const text = z.string().min(1).max(20_000);
const visibility = z.enum(postVisibilities);
const pageSize = z.coerce.number().int().min(1).max(MAX_POSTS_PAGE).default(50);

export const postParams = z.strictObject({ id: z.uuid() });
export const commentParams = z.strictObject({ id: z.uuid(), commentId: z.uuid() });

export const listPostsQuery = z.strictObject({ after: z.uuid().optional(), limit: pageSize, orgId: z.uuid().optional() });
export const listCommentsQuery = z.strictObject({ after: z.uuid().optional(), limit: pageSize });

export const createPostBody = z.strictObject({ title, body: text, visibility, orgId: z.uuid().optional() });
export const updatePostBody = z
  .strictObject({ title: title.optional(), body: text.optional(), visibility: visibility.optional() })
  .refine((body) => body.title !== undefined || body.body !== undefined || body.visibility !== undefined, 'give title, body, visibility or several');

export const createCommentBody = z.strictObject({ body: z.string().trim().min(1).max(5_000) });

