import type { Kysely, Selectable } from 'kysely';
import type { AttachmentsTable, Database } from './schema.js';

/**
 * Rows of the files attached to posts (V5). This file stores and fetches; who may see or change
 * them is the post's rule (app/posts/post-access.ts), applied by the routes. Every lookup is by
 * post and attachment id together, so an attachment is only ever reached through its own post.
 */

export interface Attachment {
  readonly id: string;
  readonly postId: string;
  readonly uploaderId: string;
  readonly storedName: string;
  readonly mediaType: string;
  readonly size: number;
  readonly sha256: string;
  readonly createdAt: string;
}

/** A ceiling on one listing, whatever the per-post limit is configured to. */
export const MAX_ATTACHMENTS_LISTED = 1000;

function toAttachment(row: Selectable<AttachmentsTable>): Attachment {
  return {
    id: row.id,
    postId: row.post_id,
    uploaderId: row.uploader_id,
    storedName: row.stored_name,
    mediaType: row.media_type,
    size: Number(row.size_bytes),
    sha256: row.sha256,
    createdAt: row.created_at,
  };
}

export async function insertAttachment(db: Kysely<Database>, attachment: Omit<Attachment, 'createdAt'>): Promise<Attachment> {
  const row = {
    id: attachment.id,
    post_id: attachment.postId,
    uploader_id: attachment.uploaderId,
    stored_name: attachment.storedName,
    media_type: attachment.mediaType,
    size_bytes: attachment.size,
    sha256: attachment.sha256,
    created_at: new Date().toISOString(),
  };
  await db.insertInto('attachments').values(row).execute();
  return toAttachment(row);
}

/** The post's attachments, oldest first. */
export async function listAttachments(db: Kysely<Database>, postId: string): Promise<Attachment[]> {
  const rows = await db.selectFrom('attachments').selectAll().where('post_id', '=', postId).orderBy('created_at').orderBy('id').limit(MAX_ATTACHMENTS_LISTED).execute();
  return rows.map(toAttachment);
}

export async function countAttachments(db: Kysely<Database>, postId: string): Promise<number> {
  const row = await db.selectFrom('attachments').select((eb) => eb.fn.countAll<string | number>().as('count')).where('post_id', '=', postId).executeTakeFirst();
  return Number(row?.count ?? 0);
}

export async function findAttachment(db: Kysely<Database>, postId: string, id: string): Promise<Attachment | undefined> {
  const row = await db.selectFrom('attachments').selectAll().where('post_id', '=', postId).where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toAttachment(row);
}

/** Deletes the row; whether there was one. */
export async function deleteAttachment(db: Kysely<Database>, postId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('attachments').where('post_id', '=', postId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The stored names of every attachment of a post (to remove the files before the post goes). */
export async function storedNamesOfPost(db: Kysely<Database>, postId: string): Promise<string[]> {
  const rows = await db.selectFrom('attachments').select('stored_name').where('post_id', '=', postId).execute();
  return rows.map((row) => row.stored_name);
}

/** Which of `storedNames` have a row (the rest are orphans a sweep may remove). */
export async function knownStoredNames(db: Kysely<Database>, storedNames: readonly string[]): Promise<Set<string>> {
  if (storedNames.length === 0) return new Set();
  const rows = await db.selectFrom('attachments').select('stored_name').where('stored_name', 'in', storedNames).execute();
  return new Set(rows.map((row) => row.stored_name));
}
