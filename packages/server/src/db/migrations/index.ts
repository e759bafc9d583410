import type { Migration } from 'kysely';
import { createUsers } from './0001-create-users.js';
import { createIdentity } from './0002-identity.js';
import { createApiKeys } from './0003-api-keys.js';
import { createOrganisationsPosts } from './0004-organisations-posts.js';
import { createWebhooks } from './0005-webhooks.js';
import { createAttachments } from './0006-attachments.js';
import { createAudit } from './0007-audit.js';

/**
 * Every migration, in order, listed in code rather than discovered by scanning a folder: a scan
 * breaks between tsx (`.ts` files) and compiled output (`.js` plus `.d.ts`). Names sort in the
 * order they run; append new ones and never edit or rename one that has shipped.
 */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_create_users': createUsers,
  '0002_identity': createIdentity,
  '0003_api_keys': createApiKeys,
  '0004_organisations_posts': createOrganisationsPosts,
  '0005_webhooks': createWebhooks,
  '0006_attachments': createAttachments,
  '0007_audit': createAudit,
});
