import { mkdir } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { RouteRateLimit } from 'portcullis/fastify';
import { removeStoredUpload } from 'portcullis/input';
import { compoundKey } from 'portcullis/ratelimit';
import type { ServerConfig } from '../../config/server-config.js';
import { storedNamesOfPost } from '../../db/attachments-repository.js';
import type { Database } from '../../db/schema.js';
import { registerAttachmentsRoutes } from '../../routes/attachments-routes.js';
import { serverPolicyFactory, type LimiterStoreFactory } from '../rate-limits.js';
import { sweepUploads } from './sweep-uploads.js';

/**
 * Post attachments (V5), wired into the app: makes the upload directory (0700) when the server
 * listens, sweeps what a crash or a cascade left in it, builds the per-user upload limit with the server's policy
 * factory (Redis-backed when configured), and registers the routes. `detachFiles` lets the post
 * routes remove a post's files along with it.
 */

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

export interface AttachmentsParts {
  readonly db: Kysely<Database>;
  readonly config: ServerConfig;
  readonly storeFor: LimiterStoreFactory;
  readonly byKeyOr: (scopes: readonly string[]) => Hook[];
}

export interface AttachmentsModule {
  /**
   * Call before deleting a post: collects its files, and the returned function removes them once
   * the post (and by cascade its attachment rows) is gone.
   */
  detachFiles(postId: string): Promise<() => Promise<void>>;
}

/** Files younger than this are never swept: another instance may be between rename and insert. */
const SWEEP_GRACE_MS = 60 * 60 * 1000;

/** Uploads per user, counted after authentication; the key is the user, whatever the credential. */
export function uploadRateLimit(config: ServerConfig, storeFor: LimiterStoreFactory): RouteRateLimit {
  const uploads = config.uploads;
  return {
    policy: serverPolicyFactory(config, storeFor)('uploads', { algorithm: 'sliding-counter', limit: uploads.rateLimit, windowMs: uploads.rateWindowMs }),
    key: (request) => {
      const userId = request.principal?.userId ?? request.apiKey?.key.userId;
      return userId === undefined ? undefined : compoundKey('user', userId);
    },
    phase: 'preHandler',
  };
}

export async function registerAttachments(v1: FastifyInstance, parts: AttachmentsParts): Promise<AttachmentsModule> {
  const { db, config } = parts;
  const directory = config.uploads.dir;
  // Made on first need, not here: the routes CLI builds this app and must not touch the disk.
  let made: Promise<unknown> | undefined;
  const prepareDirectory = async (): Promise<void> => {
    made ??= mkdir(directory, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    await made;
  };
  // Only a server that listens sweeps: the routes CLI builds this app on an empty in-memory
  // database, where every stored file would look orphaned.
  v1.addHook('onListen', async () => {
    await prepareDirectory()
      .then(() => sweepUploads(db, directory, SWEEP_GRACE_MS))
      .then(
        ({ removed }) => removed > 0 && v1.log.info({ event: 'uploads.swept', removed }, 'removed leftover upload files'),
        (error: unknown) => v1.log.error({ err: error }, 'the upload directory could not be swept'),
      );
  });
  await registerAttachmentsRoutes(v1, { db, byKeyOr: parts.byKeyOr, uploads: config.uploads, uploadLimit: uploadRateLimit(config, parts.storeFor), prepareDirectory });
  return {
    async detachFiles(postId) {
      const names = await storedNamesOfPost(db, postId);
      return async () => {
        for (const name of names) {
          await removeStoredUpload(directory, name).catch((error: unknown) => v1.log.error({ err: error, postId }, 'attachment file could not be removed'));
        }
      };
    },
  };
}
