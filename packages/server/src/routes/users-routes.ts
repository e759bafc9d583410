import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { policy } from 'portcullis/authz';
import type { Kysely } from 'kysely';
import { PortcullisError } from 'portcullis/errors';
import type { z } from 'zod';
import type { Database } from '../db/schema.js';
import { findUserById, updateUser, type User } from '../db/users-repository.js';
import { updateMeBody } from './auth-schemas.js';
import { sends } from './common-schemas.js';
import { userView } from './users-schemas.js';

/**
 * `GET /v1/users/me` and `PATCH /v1/users/me`. The reply lists its fields one by one (never the
 * row), and PATCH accepts `name` only: role, email or status in the body is a 400, not ignored.
 * The password changes through POST /v1/auth/password/change, which asks for the current one.
 * Both take a bearer access token or an API key (scopes `profile:read` / `profile:write`); a PATCH
 * with an API key must also be signed.
 */
function publicUser(user: User) {
  return { id: user.id, email: user.email, name: user.name, role: user.role, mfaEnabled: user.mfaEnabled, createdAt: user.createdAt, updatedAt: user.updatedAt };
}

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;

export interface UsersRouteDeps {
  readonly db: Kysely<Database>;
  /** onRequest hooks: a bearer access token, or an API key with `profile:read`. */
  readonly canRead: Hook[];
  /** onRequest hooks: a bearer access token, or an API key with `profile:write`. */
  readonly canWrite: Hook[];
  /** preHandler: a request made with an API key must be signed (A9). */
  readonly signed: Hook;
}

export function registerUsersRoutes(v1: FastifyInstance, deps: UsersRouteDeps): void {
  const current = async (request: FastifyRequest): Promise<User> => {
    const userId = request.principal?.userId ?? request.apiKey?.key.userId;
    const user = userId === undefined ? undefined : await findUserById(deps.db, userId);
    if (user === undefined || user.status !== 'active') throw new PortcullisError('auth.unauthenticated');
    return user;
  };

  v1.get('/users/me', { onRequest: deps.canRead, config: { portcullis: { policy: policy.owned(policy.permission('profile:read'), 'the caller itself'), output: sends(userView) } } }, async (request) => publicUser(await current(request)));

  // A profile change made with an API key is a sensitive operation: it must be a signed request.
  v1.patch('/users/me', { onRequest: deps.canWrite, preHandler: deps.signed, config: { portcullis: { keepRawBody: true, input: { body: updateMeBody }, policy: policy.owned(policy.permission('profile:write'), 'the caller itself'), output: sends(userView) } } }, async (request) => {
    const body = request.body as z.infer<typeof updateMeBody>;
    const user = await current(request);
    await updateUser(deps.db, user.id, { name: body.name });
    return publicUser((await findUserById(deps.db, user.id)) as User);
  });
}
