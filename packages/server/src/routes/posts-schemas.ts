import { z } from 'zod';
import { sanitizeRichText } from 'portcullis/input';
import { MAX_POSTS_PAGE } from '../db/posts-repository.js';
import { postStatuses, postVisibilities } from '../db/schema.js';

/**
 * Inputs of /v1/posts (V1, V6). Every object is strict: a member the client may not set (ownerId,
 * orgId on update, status, id, createdAt, ...) is a 400, never silently ignored, so mass
 * assignment fails loudly. Status changes only through publish and unpublish.
 *
 * A post body is rich text (V4): sanitised to the allowlist of portcullis' `sanitizeRichText`, and
 * the sanitised form is what is stored and returned (no refusal when it changes: escaping `a < b`
 * is a change too). Its length is capped before and after. Titles and comments stay plain text.
 */

const title = z.string().trim().min(1).max(200);
const text = z.string().min(1).max(20_000);
/** Sanitising escapes text and adds `rel` to links, so the stored form may be longer than the input. */
export const MAX_STORED_BODY = 40_000;
const richText = text
  .transform((html) => sanitizeRichText(html))
  .pipe(z.string().min(1, 'nothing is left once the HTML is sanitised').max(MAX_STORED_BODY, `longer than ${MAX_STORED_BODY} characters once sanitised`));
const visibility = z.enum(postVisibilities);
const pageSize = z.coerce.number().int().min(1).max(MAX_POSTS_PAGE).default(50);

export const postParams = z.strictObject({ id: z.uuid() });
export const commentParams = z.strictObject({ id: z.uuid(), commentId: z.uuid() });

export const listPostsQuery = z.strictObject({ after: z.uuid().optional(), limit: pageSize, orgId: z.uuid().optional() });
export const listCommentsQuery = z.strictObject({ after: z.uuid().optional(), limit: pageSize });

export const createPostBody = z.strictObject({ title, body: richText, visibility, orgId: z.uuid().optional() });
export const updatePostBody = z
  .strictObject({ title: title.optional(), body: richText.optional(), visibility: visibility.optional() })
  .refine((body) => body.title !== undefined || body.body !== undefined || body.visibility !== undefined, 'give title, body, visibility or several');

export const createCommentBody = z.strictObject({ body: z.string().trim().min(1).max(5_000) });

/**
 * What the posts routes send (V6, L1): the route's declared output, so a field added to a row
 * never leaves unless it is named here, and the OpenAPI document shows the same shape. Plain
 * (stripping) objects: anything else the handler returns is dropped, not sent.
 */
export const postView = z.object({
  id: z.string(),
  orgId: z.string(),
  ownerId: z.string(),
  title: z.string(),
  body: z.string(),
  status: z.enum(postStatuses),
  visibility: z.enum(postVisibilities),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const commentView = z.object({ id: z.string(), postId: z.string(), authorId: z.string(), body: z.string(), createdAt: z.string() });
/** A page, and the cursor for the next one (null on the last page). */
export const postPage = z.object({ posts: z.array(postView), next: z.string().nullable() });
export const commentPage = z.object({ comments: z.array(commentView), next: z.string().nullable() });
