import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { PortcullisError } from 'portcullis/errors';
import { validateInput } from 'portcullis/input';
import type { Database } from '../db/schema.js';
import { findUserById, updateUser, type User } from '../db/users-repository.js';
import { updateMeBody } from './auth-schemas.js';

/**
 * `GET /v1/users/me` and `PATCH /v1/users/me`. The reply lists its fields one by one (never the
 * row), and PATCH accepts `name` only: role, email or status in the body is a 400, not ignored.
 * The password changes through POST /v1/auth/password/change, which asks for the current one.
 */
function publicUser(user: User) {
  return { id: user.id, email: user.email, name: user.name, role: user.role, mfaEnabled: user.mfaEnabled, createdAt: user.createdAt, updatedAt: user.updatedAt };
}

export function registerUsersRoutes(
  v1: FastifyInstance,
  deps: { readonly db: Kysely<Database>; readonly authenticate: (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void },
): void {
  const current = async (request: FastifyRequest): Promise<User> => {
    const user = await findUserById(deps.db, (request.principal as NonNullable<FastifyRequest['principal']>).userId);
    if (user === undefined || user.status !== 'active') throw new PortcullisError('auth.unauthenticated');
    return user;
  };

  v1.get('/users/me', { onRequest: deps.authenticate }, async (request) => publicUser(await current(request)));

  v1.patch('/users/me', { onRequest: deps.authenticate }, async (request) => {
    const body = validateInput(updateMeBody, request.body);
    const user = await current(request);
    await updateUser(deps.db, user.id, { name: body.name });
    return publicUser((await findUserById(deps.db, user.id)) as User);
  });
}
