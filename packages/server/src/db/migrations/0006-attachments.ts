import type { Kysely, Migration } from 'kysely';

/**
 * Files attached to posts (V5). A row per stored file: the post, who uploaded it, the generated
 * name it is stored under (unique; never a client's file name), the type detected from its bytes,
 * its size and SHA-256. Rows go with their post or uploader (cascade); the server removes the
 * files themselves.
 */
export const createAttachments: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('attachments')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('post_id', 'text', (col) => col.notNull().references('posts.id').onDelete('cascade'))
      .addColumn('uploader_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
      .addColumn('stored_name', 'text', (col) => col.notNull().unique())
      .addColumn('media_type', 'text', (col) => col.notNull())
      .addColumn('size_bytes', 'integer', (col) => col.notNull())
      .addColumn('sha256', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('attachments_post_id').on('attachments').column('post_id').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('attachments').execute();
  },
};
